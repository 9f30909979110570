"""Indicators: the reference computation (tests/lms/impact/reference_indicators.py) and the
shared pure functions, on small hand-made rows with known answers."""

import datetime
import json
from datetime import time

import pandas as pd
import pytest

from lms.impact import indicators
from tests.lms.impact import reference_indicators

START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 3, 31)
A, B, C, D = "aaaa", "bbbb", "cccc", "dddd"
IRI_EMAIL = "https://example.org/modules/email"
IRI_EID = "https://example.org/modules/eid"


def d(month, day):
    return datetime.date(2026, month, day)


def at(month, day, hour=10):
    return datetime.datetime(2026, month, day, hour, tzinfo=datetime.UTC)


def assessed(pseudonym, module_iri, phase, level, when):
    return {
        "pseudonym": pseudonym,
        "module_iri": module_iri,
        "response": {"phase": phase, "level": level},
        "timestamp": when,
    }


def scored(pseudonym, kind, score, *, verb="answered", self_reported=False):
    return {
        "pseudonym": pseudonym,
        "verb": verb,
        "object_kind": kind,
        "is_self_reported": self_reported,
        "score_scaled": score,
    }


def rows():
    return {
        "sessions": [
            {
                "id": 1,
                "association_id": 1,
                "held_on": d(1, 5),
                "starts_at": time(9, 30),
                "ends_at": time(12),
            },
            {
                "id": 2,
                "association_id": 1,
                "held_on": d(2, 2),
                "starts_at": time(13, 30),
                "ends_at": time(16),
            },
            {
                "id": 3,
                "association_id": 2,
                "held_on": d(3, 10),
                "starts_at": time(9),
                "ends_at": time(10),
            },
        ],
        "attendances": [
            {"session_id": 1, "held_on": d(1, 5), "association_id": 1, "pseudonym": A},
            {"session_id": 1, "held_on": d(1, 5), "association_id": 1, "pseudonym": B},
            {"session_id": 2, "held_on": d(2, 2), "association_id": 1, "pseudonym": A},
            {"session_id": 3, "held_on": d(3, 10), "association_id": 2, "pseudonym": C},
        ],
        "statement_days": [
            {"pseudonym": A, "association_id": 1, "day": d(3, 20)},
            {"pseudonym": D, "association_id": 2, "day": d(3, 25)},
            {"pseudonym": A, "association_id": 1, "day": d(2, 2)},  # same day as a session
        ],
        "first_seen": [
            {"pseudonym": A, "first_on": datetime.date(2025, 11, 3)},  # came before the period
            {"pseudonym": B, "first_on": d(1, 5)},
            {"pseudonym": C, "first_on": d(3, 10)},
            {"pseudonym": D, "first_on": d(3, 25)},
            {"pseudonym": D, "first_on": d(3, 27)},  # the earliest of several rows counts
        ],
        "validations": [
            {
                "pseudonym": A,
                "module_iri": IRI_EMAIL,
                "response": {"help": "alone"},
                "day": d(1, 5),
            },
            {
                "pseudonym": A,
                "module_iri": IRI_EMAIL,
                "response": {"help": "little_help"},
                "day": d(2, 2),
            },
            {
                "pseudonym": B,
                "module_iri": IRI_EID,
                "response": {"help": "lot_of_help"},
                "day": d(1, 5),
            },
            {
                "pseudonym": C,
                "module_iri": "https://example.org/modules/gone",
                "response": None,
                "day": d(3, 10),
            },
        ],
        "module_areas": [
            {"module_iri": IRI_EMAIL, "area": "2"},
            {"module_iri": IRI_EMAIL, "area": "4"},
            {"module_iri": IRI_EID, "area": "4"},
        ],
        "completions": [
            {"pseudonym": A, "module_iri": IRI_EMAIL, "completed_on": d(2, 2)},
            {"pseudonym": B, "module_iri": IRI_EID, "completed_on": d(2, 3)},
        ],
        "profiles": [
            {
                "pseudonym": A,
                "year_of_birth": 2004,
                "gender": "woman",
                "postcode": "1030",
                "first_language": "Arabe",
                "situations": ["job_seeker", "newcomer"],
            },
            {
                "pseudonym": B,
                "year_of_birth": 1960,
                "gender": "man",
                "postcode": "4000",
                "first_language": "français",
                "situations": [],
            },
            {
                "pseudonym": C,
                "year_of_birth": None,
                "gender": "",
                "postcode": "9000",
                "first_language": "",
                "situations": ["senior"],
            },
            # D has no profile at all: counted as unknown everywhere.
        ],
        "online_time": [
            {"pseudonym": A, "seconds": 1800},
            {"pseudonym": A, "seconds": 1800},
            {"pseudonym": B, "seconds": 5400},
            {"pseudonym": C, "seconds": 0},  # a zero duration adds no time and no learner
        ],
        "path_modules": [
            {"path_id": 10, "module_iri": IRI_EMAIL},
            {"path_id": 10, "module_iri": IRI_EID},
            {"path_id": 20, "module_iri": IRI_EMAIL},
            {"path_id": 30, "module_iri": "https://example.org/modules/gone"},
        ],
        "path_enrollments": [
            {"pseudonym": A, "path_id": 10},
            {"pseudonym": A, "path_id": 20},
            {"pseudonym": B, "path_id": 10},
            {"pseudonym": C, "path_id": 20},
            {"pseudonym": D, "path_id": 30},
        ],
        "path_completions": [
            {"pseudonym": A, "module_iri": IRI_EMAIL, "completed_on": d(2, 2)},
            {"pseudonym": A, "module_iri": IRI_EID, "completed_on": d(3, 1)},
            {"pseudonym": B, "module_iri": IRI_EID, "completed_on": d(2, 3)},
            # B finishes the e-mail module, and so path 10, after the period.
            {"pseudonym": B, "module_iri": IRI_EMAIL, "completed_on": datetime.date(2026, 4, 5)},
            # C finished path 20 before the period: not counted again.
            {"pseudonym": C, "module_iri": IRI_EMAIL, "completed_on": datetime.date(2025, 12, 1)},
        ],
        "self_assessments": [
            # A, e-mail: earliest start "not yet", latest end "alone" → moved to alone.
            assessed(A, IRI_EMAIL, "start", "not_yet", at(1, 5)),
            assessed(A, IRI_EMAIL, "start", "with_help", at(1, 6)),
            assessed(A, IRI_EMAIL, "end", "with_help", at(2, 2)),
            assessed(A, IRI_EMAIL, "end", "alone", at(3, 20)),
            # A, eID: not yet at both ends.
            assessed(A, IRI_EID, "start", "not_yet", at(2, 2)),
            assessed(A, IRI_EID, "end", "not_yet", at(2, 3)),
            # B, eID: with help → alone.
            assessed(B, IRI_EID, "start", "with_help", at(1, 5)),
            assessed(B, IRI_EID, "end", "alone", at(2, 3)),
            # B, e-mail: the start answer is malformed, so there is no pair.
            {
                "pseudonym": B,
                "module_iri": IRI_EMAIL,
                "response": {"phase": "start", "level": "maybe"},
                "timestamp": at(1, 5),
            },
            assessed(B, IRI_EMAIL, "end", "alone", at(2, 3)),
            # C, e-mail: the end answer comes before the start answer: no pair.
            assessed(C, IRI_EMAIL, "end", "alone", at(3, 10, 9)),
            assessed(C, IRI_EMAIL, "start", "with_help", at(3, 10, 10)),
            # D, eID: alone at both ends (nothing to move).
            assessed(D, IRI_EID, "start", "alone", at(3, 25)),
            assessed(D, IRI_EID, "end", "alone", at(3, 26)),
        ],
        "scores": [
            scored(A, "h5p", 0.5, self_reported=True),
            scored(A, "h5p", 1.0, self_reported=True),
            scored(B, "h5p", 0.75, verb="completed", self_reported=True),
            scored(A, "quiz", 1.0),
            scored(C, "practice_form", 0.6),
            scored(D, "quiz", 0.0),
            scored(D, "quiz", 1.0, verb="completed"),  # not an answer: not counted
            scored(B, "quiz", None),  # no score: not counted
        ],
    }


@pytest.fixture
def figures():
    return reference_indicators.compute(
        rows(),
        start=START,
        end=END,
        target_learners=8,
        target_hours=10,
        situation_codes=["job_seeker", "senior", "newcomer"],
    )


def test_learners_reached_counts_attendance_and_activity_once_each(figures):
    assert figures["key_figures"]["learners"] == 4


def test_new_learners_are_those_first_seen_in_the_period(figures):
    assert figures["key_figures"]["new_learners"] == 3


def test_sessions_hours_and_learner_hours(figures):
    key = figures["key_figures"]
    assert key["sessions"] == 3
    assert key["hours"] == 6.0  # 2.5 + 2.5 + 1
    assert key["learner_hours"] == 8.5  # 2 x 2.5 + 1 x 2.5 + 1 x 1


def test_modules_completed_and_learners_validated(figures):
    assert figures["key_figures"]["modules_completed"] == 2
    assert figures["key_figures"]["learners_validated"] == 3


def test_retention_counts_distinct_days_and_the_last_thirty_days(figures):
    # A: 5 Jan, 2 Feb, 20 Mar → 3 distinct days; last 30 days = 2 to 31 March: A, C, D.
    assert figures["key_figures"]["returning_learners"] == 1
    assert figures["key_figures"]["active_recently"] == 3


def test_active_recently_ends_today_when_the_period_is_not_over():
    figures = reference_indicators.compute(rows(), start=START, end=END, as_of=d(2, 10))
    assert figures["key_figures"]["active_recently"] == 1  # only A, 12 Jan to 10 Feb


def breakdown(figures, key):
    return dict(figures["breakdowns"][key]["rows"])


def test_competences_by_area_count_learners_through_the_module(figures):
    # A validated in e-mail (areas 2 and 4), B in eID (area 4); C's module teaches nothing known.
    assert breakdown(figures, "competence_area") == {"2": 1, "4": 2}


def test_validations_by_help_count_learners_per_level(figures):
    assert breakdown(figures, "validation_help") == {"alone": 1, "little_help": 1, "lot_of_help": 1}


def test_age_bands_at_the_end_of_the_period(figures):
    assert breakdown(figures, "age") == {
        "under_25": 1,
        "25_44": 0,
        "45_64": 0,
        "65_plus": 1,
        "unknown": 2,
    }
    assert figures["breakdowns"]["age"]["total"] == 4


def test_gender_region_language_and_situation(figures):
    assert breakdown(figures, "gender") == {
        "woman": 1,
        "man": 1,
        "other": 0,
        "unsaid": 0,
        "unknown": 2,
    }
    # In the order the sign-up form lists them, not by count or code.
    assert [code for code, _count in figures["breakdowns"]["gender"]["rows"]] == [
        "woman",
        "man",
        "other",
        "unsaid",
        "unknown",
    ]
    assert breakdown(figures, "region") == {
        "brussels": 1,
        "wallonia": 1,
        "flanders": 1,
        "unknown": 1,
    }
    assert breakdown(figures, "language") == {"arabe": 1, "français": 1, "other": 0, "unknown": 2}
    assert breakdown(figures, "situation") == {
        "job_seeker": 1,
        "senior": 1,
        "newcomer": 1,
        "none": 2,
    }


def test_trend_by_month(figures):
    trend = {row["month"]: row for row in figures["trend"]}
    assert list(trend) == ["2026-01", "2026-02", "2026-03"]
    assert [trend[m]["learners"] for m in trend] == [2, 1, 3]
    assert [trend[m]["new_learners"] for m in trend] == [1, 0, 2]
    assert [trend[m]["sessions"] for m in trend] == [1, 1, 1]
    assert [trend[m]["hours"] for m in trend] == [2.5, 2.5, 1.0]
    assert [trend[m]["learner_hours"] for m in trend] == [5.0, 2.5, 1.0]
    assert [trend[m]["modules_completed"] for m in trend] == [0, 2, 0]


def test_targets_keep_value_and_target(figures):
    assert figures["targets"] == {
        "learners": {"value": 4, "target": 8},
        "hours": {"value": 6.0, "target": 10},
    }


def test_figures_are_plain_json(figures):
    assert json.loads(json.dumps(figures)) == figures


def test_online_learning_time_sums_recorded_durations_only(figures):
    assert figures["key_figures"]["online_hours"] == 2.5  # (1800 + 1800 + 5400) s
    assert figures["key_figures"]["online_learners"] == 2


def test_a_path_counts_when_its_last_module_is_completed_in_the_period(figures):
    # A: path 10 (last module 1 March) and path 20 (2 Feb). B finishes path 10 in April,
    # C finished path 20 in December, D's path lists a module that is gone.
    assert figures["key_figures"]["paths_completed"] == 2


def test_outcome_shift_pairs_the_earliest_start_with_the_latest_end_after_it(figures):
    key = figures["key_figures"]
    assert key["outcome_learners"] == 3  # A (two modules), B and D
    assert key["outcome_answered"] == 4
    assert key["outcome_alone"] == 2
    assert key["outcome_alone_share"] == 50.0
    assert breakdown(figures, "outcome_shift") == {
        "not_yet>not_yet": 1,
        "not_yet>with_help": 0,
        "not_yet>alone": 1,
        "with_help>not_yet": 0,
        "with_help>with_help": 0,
        "with_help>alone": 1,
        "alone>not_yet": 0,
        "alone>with_help": 0,
        "alone>alone": 1,
    }
    assert figures["breakdowns"]["outcome_shift"]["total"] == 4


def test_h5p_scores_are_kept_apart_from_server_graded_scores(figures):
    key = figures["key_figures"]
    assert (key["h5p_learners"], key["h5p_answers"], key["h5p_average_score"]) == (2, 3, 75.0)
    assert (key["quiz_learners"], key["quiz_answers"], key["quiz_average_score"]) == (3, 3, 53.3)


def test_no_rows_at_all_gives_zeros():
    figures = reference_indicators.compute({}, start=START, end=END)
    averages = {"outcome_alone_share", "h5p_average_score", "quiz_average_score"}
    # An average or a share of nothing is no figure at all, not zero.
    assert {figures["key_figures"][key] for key in averages} == {None}
    assert {v for k, v in figures["key_figures"].items() if k not in averages} == {0}
    assert all(row["learners"] == 0 for row in figures["trend"])
    assert json.dumps(figures)


@pytest.mark.parametrize(
    ("postcode", "region"),
    [
        ("1000", "brussels"),
        ("1299", "brussels"),
        ("1300", "wallonia"),
        ("1499", "wallonia"),
        ("1500", "flanders"),
        ("3999", "flanders"),
        ("4000", "wallonia"),
        ("7999", "wallonia"),
        ("8000", "flanders"),
        ("9999", "flanders"),
        ("0999", "unknown"),
        ("", "unknown"),
        (None, "unknown"),
        ("L-1", "unknown"),
    ],
)
def test_region_from_postcode(postcode, region):
    assert indicators.region_of(postcode) == region


@pytest.mark.parametrize(
    ("year", "band"),
    [
        (2002, "under_25"),
        (2001, "25_44"),
        (1982, "25_44"),
        (1981, "45_64"),
        (1962, "45_64"),
        (1961, "65_plus"),
        (None, "unknown"),
    ],
)
def test_age_band_boundaries(year, band):
    assert indicators.age_band(year, 2026) == band


def test_top_five_languages_then_other():
    profiles = pd.DataFrame(
        [
            {
                "pseudonym": str(i),
                "year_of_birth": None,
                "gender": "",
                "postcode": "",
                "first_language": language,
                "situations": [],
            }
            for i, language in enumerate(["fr"] * 3 + ["ar"] * 2 + ["tr", "es", "it", "pt", "uk"])
        ]
    )
    result = reference_indicators.who_is_reached(profiles, set(profiles["pseudonym"]), 2026, [])
    assert result["language"].to_dict() == {
        "fr": 3,
        "ar": 2,
        "es": 1,
        "it": 1,
        "pt": 1,
        "other": 2,
        "unknown": 0,
    }


def test_a_language_spoken_by_too_few_people_is_not_named():
    profiles = pd.DataFrame(
        [
            {
                "pseudonym": str(i),
                "year_of_birth": None,
                "gender": "",
                "postcode": "",
                "first_language": language,
                "situations": [],
            }
            for i, language in enumerate(["fr"] * 5 + ["kinyarwanda"])
        ]
    )
    result = reference_indicators.who_is_reached(
        profiles, set(profiles["pseudonym"]), 2026, [], minimum_named=5
    )
    assert result["language"].to_dict() == {"fr": 5, "other": 1, "unknown": 0}
