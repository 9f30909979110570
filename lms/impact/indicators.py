"""Indicators computed with pandas from anonymous rows, with small-number suppression."""

from dataclasses import dataclass

import pandas as pd
from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: float | None  # None when suppressed
    unit: str = ""
    counts_people: bool = True


def suppress(value: float, *, counts_people: bool, minimum: int | None = None) -> float | None:
    """Hide a count of fewer than `minimum` people so no one can be singled out."""
    minimum = settings.IMPACT_MIN_COUNT if minimum is None else minimum
    if counts_people and 0 < value < minimum:
        return None
    return value


def session_hours(sessions: pd.DataFrame) -> pd.Series:
    if sessions.empty:
        return pd.Series(dtype=float)
    start = pd.to_timedelta(sessions["starts_at"].astype(str))
    end = pd.to_timedelta(sessions["ends_at"].astype(str))
    return (end - start).dt.total_seconds() / 3600


def key_figures(
    *,
    sessions: list[dict],
    attendances: list[dict],
    statement_learners: list[dict],
    completions: list[dict],
) -> list[Figure]:
    """The figures at the top of the dashboard, suppressed where they count few people."""
    sessions_df = pd.DataFrame(
        sessions, columns=["id", "association_id", "held_on", "starts_at", "ends_at"]
    )
    attendance_df = pd.DataFrame(attendances, columns=["session_id", "learner__pseudonym"])
    sessions_df["hours"] = session_hours(sessions_df)
    learners = set(attendance_df["learner__pseudonym"]) | {
        row["learner_pseudonym"] for row in statement_learners
    }
    learner_hours = attendance_df.merge(
        sessions_df[["id", "hours"]], left_on="session_id", right_on="id", how="inner"
    )["hours"].sum()
    completed = pd.DataFrame(completions, columns=["learner__pseudonym", "module_iri"])
    raw = [
        ("learners", _("Learners reached"), len(learners), "", True),
        ("sessions", _("In-person sessions"), len(sessions_df), "", False),
        (
            "hours",
            _("Hours of training delivered"),
            round(float(sessions_df["hours"].sum()), 1),
            "h",
            False,
        ),
        ("learner_hours", _("Learner-hours"), round(float(learner_hours), 1), "h", False),
        ("modules_completed", _("Modules completed"), len(completed), "", True),
    ]
    return [
        Figure(key, label, suppress(value, counts_people=people), unit, people)
        for key, label, value, unit, people in raw
    ]
