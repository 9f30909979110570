"""The funders' figures, computed with pandas from counts the database makes over rollups.

`lms/impact/rollups.py` sums each learner's records into one row per learner, association and
month, whose "days" columns are bitmasks of the days of that month (bit 0 = the 1st);
`selectors.rollup_rows` counts over those rows (`rollup_queries.py`), and `compute_from_counts`
turns the counts into every figure, as plain JSON-ready values. Pure functions, raw counts:
nothing here hides small numbers; `privacy.protect` does that on the result, so the same raw
figures feed the dashboard, the exports and the frozen reports.

The same figures computed from one row per learner and day (simple, and far too slow at a
regional programme's scale) live in tests/lms/impact/reference_indicators.py: the tests hold
the two to the same results.
"""

import json
from datetime import date, datetime, time

import pandas as pd

AGE_BANDS = ["under_25", "25_44", "45_64", "65_plus", "unknown"]


REGIONS = ["brussels", "wallonia", "flanders", "unknown"]


HELP_LEVELS = ["alone", "little_help", "lot_of_help"]


# How a module was completed: online with no trainer, or validated by a trainer with the
# help they recorded last ("unknown": a validation that recorded none).
COMPLETION_KINDS = ["online", *HELP_LEVELS, "unknown"]


# Self-assessment levels, from "cannot do it yet" to "can do it alone".
OUTCOME_LEVELS = ["not_yet", "with_help", "alone"]


OUTCOME_SHIFTS = [f"{before}>{after}" for before in OUTCOME_LEVELS for after in OUTCOME_LEVELS]


RETURN_DAYS = 3


RECENT_DAYS = 30


TOP_LANGUAGES = 5


# The order a reader expects, whatever the counts: as the sign-up form lists them.
GENDERS = ["woman", "man", "other", "unsaid", "unknown"]


def in_gender_order(counts: pd.Series) -> pd.Series:
    """Every gender in its fixed order (zeros included); an unexpected code comes last."""
    extra = sorted(set(counts.index) - set(GENDERS))
    return counts.reindex([*GENDERS, *extra], fill_value=0).astype(int)


def months_between(start: date, end: date) -> list[str]:
    return [p.strftime("%Y-%m") for p in pd.period_range(start, end, freq="M")]


def hours_between(starts_at: time, ends_at: time) -> float:
    """Duration of one session in hours, from its start and end times."""
    start = datetime.combine(date.min, starts_at)
    return (datetime.combine(date.min, ends_at) - start).total_seconds() / 3600


def help_of(response) -> str | None:
    if isinstance(response, dict) and response.get("help") in HELP_LEVELS:
        return response["help"]
    return None


def completion_kinds(counts: dict[str, int]) -> pd.Series:
    """Modules completed by how, in a fixed order; "help not recorded" only when there is any."""
    kinds = [kind for kind in COMPLETION_KINDS if kind != "unknown" or counts.get(kind)]
    return pd.Series({kind: int(counts.get(kind, 0)) for kind in kinds}, dtype=int)


def age_band(year_of_birth, reference_year: int) -> str:
    if year_of_birth is None or pd.isna(year_of_birth):
        return "unknown"
    age = reference_year - int(year_of_birth)
    if age < 25:
        return "under_25"
    if age < 45:
        return "25_44"
    if age < 65:
        return "45_64"
    return "65_plus"


def region_of(postcode) -> str:
    """Belgian region from a postcode; anything else (blank, foreign, malformed) is unknown."""
    try:
        number = int(str(postcode).strip())
    except (TypeError, ValueError):
        return "unknown"
    if 1000 <= number <= 1299:
        return "brussels"
    if 1300 <= number <= 1499 or 4000 <= number <= 7999:
        return "wallonia"
    if 1500 <= number <= 3999 or 8000 <= number <= 9999:
        return "flanders"
    return "unknown"


def assessment_of(response) -> tuple[str | None, str | None]:
    """(phase, level) of a self-assessment answer, or (None, None) if it is not one."""
    if not isinstance(response, dict):
        return None, None
    phase, level = response.get("phase"), response.get("level")
    if phase not in ("start", "end") or level not in OUTCOME_LEVELS:
        return None, None
    return phase, level


def outcome_pairs(
    assessments: pd.DataFrame,
    start: date | None = None,
    end: date | None = None,
    association_ids: list[int] | None = None,
) -> pd.DataFrame:
    """One row per learner and module answered at the start and at the end: both levels.

    The learner's earliest start answer counts, with the latest end answer given after it,
    wherever they gave them (their progress follows them from one association to another).
    A pair counts in the period, and for the association, of that end answer.
    """
    columns = ["pseudonym", "module_iri", "before", "after"]
    if assessments.empty:
        return pd.DataFrame(columns=columns)
    parsed = assessments["response"].map(assessment_of)
    answers = assessments.assign(
        pseudonym=assessments["pseudonym"].astype(str),
        phase=parsed.str[0],
        level=parsed.str[1],
        timestamp=pd.to_datetime(assessments["timestamp"], utc=True),
    ).dropna(subset=["phase"])
    keys = ["pseudonym", "module_iri"]
    starts = (
        answers[answers["phase"] == "start"]
        .sort_values("timestamp", kind="stable")
        .drop_duplicates(keys, keep="first")[[*keys, "level", "timestamp"]]
        .rename(columns={"level": "before", "timestamp": "started_at"})
    )
    ends = answers[answers["phase"] == "end"].merge(starts, on=keys)
    ends = ends[ends["timestamp"] > ends["started_at"]]
    ends = ends.sort_values("timestamp", kind="stable").drop_duplicates(keys, keep="last")
    if start is not None and end is not None:
        days = ends["timestamp"].dt.tz_convert(timezone_name()).dt.date
        ends = ends[(days >= start) & (days <= end)]
    if association_ids is not None:
        ends = ends[ends["association_id"].isin(association_ids)]
    return ends.rename(columns={"level": "after"})[columns].reset_index(drop=True)


def timezone_name() -> str:
    from django.conf import settings

    return settings.TIME_ZONE


def completion_figures(kinds: pd.Series) -> dict:
    """Modules completed online without a trainer, and those a trainer validated."""
    online = int(kinds.get("online", 0))
    return {"modules_completed_online": online, "modules_validated": int(kinds.sum()) - online}


def average_percent(total: float, count: int) -> float | None:
    """An average of scaled scores, in %, to one decimal.

    The tiny epsilon settles halves the same way whichever order the scores were added in
    (pandas and the database do not add in the same order).
    """
    return round(100 * float(total) / count + 1e-9, 1) if count else None


def as_figures(
    key_figures: dict,
    *,
    breakdowns: dict[str, pd.Series],
    totals: dict,
    trend: pd.DataFrame,
    target_learners: int | None,
    target_hours: int | None,
) -> dict:
    """The figures as plain JSON-ready values, whichever way they were computed."""
    return {
        "key_figures": key_figures,
        "targets": {
            "learners": {"value": key_figures["learners"], "target": target_learners},
            "hours": {"value": key_figures["hours"], "target": target_hours},
        },
        "breakdowns": {
            key: {
                "rows": [[str(code), int(count)] for code, count in series.items()],
                "total": totals[key],
            }
            for key, series in breakdowns.items()
        },
        "trend": [
            {"month": month, **{column: row[column] for column in trend.columns}}
            for month, row in trend.astype(object).iterrows()
        ],
    }


def share(value: float, target: float | None) -> float | None:
    if not target:
        return None
    return round(100 * value / target, 1)


def month_end(month: date) -> date:
    return (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()


def cut_months(start: date, end: date) -> list[tuple[date, date]]:
    """The parts of months the period cuts at its start or end (first and last days)."""
    parts = []
    if start.day != 1 or month_end(start) > end:
        parts.append((start, min(month_end(start), end)))
    if end.replace(day=1) > start and end != month_end(end):
        parts.append((end.replace(day=1), end))
    return parts


def days_mask(month: date, since: date, until: date) -> int:
    """Bits of the days of `month` (its first day) that fall between since and until."""
    last = month_end(month)
    low, high = max(since, month), min(until, last)
    if low > high:
        return 0
    return ((1 << high.day) - 1) & ~((1 << (low.day - 1)) - 1)


def who_is_reached_from_counts(
    counts: dict,
    reference_year: int,
    situation_codes: list[str],
    minimum_named: int = 1,
) -> dict[str, pd.Series]:
    """Who the learners reached are (age, gender, situation, region, language), from counts
    per profile value; a learner without a profile counts as unknown."""
    reached = counts["reached"]
    unknown = reached - sum(counts["gender"].values())

    def tally(values: dict, key) -> pd.Series:
        totals: dict[str, int] = {}
        for value, count in values.items():
            name = key(value)
            totals[name] = totals.get(name, 0) + count
        if unknown:
            totals["unknown"] = totals.get("unknown", 0) + unknown
        return pd.Series(totals, dtype=int)

    ages = tally(
        counts["year_of_birth"],
        lambda year: age_band(int(year) if year is not None else None, reference_year),
    )
    genders = tally(counts["gender"], lambda gender: gender or "unknown")
    regions = tally(counts["postcode"], region_of)
    languages = tally(
        counts["first_language"], lambda language: (language or "").strip().lower() or "unknown"
    )
    known = languages.drop("unknown", errors="ignore")
    known = known[known >= minimum_named]
    top = sorted(known.index, key=lambda name: (-known[name], name))[:TOP_LANGUAGES]
    other = int(languages.drop([*top, "unknown"], errors="ignore").sum())
    languages = languages.reindex([*top, "unknown"], fill_value=0)
    languages["other"] = other
    situations: dict[str, int] = {}
    for text, count in counts["situations"].items():
        value = json.loads(text) if text else []
        for code in (value if isinstance(value, list) else []) or ["none"]:
            situations[code] = situations.get(code, 0) + count
    situations["none"] = situations.get("none", 0) + unknown
    return {
        "age": ages.reindex(AGE_BANDS, fill_value=0).astype(int),
        "gender": in_gender_order(genders[genders > 0]),
        "situation": pd.Series(situations, dtype=int)
        .reindex([*situation_codes, "none"], fill_value=0)
        .astype(int),
        "region": regions.reindex(REGIONS, fill_value=0).astype(int),
        "language": languages.reindex([*top, "other", "unknown"], fill_value=0).astype(int),
    }


def compute_from_counts(
    data: dict,
    *,
    start: date,
    end: date,
    target_learners: int | None = None,
    target_hours: int | None = None,
    situation_codes: list[str] | None = None,
    minimum_named: int = 1,
) -> dict:
    """Every indicator, unsuppressed, from counts made by the database (selectors.rollup_rows)."""
    learners = data["learners"]
    trend = pd.DataFrame(index=pd.Index(months_between(start, end), name="month"))
    trend["learners"] = pd.Series(learners["learners_by_month"], dtype=float)
    trend["new_learners"] = pd.Series(learners["new_by_month"], dtype=float)
    sessions = pd.DataFrame(data["sessions"], columns=["month", "sessions", "hours"])
    trend["sessions"] = sessions.groupby("month")["sessions"].sum()
    trend["hours"] = sessions.groupby("month")["hours"].sum()
    trend["learner_hours"] = pd.Series(data["learner_hours"], dtype=float)
    trend["modules_completed"] = pd.Series(data["completions"], dtype=float)
    trend = trend.astype(float).fillna(0)
    for column in ("learners", "new_learners", "sessions", "modules_completed"):
        trend[column] = trend[column].astype(int)
    for column in ("hours", "learner_hours"):
        trend[column] = trend[column].astype(float).round(1)

    reached = learners["learners"]
    breakdowns = who_is_reached_from_counts(
        data["profiles"], end.year, situation_codes or [], minimum_named
    )
    breakdowns["competence_area"] = pd.Series(
        {area: count for area, count in sorted(data["areas"].items()) if count}, dtype=int
    )
    breakdowns["validation_help"] = pd.Series(
        {level: learners[level] for level in HELP_LEVELS}, dtype=int
    )
    breakdowns["module_completion"] = completion_kinds(data["completion_kinds"])
    outcome = data["outcome"]
    shift = pd.Series(outcome["shifts"], dtype=int).reindex(OUTCOME_SHIFTS, fill_value=0)
    breakdowns["outcome_shift"] = shift.astype(int)
    answered = int(shift.sum())
    improved = int(shift["not_yet>alone"] + shift["with_help>alone"])
    sums = data["sums"]
    hours = round(float(sessions["hours"].sum()), 1)
    totals = {
        "age": reached,
        "gender": reached,
        "region": reached,
        "language": reached,
        "situation": None,
        "competence_area": None,
        "validation_help": None,
        "module_completion": int(breakdowns["module_completion"].sum()),
        "outcome_shift": answered,
    }
    key_figures = {
        "learners": reached,
        "new_learners": learners["new_learners"],
        "sessions": int(sessions["sessions"].sum()),
        "hours": hours,
        "learner_hours": round(float(sum(data["learner_hours"].values())), 1),
        "modules_completed": int(sum(data["completions"].values())),
        **completion_figures(breakdowns["module_completion"]),
        "modules_awaiting_trainer": int(data["modules_awaiting_trainer"]),
        "learners_validated": learners["validated"],
        "returning_learners": learners["returning_learners"],
        "active_recently": learners["active_recently"],
        "online_hours": round(float(sums["online_seconds"]) / 3600, 1),
        "online_learners": learners["online"],
        "paths_completed": int(data["paths_completed"]),
        "outcome_learners": int(outcome["learners"]),
        "outcome_answered": answered,
        "outcome_alone": improved,
        "outcome_alone_share": share(improved, answered),
        "h5p_learners": learners["h5p"],
        "h5p_answers": int(sums["h5p_answers"]),
        "h5p_average_score": average_percent(sums["h5p_score_sum"], sums["h5p_answers"]),
        "quiz_learners": learners["quiz"],
        "quiz_answers": int(sums["quiz_answers"]),
        "quiz_average_score": average_percent(sums["quiz_score_sum"], sums["quiz_answers"]),
    }
    return as_figures(
        key_figures,
        breakdowns=breakdowns,
        totals=totals,
        trend=trend,
        target_learners=target_learners,
        target_hours=target_hours,
    )
