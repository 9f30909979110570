"""Indicators: pure pandas functions on small hand-made rows with known answers."""

import datetime
import json
from datetime import time

import pandas as pd
import pytest

from lms.impact import indicators

START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 3, 31)
A, B, C, D = "aaaa", "bbbb", "cccc", "dddd"
IRI_EMAIL = "https://example.org/modules/email"
IRI_EID = "https://example.org/modules/eid"


def d(month, day):
    return datetime.date(2026, month, day)


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
    }


@pytest.fixture
def figures():
    return indicators.compute(
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
    figures = indicators.compute(rows(), start=START, end=END, as_of=d(2, 10))
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
    assert breakdown(figures, "gender") == {"man": 1, "unknown": 2, "woman": 1}
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


def test_no_rows_at_all_gives_zeros():
    figures = indicators.compute({}, start=START, end=END)
    assert set(figures["key_figures"].values()) == {0}
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
    result = indicators.who_is_reached(profiles, set(profiles["pseudonym"]), 2026, [])
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
    result = indicators.who_is_reached(
        profiles, set(profiles["pseudonym"]), 2026, [], minimum_named=5
    )
    assert result["language"].to_dict() == {"fr": 5, "other": 1, "unknown": 0}
