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
