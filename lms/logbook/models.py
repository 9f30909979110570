"""Groups of learners and the in-person training sessions trainers log."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Group(models.Model):
    """A trainer's group within an association, following a learning path or modules."""

    association = models.ForeignKey(
        "accounts.Association", on_delete=models.CASCADE, related_name="groups"
    )
    name = models.CharField(_("name"), max_length=120)
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="trained_groups", verbose_name=_("trainers")
    )
    learners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="learner_groups",
        blank=True,
        verbose_name=_("learners"),
    )
    learning_path = models.ForeignKey(
        "courses.LearningPathPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("learning path"),
    )
    # When the group usually meets: a new session's hours start from it.
    usual_starts_at = models.TimeField(_("usual start time"), null=True, blank=True)
    usual_ends_at = models.TimeField(_("usual end time"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("group")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["association", "name"], name="group_unique_name"),
            # Both hours or neither, the end after the start.
            models.CheckConstraint(
                condition=Q(usual_starts_at__isnull=True, usual_ends_at__isnull=True)
                | Q(
                    usual_starts_at__isnull=False,
                    usual_ends_at__isnull=False,
                    usual_ends_at__gt=F("usual_starts_at"),
                ),
                name="group_usual_slot_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TrainingSession(models.Model):
    """An in-person session: when, where, who taught, who came, what was covered."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    association = models.ForeignKey(
        "accounts.Association", on_delete=models.PROTECT, related_name="training_sessions"
    )
    group = models.ForeignKey(
        Group,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="training_sessions",
        verbose_name=_("group"),
    )
    held_on = models.DateField(_("date"))
    starts_at = models.TimeField(_("start time"))
    ends_at = models.TimeField(_("end time"))
    place = models.CharField(_("place"), max_length=150, blank=True)
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="sessions_given", verbose_name=_("trainers")
    )
    modules = models.ManyToManyField(
        "courses.ModulePage", blank=True, related_name="+", verbose_name=_("modules covered")
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("training session")
        ordering = ["-held_on", "-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["association", "held_on"])]

    def __str__(self) -> str:
        return f"{self.held_on:%d/%m/%Y} {self.group or self.place}"

    @property
    def duration_seconds(self) -> int:
        start = self.starts_at.hour * 3600 + self.starts_at.minute * 60
        end = self.ends_at.hour * 3600 + self.ends_at.minute * 60
        return end - start


class Attendance(models.Model):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendances"
    )

    class Meta:
        verbose_name = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "learner"], name="attendance_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} @ {self.session}"


class PendingImport(models.Model):
    """A file a trainer previewed for import, waiting for their confirmation (an hour at most),
    and the rows it refused, kept for the trainer to download and correct within that hour.

    Kept in the database, not in a server's temporary folder: the confirmation runs in the
    background worker (`db_worker`), which may be another process with its own /tmp (systemd's
    PrivateTmp, docs/deploy.md) or another server; and never in MEDIA_ROOT, which may be
    served to the public. lms/logbook/transfer_store.py writes and claims it.
    """

    token = models.CharField(max_length=32, unique=True)
    kind = models.CharField(max_length=20)
    association = models.ForeignKey(
        "accounts.Association", on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("sent by"),
    )
    created_at = models.DateTimeField(db_index=True)
    # The file as sent; emptied when the confirmation claims it.
    data = models.BinaryField(_("file sent"), null=True)
    claimed_at = models.DateTimeField(null=True)
    # The refused rows as a file to correct, if any (kept after the claim, within the hour).
    refused = models.BinaryField(_("refused rows to correct"), null=True)

    class Meta:
        verbose_name = _("import waiting for confirmation")

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
