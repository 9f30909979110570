"""Learning records: an append-only log of xAPI-shaped statements, and progress derived from it."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Verb(models.TextChoices):
    """xAPI verbs used by Pas à pas; `iri` gives the identifier used in exports."""

    EXPERIENCED = "experienced", _("saw")
    ANSWERED = "answered", _("answered")
    COMPLETED = "completed", _("completed")
    VALIDATED = "validated", _("validated by a trainer")
    ASSESSED = "self-assessed", _("assessed themself")

    @property
    def iri(self) -> str:
        if self is Verb.VALIDATED or self is Verb.ASSESSED:
            return f"{settings.XAPI_IRI_BASE}/verbs/{self.value}"
        return f"http://adlnet.gov/expapi/verbs/{self.value}"


class Statement(models.Model):
    """One learning event: who did what, to which activity, with which result, where, when.

    Rows are never updated or deleted by the application (erasure only clears `learner`):
    progress is derived from them and can be rebuilt.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Every index is written at each statement stored: the learner's and the association's
    # statements are found through the (learner, timestamp) and (association, timestamp)
    # indexes below, so their foreign keys get no index of their own.
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="statements",
        db_index=False,
    )
    # Kept after erasure: aggregates still count distinct people without knowing who.
    learner_pseudonym = models.UUIDField(db_index=True)
    verb = models.CharField(max_length=20, choices=Verb.choices)
    object_iri = models.CharField(max_length=255)
    object_kind = models.CharField(max_length=30, blank=True)
    module_iri = models.CharField(max_length=255, blank=True)  # indexed below, for `=` only
    module = models.ForeignKey(
        "courses.ModulePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    score_raw = models.FloatField(null=True, blank=True)
    score_min = models.FloatField(null=True, blank=True)
    score_max = models.FloatField(null=True, blank=True)
    score_scaled = models.FloatField(null=True, blank=True)
    success = models.BooleanField(null=True, blank=True)
    completion = models.BooleanField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Scores computed in the learner's browser (H5P) are self-reported, weaker evidence.
    is_self_reported = models.BooleanField(default=False)
    association = models.ForeignKey(
        "accounts.Association",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="statements",
        db_index=False,
    )
    # The in-person training session, when there was one (xAPI context.registration).
    session_uuid = models.UUIDField(null=True, blank=True, db_index=True)
    instructor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="statements_as_instructor",
    )
    timestamp = models.DateTimeField(_("when it happened"))
    stored_at = models.DateTimeField(_("when it was stored"), auto_now_add=True)

    class Meta:
        verbose_name = _("statement")
        ordering = ["timestamp", "stored_at"]
        indexes = [
            models.Index(fields=["learner", "timestamp"]),
            models.Index(fields=["association", "timestamp"]),
            models.Index(fields=["timestamp"]),
            # Not `db_index=True`, which adds a second, pattern-matching index on PostgreSQL
            # that no query uses (module IRIs are only ever compared whole).
            models.Index(fields=["module_iri"], name="learning_statement_module_iri"),
            # The impact rollups find new statements by when they were stored.
            models.Index(fields=["stored_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score_scaled__isnull=True)
                | Q(score_scaled__gte=-1, score_scaled__lte=1),
                name="statement_scaled_score_in_bounds",
            ),
            models.CheckConstraint(
                condition=Q(score_raw__isnull=True)
                | Q(score_max__isnull=True)
                | Q(score_raw__lte=models.F("score_max")),
                name="statement_raw_score_at_most_max",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner_pseudonym} {self.verb} {self.object_iri}"


class ProgressStatus(models.TextChoices):
    STARTED = "started", _("Started")
    # A "show your trainer" step the learner reached: done once a trainer validates it.
    AWAITING_TRAINER = "awaiting_trainer", _("Waiting for the trainer")
    COMPLETED = "completed", _("Done")


class ActivityProgress(models.Model):
    """One summary row per learner and step (or activity), derived from statements."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_progress"
    )
    activity_iri = models.CharField(max_length=255)
    module_iri = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=ProgressStatus.choices)
    attempts = models.PositiveIntegerField(default=0)
    # The first answer is kept for the records; later retries only improve the best score.
    first_response = models.JSONField(null=True, blank=True)
    first_success = models.BooleanField(null=True, blank=True)
    best_score_scaled = models.FloatField(null=True, blank=True)
    is_validated_by_trainer = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "activity_iri"], name="activity_progress_unique"
            ),
        ]
        indexes = [models.Index(fields=["learner", "module_iri"])]

    def __str__(self) -> str:
        return f"{self.learner_id} {self.activity_iri} {self.status}"


class ModuleProgress(models.Model):
    """One summary row per learner and module: where they are, and when they finished."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="module_progress"
    )
    module_iri = models.CharField(max_length=255)
    module = models.ForeignKey(
        "courses.ModulePage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    steps_completed = models.PositiveIntegerField(default=0)
    steps_total = models.PositiveIntegerField(default=0)
    last_activity_iri = models.CharField(max_length=255, blank=True)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "module_iri"], name="module_progress_unique"
            ),
        ]
        indexes = [models.Index(fields=["learner", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.learner_id} {self.module_iri} {self.steps_completed}/{self.steps_total}"

    @property
    def status(self) -> str:
        return ProgressStatus.COMPLETED if self.completed_at else ProgressStatus.STARTED


class PathEnrollment(models.Model):
    """A learner follows a learning path (chosen by them, or given by their group)."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="path_enrollments"
    )
    path = models.ForeignKey("courses.LearningPathPage", on_delete=models.CASCADE, related_name="+")
    enrolled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "path"], name="path_enrollment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} → {self.path_id}"
