"""The reference figures: every indicator from one row per learner and day, with pandas.

The application computes its figures from rollups (`lms.impact.indicators.compute_from_counts`
over `selectors.rollup_rows`). This module computes the same figures the direct way, from
anonymous `.values()` rows of every record (`reference_rows.impact_rows`): easy to read and
check by hand, far too slow at a regional programme's scale. The tests hold the two to the
same results (tests/lms/impact/test_rollups.py) and test the definitions here.
Nothing here hides small numbers: `privacy.protect` does that on the result of `compute`.
"""

from datetime import date, timedelta

import pandas as pd

from lms.impact.indicators import (
    AGE_BANDS,
    HELP_LEVELS,
    OUTCOME_SHIFTS,
    RECENT_DAYS,
    REGIONS,
    RETURN_DAYS,
    TOP_LANGUAGES,
    age_band,
    as_figures,
    average_percent,
    completion_figures,
    completion_kinds,
    help_of,
    in_gender_order,
    months_between,
    outcome_pairs,
    region_of,
    share,
)

COLUMNS = {
    "sessions": ["id", "association_id", "held_on", "starts_at", "ends_at"],
    "attendances": ["session_id", "held_on", "association_id", "pseudonym"],
    "statement_days": ["pseudonym", "association_id", "day"],
    "first_seen": ["pseudonym", "first_on"],
    "validations": ["pseudonym", "module_iri", "response", "day"],
    "module_areas": ["module_iri", "area"],
    "completions": ["pseudonym", "module_iri", "completed_on"],
    "module_validations": ["pseudonym", "module_iri", "response", "day"],
    "awaiting_trainer": ["pseudonym", "module_iri"],
    "online_time": ["pseudonym", "seconds"],
    "self_assessments": ["pseudonym", "module_iri", "response", "timestamp", "association_id"],
    "scores": ["pseudonym", "verb", "object_kind", "is_self_reported", "score_scaled"],
    "path_enrollments": ["pseudonym", "path_id"],
    "path_modules": ["path_id", "module_iri"],
    "path_completions": ["pseudonym", "module_iri", "completed_on"],
    "profiles": [
        "pseudonym",
        "year_of_birth",
        "gender",
        "postcode",
        "first_language",
        "situations",
    ],
}


def frame(rows: list[dict], name: str) -> pd.DataFrame:
    """A DataFrame with the declared columns, even when there are no rows."""
    return pd.DataFrame(list(rows), columns=COLUMNS[name])


def month_of(days: pd.Series) -> pd.Series:
    return pd.to_datetime(days).dt.strftime("%Y-%m")


def session_hours(sessions: pd.DataFrame) -> pd.Series:
    """Duration of each session in hours."""
    if sessions.empty:
        return pd.Series(dtype=float)
    start = pd.to_timedelta(sessions["starts_at"].astype(str))
    end = pd.to_timedelta(sessions["ends_at"].astype(str))
    return (end - start).dt.total_seconds() / 3600


def activity_days(attendances: pd.DataFrame, statement_days: pd.DataFrame) -> pd.DataFrame:
    """One row per learner and day they came to a session or did something recorded."""
    present = attendances.rename(columns={"held_on": "day"})[["pseudonym", "day"]]
    frames = [f for f in (present, statement_days[["pseudonym", "day"]]) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["pseudonym", "day"])
    both = pd.concat(frames, ignore_index=True)
    both["pseudonym"] = both["pseudonym"].astype(str)
    both["day"] = pd.to_datetime(both["day"]).dt.date
    return both.drop_duplicates().reset_index(drop=True)


def new_learners(activity: pd.DataFrame, first_seen: pd.DataFrame, start: date) -> pd.Series:
    """Learners active in the period whose first activity ever (in scope) falls in it."""
    reached = set(activity["pseudonym"])
    first = first_seen.assign(pseudonym=first_seen["pseudonym"].astype(str))
    first = first[first["pseudonym"].isin(reached)]
    first = first.groupby("pseudonym")["first_on"].min()
    first = pd.to_datetime(first).dt.date
    return first[first >= start]


def retention(activity: pd.DataFrame, end: date) -> dict[str, int]:
    """Learners who came back (3 distinct days or more) and who were active in the last 30 days."""
    days = activity.groupby("pseudonym")["day"].nunique()
    recent_from = end - timedelta(days=RECENT_DAYS - 1)
    window = (activity["day"] >= recent_from) & (activity["day"] <= end)
    recent = activity[window]["pseudonym"].nunique()
    return {"returning": int((days >= RETURN_DAYS).sum()), "active_recently": int(recent)}


def monthly_trend(
    *,
    sessions: pd.DataFrame,
    attendances: pd.DataFrame,
    activity: pd.DataFrame,
    new: pd.Series,
    completions: pd.DataFrame,
    start: date,
    end: date,
) -> pd.DataFrame:
    """Per month: learners reached, new learners, sessions, hours, learner-hours, completions."""
    months = months_between(start, end)
    trend = pd.DataFrame(index=pd.Index(months, name="month"))
    trend["learners"] = (
        activity.assign(month=month_of(activity["day"])).groupby("month")["pseudonym"].nunique()
        if not activity.empty
        else 0
    )
    trend["new_learners"] = (
        pd.Series(1, index=month_of(pd.Series(new.values))).groupby(level=0).sum()
        if not new.empty
        else 0
    )
    hours = sessions.assign(hours=session_hours(sessions), month=month_of(sessions["held_on"]))
    trend["sessions"] = hours.groupby("month")["id"].count() if not hours.empty else 0
    trend["hours"] = hours.groupby("month")["hours"].sum() if not hours.empty else 0.0
    per_learner = attendances.merge(
        hours[["id", "hours", "month"]], left_on="session_id", right_on="id"
    )
    trend["learner_hours"] = (
        per_learner.groupby("month")["hours"].sum() if not per_learner.empty else 0.0
    )
    trend["modules_completed"] = (
        completions.assign(month=month_of(completions["completed_on"])).groupby("month").size()
        if not completions.empty
        else 0
    )
    trend = trend.fillna(0)
    for column in ("learners", "new_learners", "sessions", "modules_completed"):
        trend[column] = trend[column].astype(int)
    for column in ("hours", "learner_hours"):
        trend[column] = trend[column].astype(float).round(1)
    return trend


def completions_by_kind(
    completions: pd.DataFrame, module_validations: pd.DataFrame, end: date
) -> pd.Series:
    """Modules completed, by how: "online" when no trainer had validated a step of the module
    by the end of the period, else the help level of the learner's latest validation of it.

    `module_validations` holds every trainer validation of the learners' modules, in the
    order they were recorded (timestamp, then storage).
    """
    validations = module_validations.assign(
        pseudonym=module_validations["pseudonym"].astype(str),
        day=pd.to_datetime(module_validations["day"]).dt.date,
        help=module_validations["response"].map(lambda response: help_of(response) or "unknown"),
    )
    keys = ["pseudonym", "module_iri"]
    first = validations.groupby(keys, as_index=False)["day"].min()
    latest = validations.drop_duplicates(keys, keep="last")[[*keys, "help"]]
    pairs = first[first["day"] <= end].merge(latest, on=keys)
    done = completions.assign(pseudonym=completions["pseudonym"].astype(str))
    kinds = done.merge(pairs, on=keys, how="left")["help"].fillna("online")
    return completion_kinds(kinds.value_counts().to_dict())


def competences_by_area(validations: pd.DataFrame, module_areas: pd.DataFrame) -> pd.Series:
    """Learners with at least one trainer validation in a module teaching each DigComp area."""
    joined = validations.merge(module_areas, on="module_iri")
    if joined.empty:
        return pd.Series(dtype=int)
    return joined.groupby("area")["pseudonym"].nunique().sort_index().astype(int)


def validations_by_help(validations: pd.DataFrame) -> pd.Series:
    """Learners validated at least once alone, with a little help, with a lot of help."""
    helped = validations.assign(help=validations["response"].map(help_of)).dropna(subset=["help"])
    counts = helped.groupby("help")["pseudonym"].nunique() if not helped.empty else pd.Series()
    return counts.reindex(HELP_LEVELS, fill_value=0).astype(int)


def who_is_reached(
    profiles: pd.DataFrame,
    reached: set[str],
    reference_year: int,
    situation_codes: list[str],
    minimum_named: int = 1,
) -> dict[str, pd.Series]:
    """Breakdowns of the learners reached; a learner without a profile counts as unknown."""
    people = pd.DataFrame({"pseudonym": pd.Series(sorted(reached), dtype=object)})
    known = profiles.assign(pseudonym=profiles["pseudonym"].astype(str)).drop_duplicates(
        "pseudonym"
    )
    people = people.merge(known, on="pseudonym", how="left")
    ages = people["year_of_birth"].map(lambda year: age_band(year, reference_year))
    genders = people["gender"].fillna("").replace("", "unknown")
    regions = people["postcode"].map(region_of)
    languages = people["first_language"].fillna("").str.strip().str.lower().replace("", "unknown")
    counts = languages[languages != "unknown"].value_counts()
    # Languages are typed freely: one spoken by too few people is not named, it is "other".
    counts = counts[counts >= minimum_named]
    top = sorted(counts.index, key=lambda name: (-counts[name], name))[:TOP_LANGUAGES]
    languages = languages.where(languages.isin([*top, "unknown"]), "other")
    situations = people["situations"].map(lambda value: value if isinstance(value, list) else [])
    exploded = situations.map(lambda value: value or ["none"]).explode()
    return {
        "age": ages.value_counts().reindex(AGE_BANDS, fill_value=0).astype(int),
        "gender": in_gender_order(genders.value_counts()),
        "situation": exploded.value_counts()
        .reindex([*situation_codes, "none"], fill_value=0)
        .astype(int),
        "region": regions.value_counts().reindex(REGIONS, fill_value=0).astype(int),
        "language": languages.value_counts()
        .reindex([*top, "other", "unknown"], fill_value=0)
        .astype(int),
    }


def online_time(rows: pd.DataFrame) -> dict:
    """Hours of recorded online activity, and how many learners they come from.

    Only statements that carry a duration count; an activity without one adds no time.
    """
    rows = rows.assign(seconds=pd.to_numeric(rows["seconds"], errors="coerce"))
    rows = rows[rows["seconds"] > 0]
    return {
        "online_hours": round(float(rows["seconds"].sum()) / 3600, 1),
        "online_learners": int(rows["pseudonym"].astype(str).nunique()),
    }


def paths_completed(
    enrollments: pd.DataFrame,
    path_modules: pd.DataFrame,
    completions: pd.DataFrame,
    start: date,
    end: date,
) -> int:
    """Learner and path pairs whose last missing module was completed during the period.

    `completions` holds every module the enrolled learners completed up to the end of the
    period, so a path finished earlier is not counted again, and one finished later not yet.
    """
    modules = path_modules.drop_duplicates()
    if enrollments.empty or modules.empty:
        return 0
    needed = modules.groupby("path_id")["module_iri"].nunique().rename("needed")
    enrolled = enrollments.assign(pseudonym=enrollments["pseudonym"].astype(str))
    enrolled = enrolled.drop_duplicates().merge(modules, on="path_id")
    done = completions.assign(
        pseudonym=completions["pseudonym"].astype(str),
        completed_on=pd.to_datetime(completions["completed_on"]).dt.date,
    )
    done = done.groupby(["pseudonym", "module_iri"], as_index=False)["completed_on"].min()
    reached = enrolled.merge(done, on=["pseudonym", "module_iri"])
    if reached.empty:
        return 0
    per_path = reached.groupby(["pseudonym", "path_id"]).agg(
        done=("module_iri", "nunique"), last_on=("completed_on", "max")
    )
    per_path = per_path.join(needed, on="path_id")
    finished = per_path[
        (per_path["done"] == per_path["needed"])
        & (per_path["last_on"] >= start)
        & (per_path["last_on"] <= end)
    ]
    return len(finished)


def outcome_shift(pairs: pd.DataFrame) -> pd.Series:
    """Learner and module pairs by start level → end level, every combination listed."""
    codes = pairs["before"] + ">" + pairs["after"] if not pairs.empty else pd.Series(dtype=str)
    return codes.value_counts().reindex(OUTCOME_SHIFTS, fill_value=0).astype(int)


def outcome_figures(pairs: pd.DataFrame, shift: pd.Series) -> dict:
    """Learners and pairs answered, how many pairs moved up to "alone", and their share."""
    answered = int(shift.sum())
    improved = int(shift["not_yet>alone"] + shift["with_help>alone"])
    return {
        "outcome_learners": int(pairs["pseudonym"].nunique()),
        "outcome_answered": answered,
        "outcome_alone": improved,
        "outcome_alone_share": share(improved, answered),
    }


def score_figures(scores: pd.DataFrame) -> dict:
    """Learners, answers and average score (in %): H5P apart from server-graded answers.

    H5P activities compute their score in the learner's browser (self-reported); quizzes
    and practice exercises are graded by the server (`answered`, not self-reported).
    """
    scores = scores.assign(
        pseudonym=scores["pseudonym"].astype(str),
        score_scaled=pd.to_numeric(scores["score_scaled"], errors="coerce"),
        is_self_reported=scores["is_self_reported"].fillna(False).astype(bool),
    ).dropna(subset=["score_scaled"])
    h5p = scores[(scores["object_kind"] == "h5p") & scores["is_self_reported"]]
    graded = scores[(scores["verb"] == "answered") & ~scores["is_self_reported"]]
    result = {}
    for prefix, rows in (("h5p", h5p), ("quiz", graded)):
        result[f"{prefix}_learners"] = int(rows["pseudonym"].nunique())
        result[f"{prefix}_answers"] = len(rows)
        result[f"{prefix}_average_score"] = average_percent(rows["score_scaled"].sum(), len(rows))
    return result


def compute(
    data: dict[str, list[dict]],
    *,
    start: date,
    end: date,
    target_learners: int | None = None,
    target_hours: int | None = None,
    situation_codes: list[str] | None = None,
    as_of: date | None = None,
    minimum_named: int = 1,
) -> dict:
    """Every indicator, unsuppressed, as plain JSON-ready values."""
    sessions = frame(data.get("sessions", []), "sessions")
    attendances = frame(data.get("attendances", []), "attendances")
    attendances["pseudonym"] = attendances["pseudonym"].astype(str)
    statement_days = frame(data.get("statement_days", []), "statement_days")
    validations = frame(data.get("validations", []), "validations")
    validations["pseudonym"] = validations["pseudonym"].astype(str)
    completions = frame(data.get("completions", []), "completions")
    activity = activity_days(attendances, statement_days)
    reached = set(activity["pseudonym"])
    new = new_learners(activity, frame(data.get("first_seen", []), "first_seen"), start)
    trend = monthly_trend(
        sessions=sessions,
        attendances=attendances,
        activity=activity,
        new=new,
        completions=completions,
        start=start,
        end=end,
    )
    hours = round(float(session_hours(sessions).sum()), 1)
    per_session = sessions.assign(hours=session_hours(sessions))[["id", "hours"]]
    learner_hours = attendances.merge(per_session, left_on="session_id", right_on="id")
    learner_hours = round(float(learner_hours["hours"].sum()), 1)
    # A period that is not over yet: "the last 30 days" end today, not at its future end.
    kept = retention(activity, min(end, as_of) if as_of else end)
    breakdowns = who_is_reached(
        frame(data.get("profiles", []), "profiles"),
        reached,
        end.year,
        situation_codes or [],
        minimum_named,
    )
    breakdowns["competence_area"] = competences_by_area(
        validations, frame(data.get("module_areas", []), "module_areas")
    )
    breakdowns["validation_help"] = validations_by_help(validations)
    breakdowns["module_completion"] = completions_by_kind(
        completions, frame(data.get("module_validations", []), "module_validations"), end
    )
    pairs = outcome_pairs(
        frame(data.get("self_assessments", []), "self_assessments"),
        start,
        end,
        data.get("association_ids"),
    )
    breakdowns["outcome_shift"] = outcome_shift(pairs)
    totals = {
        "age": len(reached),
        "gender": len(reached),
        "region": len(reached),
        "language": len(reached),
        # A learner may be in several situations or areas: no total that cells add up to.
        "situation": None,
        "competence_area": None,
        "validation_help": None,
        # Each module completed is done online or validated, once.
        "module_completion": len(completions),
        # Every learner and module pair has exactly one start and one end level.
        "outcome_shift": len(pairs),
    }
    key_figures = {
        "learners": len(reached),
        "new_learners": len(new),
        "sessions": len(sessions),
        "hours": hours,
        "learner_hours": learner_hours,
        "modules_completed": len(completions),
        **completion_figures(breakdowns["module_completion"]),
        "modules_awaiting_trainer": len(
            frame(data.get("awaiting_trainer", []), "awaiting_trainer").drop_duplicates()
        ),
        "learners_validated": int(validations["pseudonym"].nunique()),
        "returning_learners": kept["returning"],
        "active_recently": kept["active_recently"],
        **online_time(frame(data.get("online_time", []), "online_time")),
        "paths_completed": paths_completed(
            frame(data.get("path_enrollments", []), "path_enrollments"),
            frame(data.get("path_modules", []), "path_modules"),
            frame(data.get("path_completions", []), "path_completions"),
            start,
            end,
        ),
        **outcome_figures(pairs, breakdowns["outcome_shift"]),
        **score_figures(frame(data.get("scores", []), "scores")),
    }
    return as_figures(
        key_figures,
        breakdowns=breakdowns,
        totals=totals,
        trend=trend,
        target_learners=target_learners,
        target_hours=target_hours,
    )
