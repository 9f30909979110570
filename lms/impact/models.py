"""Programmes: a funder finances associations over a period, with optional targets."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Programme(models.Model):
    funder = models.ForeignKey(
        "accounts.Funder", on_delete=models.PROTECT, related_name="programmes"
    )
    name = models.CharField(_("name"), max_length=150)
    associations = models.ManyToManyField(
        "accounts.Association", related_name="programmes", verbose_name=_("associations")
    )
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"))
    target_learners = models.PositiveIntegerField(_("target: learners"), null=True, blank=True)
    target_hours = models.PositiveIntegerField(_("target: hours"), null=True, blank=True)

    class Meta:
        verbose_name = _("programme")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="programme_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FrozenReport(models.Model):
    """Figures of a closed period, stored as displayed (already suppressed), never recomputed.

    Erasing a learner later changes the live figures, not what was reported to the funder.
    """

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, related_name="frozen_reports"
    )
    association = models.ForeignKey(
        "accounts.Association",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("association"),
    )
    period_start_on = models.DateField(_("start"))
    period_end_on = models.DateField(_("end"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    definitions_version = models.CharField(max_length=20)
    figures = models.JSONField()

    class Meta:
        verbose_name = _("frozen report")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end_on__gte=F("period_start_on")),
                name="frozen_report_ends_after_start",
            ),
            # One report per scope and period: a second one could say other figures for
            # the same thing. Two constraints, as a programme-wide report has no
            # association and NULLs never collide in a unique index.
            models.UniqueConstraint(
                fields=["programme", "association", "period_start_on", "period_end_on"],
                condition=Q(association__isnull=False),
                name="frozen_report_one_per_association_and_period",
            ),
            models.UniqueConstraint(
                fields=["programme", "period_start_on", "period_end_on"],
                condition=Q(association__isnull=True),
                name="frozen_report_one_per_programme_and_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.period_start_on}–{self.period_end_on}"


class ApiToken(models.Model):
    """A secret that lets a funder's or coordinator's own tools read the impact API.

    Only a SHA-256 hash of the secret is stored, with a short prefix the person can
    recognise; the secret itself is shown once, when it is created. The token acts with
    its user's current rights: whoever loses a programme loses it through the API too.
    """

    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="impact_api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("start of the token"), max_length=16)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# --- Rollups: what the figures are computed from at scale -------------------------------------
# One row per association, learner (pseudonym) and calendar month. Each "days" field is a
# bitmask of the days of that month (bit 0 = the 1st) on which something happened, so that
# distinct learners and distinct days can be counted exactly for any period, to the day,
# without reading the statements again. Rebuilt per learner from the records
# (lms/impact/rollups.py), never edited by hand.


class LearnerMonth(models.Model):
    association = models.ForeignKey(
        "accounts.Association", on_delete=models.CASCADE, related_name="+"
    )
    pseudonym = models.UUIDField()
    month = models.DateField()  # the first day of the month
    # Came to a session or did anything recorded.
    active_days = models.IntegerField(default=0)
    # A trainer validated a competence: at all, and by the help the learner needed.
    validated_days = models.IntegerField(default=0)
    alone_days = models.IntegerField(default=0)
    little_help_days = models.IntegerField(default=0)
    lot_of_help_days = models.IntegerField(default=0)
    h5p_days = models.IntegerField(default=0)
    quiz_days = models.IntegerField(default=0)
    online_days = models.IntegerField(default=0)
    # Sums over the whole month (a partial month at a period's edge is read from the records).
    h5p_answers = models.IntegerField(default=0)
    h5p_score_sum = models.FloatField(default=0)
    quiz_answers = models.IntegerField(default=0)
    quiz_score_sum = models.FloatField(default=0)
    online_seconds = models.BigIntegerField(default=0)
    # Sessions attended, and their hours added up (attendance x duration).
    attendances = models.IntegerField(default=0)
    learner_hours = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["association", "pseudonym", "month"], name="learner_month_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["association", "month"]),
            models.Index(fields=["pseudonym"]),
        ]

    def __str__(self) -> str:
        return f"{self.pseudonym} {self.association_id} {self.month:%Y-%m}"


class LearnerAreaMonth(models.Model):
    """Days of a month on which a trainer validated a competence of one DigComp area."""

    association = models.ForeignKey(
        "accounts.Association", on_delete=models.CASCADE, related_name="+"
    )
    pseudonym = models.UUIDField()
    month = models.DateField()
    area = models.CharField(max_length=20)
    days = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["association", "pseudonym", "month", "area"],
                name="learner_area_month_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["association", "month"]),
            models.Index(fields=["pseudonym"]),
        ]

    def __str__(self) -> str:
        return f"{self.pseudonym} {self.area} {self.month:%Y-%m}"


class PathCompletion(models.Model):
    """The day a learner had completed every module of a learning path."""

    pseudonym = models.UUIDField()
    path_id = models.IntegerField()
    completed_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pseudonym", "path_id"], name="path_completion_unique"),
        ]
        indexes = [models.Index(fields=["completed_on"])]

    def __str__(self) -> str:
        return f"{self.pseudonym} {self.path_id} {self.completed_on}"


class ModuleValidation(models.Model):
    """A learner's module of which a trainer validated a step in person: since when, and the
    help the learner needed as the trainer last recorded it (a correction is a new
    validation). Tells "validated by a trainer" from "done alone online" in the figures."""

    pseudonym = models.UUIDField()
    module_iri = models.CharField(max_length=255)
    first_on = models.DateField()  # the day of the first validation
    # alone, little_help, lot_of_help; blank when the latest validation recorded none.
    help = models.CharField(max_length=20, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pseudonym", "module_iri"], name="module_validation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pseudonym} {self.module_iri} {self.first_on} {self.help}"


class OutcomePair(models.Model):
    """A learner's first answer at the start of a module and their latest answer at its end."""

    pseudonym = models.UUIDField()
    module_iri = models.CharField(max_length=255)
    # Where and when the end answer was given: the pair counts in that period.
    association = models.ForeignKey(
        "accounts.Association", on_delete=models.CASCADE, related_name="+"
    )
    answered_on = models.DateField()
    before = models.CharField(max_length=20)
    after = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pseudonym", "module_iri"], name="outcome_pair_unique"),
        ]
        indexes = [models.Index(fields=["association", "answered_on"])]

    def __str__(self) -> str:
        return f"{self.pseudonym} {self.module_iri} {self.before}>{self.after}"


class RollupStale(models.Model):
    """A learner whose rollup rows must be rebuilt before figures are computed again.

    Statements are append-only and found by their `stored_at`; what can change or disappear
    (attendances, sessions, memberships moved by an import) is marked here by its writer.
    """

    pseudonym = models.UUIDField(unique=True)
    marked_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.pseudonym)


class RollupState(models.Model):
    """Up to when statements have been rolled up (one row)."""

    statements_until = models.DateTimeField(null=True)
    rebuilt_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"rollups up to {self.statements_until}"
