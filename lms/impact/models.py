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
