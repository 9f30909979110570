"""People (one User per person, whatever their roles), associations, memberships and funders."""

import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person. Signs in with a username; e-mail is optional (many learners have none)."""

    email = models.EmailField(_("e-mail address"), blank=True)
    display_name = models.CharField(
        _("first name or nickname"),
        max_length=80,
        blank=True,
        help_text=_("What the person wants to be called."),
    )
    preferred_language = models.CharField(_("preferred language"), max_length=10, blank=True)
    # Statements keep this pseudonym, so figures stay true after the person is erased.
    pseudonym = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Set when the person's data was erased: the row stays as an anonymous tombstone so
    # that their attendances and completions still count (see lms/privacy/erasure.py).
    erased_at = models.DateTimeField(_("erased on"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.public_name

    def get_session_auth_hash(self) -> str:
        # Built from the shared cache (lms/accounts/backends.py), the user has no password
        # loaded but the hash derived from it; once the password is read or set, from that.
        derived = getattr(self, "_cached_session_auth_hash", None)
        if derived is not None and "password" not in self.__dict__:
            return derived
        return super().get_session_auth_hash()

    @property
    def public_name(self) -> str:
        if self.erased_at:
            return str(_("Erased person"))
        return self.display_name or self.first_name or self.username


class Region(models.TextChoices):
    BRUSSELS = "brussels", _("Brussels-Capital Region")
    WALLONIA = "wallonia", _("Walloon Region")
    FLANDERS = "flanders", _("Flemish Region")


class Association(models.Model):
    """A partner association (EPN, literacy group, CPAS, social organisation)."""

    name = models.CharField(_("name"), max_length=150)
    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    street_address = models.CharField(_("address"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=4, blank=True)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    opening_hours = models.TextField(_("opening hours"), blank=True)
    languages_spoken = models.CharField(_("languages spoken"), max_length=200, blank=True)
    is_wheelchair_accessible = models.BooleanField(_("wheelchair access"), default=False)
    help_offered = models.TextField(_("what they help with"), blank=True)
    is_listed_publicly = models.BooleanField(_("listed on “where to find help”"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("association")
        verbose_name_plural = _("associations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    LEARNER = "learner", _("Learner")
    TRAINER = "trainer", _("Trainer")
    COORDINATOR = "coordinator", _("Coordinator")


class Membership(models.Model):
    """A person's role in an association. A learner can belong to several associations."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    association = models.ForeignKey(
        Association, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    joined_on = models.DateField(_("joined on"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "association", "role"], name="membership_unique_role"
            ),
        ]
        indexes = [models.Index(fields=["association", "role"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.association}"


class Funder(models.Model):
    """An organisation that finances programmes (Region, foundation, municipality, CPAS)."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    members = models.ManyToManyField(
        User, related_name="funders", blank=True, verbose_name=_("accounts")
    )

    class Meta:
        verbose_name = _("funder")
        verbose_name_plural = _("funders")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Gender(models.TextChoices):
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    OTHER = "other", _("Other")
    UNSAID = "unsaid", _("Prefers not to say")


class Situation(models.TextChoices):
    """Situation categories funders ask about; a learner may be in several or none."""

    JOB_SEEKER = "job_seeker", _("Job seeker")
    SENIOR = "senior", _("Senior")
    CPAS = "cpas", _("CPAS beneficiary")
    NEWCOMER = "newcomer", _("Newcomer")
    DISABILITY = "disability", _("Person with a disability")


class LearnerProfile(models.Model):
    """Optional facts about a learner, used only for anonymous figures; all may stay empty."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="learner_profile")
    family_name = models.CharField(_("family name"), max_length=80, blank=True)
    year_of_birth = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    postcode = models.CharField(_("postcode"), max_length=4, blank=True)
    first_language = models.CharField(_("first language"), max_length=40, blank=True)
    situations = models.JSONField(_("situation"), default=list, blank=True)
    consent_given_at = models.DateTimeField(_("consent given on"), null=True, blank=True)
    consent_recorded_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("consent recorded by"),
    )

    class Meta:
        verbose_name = _("learner profile")

    def __str__(self) -> str:
        return str(self.user)


class SignInCard(models.Model):
    """A printed sign-in card: a QR code with a long random token, and a short code.

    The card alone is not enough: the learner also enters a 4-digit secret or a picture
    code. A reissued card replaces the old one, which stops working at once.
    """

    learner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_in_cards")
    association = models.ForeignKey(
        Association, on_delete=models.CASCADE, related_name="sign_in_cards"
    )
    token = models.CharField(max_length=64, unique=True, editable=False)
    short_code = models.CharField(max_length=9, unique=True, editable=False)
    pin_hash = models.CharField(max_length=128, blank=True)
    picture_hash = models.CharField(max_length=128, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Locks in a row, without a right secret between them: each lasts longer, and past
    # the last duration only a trainer can unlock the card (services.card_check_secret).
    locks_in_a_row = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in card")
        constraints = [
            models.UniqueConstraint(
                fields=["learner"],
                condition=models.Q(is_active=True),
                name="one_active_card_per_learner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} {self.short_code}"


class SignInEvent(models.Model):
    """Every card sign-in, failure, lock, unlock and reissue, for the trainers and the audit."""

    class Kind(models.TextChoices):
        SUCCESS = "success", _("signed in")
        FAILURE = "failure", _("wrong secret")
        LOCKED = "locked", _("card locked")
        UNLOCKED = "unlocked", _("card unlocked")
        ISSUED = "issued", _("card issued")
        REVOKED = "revoked", _("card replaced")
        ASSISTED = "assisted", _("session opened by a trainer")
        SECRET_SET = "secret_set", _("secret chosen")

    card = models.ForeignKey(SignInCard, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["card", "at"])]

    def __str__(self) -> str:
        return f"{self.card} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class AuditEntry(models.Model):
    """Who changed what, when, with the values before and after (read by coordinators)."""

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    association = models.ForeignKey(
        Association, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=40)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["association", "at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.object_type}"


class ConsentPurpose(models.TextChoices):
    """What a learner may agree to, one consent per purpose; each can be withdrawn."""

    LEARNING_RECORDS = "learning_records", _("Learning records and anonymous figures")
    PHOTOS = "photos", _("Photos taken during sessions")
    CONTACT = "contact", _("Contact by the trainer (phone or message)")


class Consent(models.Model):
    """A learner's consent to one purpose: which wording, when given, by whom recorded, withdrawn.

    Rows are never deleted while the person is known: they prove what was agreed, and when.
    Withdrawing sets `withdrawn_at`; giving again makes a new row.
    """

    learner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    association = models.ForeignKey(
        Association,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("association"),
    )
    purpose = models.CharField(_("purpose"), max_length=30, choices=ConsentPurpose.choices)
    wording_version = models.CharField(_("version of the wording"), max_length=30)
    given_at = models.DateTimeField(_("given on"))
    recorded_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("withdrawal recorded by"),
    )

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "purpose"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="one_open_consent_per_purpose",
            ),
            models.CheckConstraint(
                condition=models.Q(withdrawn_at__isnull=True)
                | models.Q(withdrawn_at__gte=models.F("given_at")),
                name="consent_withdrawn_after_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} {self.purpose} {self.given_at:%Y-%m-%d}"


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("In progress")
    DONE = "done", _("Done")
    FAILED = "failed", _("Not done")


def job_files_storage():
    """Job results (exports with personal data) live outside the public media folder."""
    from django.core.files.storage import FileSystemStorage

    return FileSystemStorage(location=settings.JOB_FILES_ROOT)


class Job(models.Model):
    """An import or export run in the background (lms/accounts/jobs.py), and how far it got."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=50)
    title = models.CharField(_("title"), max_length=200)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="jobs")
    association = models.ForeignKey(
        Association, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    params = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, blank=True)
    return_url = models.CharField(max_length=300, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True)
    result = models.FileField(upload_to="jobs/%Y/%m/", storage=job_files_storage, blank=True)
    result_name = models.CharField(max_length=200, blank=True)
    result_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.state} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(100, round(100 * self.progress_done / self.progress_total))
