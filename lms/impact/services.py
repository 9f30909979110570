"""Writes of the impact app: closing a period into a frozen report."""

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from lms.accounts.models import Association, User

from .definitions import DEFINITIONS_VERSION
from .models import FrozenReport, Programme
from .selectors import figures_live, frozen_report_for_period


class PeriodNotEnded(Exception):
    """A period that has not ended is closed only when the person confirmed it."""


def report_freeze(
    *,
    programme: Programme,
    association: Association | None,
    association_ids: list[int],
    start: date,
    end: date,
    created_by: User,
    open_period_confirmed: bool = False,
) -> tuple[FrozenReport, bool]:
    """Store the figures of a period as they are displayed now (already suppressed).

    Returns the report and whether it is new: a scope and period already closed gives its
    report back, never a second one with other figures. A period whose last day is today or
    later is closed only with `open_period_confirmed`.
    """
    association_id = association.pk if association else None
    existing = frozen_report_for_period(programme, association_id, start, end)
    if existing is not None:
        return existing, False
    if end >= timezone.localdate() and not open_period_confirmed:
        raise PeriodNotEnded
    figures = figures_live(
        programme=programme, association_ids=association_ids, start=start, end=end
    )
    try:
        with transaction.atomic():
            report = FrozenReport.objects.create(
                programme=programme,
                association=association,
                period_start_on=start,
                period_end_on=end,
                created_by=created_by,
                definitions_version=DEFINITIONS_VERSION,
                figures=figures,
            )
    except IntegrityError:
        # Someone closed the same period in between (a double click): theirs stands.
        return frozen_report_for_period(programme, association_id, start, end), False
    return report, True
