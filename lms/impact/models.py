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
