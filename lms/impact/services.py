"""Writes of the impact app: closing a period into a frozen report."""

from datetime import date

from lms.accounts.models import Association, User

from .definitions import DEFINITIONS_VERSION
from .models import FrozenReport, Programme
from .selectors import figures_live


def report_freeze(
    *,
    programme: Programme,
    association: Association | None,
    association_ids: list[int],
    start: date,
    end: date,
    created_by: User,
) -> FrozenReport:
    """Store the figures of a period as they are displayed now (already suppressed)."""
    figures = figures_live(
        programme=programme, association_ids=association_ids, start=start, end=end
    )
    return FrozenReport.objects.create(
        programme=programme,
        association=association,
        period_start_on=start,
        period_end_on=end,
        created_by=created_by,
        definitions_version=DEFINITIONS_VERSION,
        figures=figures,
    )
