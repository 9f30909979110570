"""Small-number suppression: no displayed or exported figure reveals fewer than 5 people."""

import datetime
from datetime import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.impact import exports, indicators, privacy

MINIMUM = 5
START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 4, 30)
PEOPLE_TREND_COLUMNS = ("learners", "new_learners", "modules_completed")
ADDITIVE = ("age", "gender", "region", "language")


def test_a_count_under_the_threshold_is_hidden_and_zero_is_shown():
    assert privacy.hide_small(0, MINIMUM) == 0
    assert privacy.hide_small(1, MINIMUM) is None
    assert privacy.hide_small(4, MINIMUM) is None
    assert privacy.hide_small(5, MINIMUM) == 5


def test_one_hidden_cell_hides_the_next_smallest_too():
    cells, total = privacy.protect_cells([20, 3, 9, 0, 12], 44, MINIMUM)
    assert cells == [20, None, None, 0, 12]
    assert total == 44


def test_hidden_cells_adding_up_to_under_the_threshold_hide_more():
    cells, total = privacy.protect_cells([1, 2, 30, 6], 39, MINIMUM)
    # 1 + 2 = 3 could be worked out from the total: the next smallest (6) goes too.
    assert cells == [None, None, 30, None]
    assert total == 39


def test_when_nothing_else_can_be_hidden_the_total_is_hidden():
    cells, total = privacy.protect_cells([3, 0, 0], 3, MINIMUM)
    assert cells == [None, 0, 0]
    assert total is None


def test_nothing_is_hidden_when_every_count_is_large_enough():
    assert privacy.protect_cells([5, 0, 12], 17, MINIMUM) == ([5, 0, 12], 17)


def assert_breakdown_is_safe(cells, shown, total, total_shown):
    for value in shown:
        assert value is None or value == 0 or value >= MINIMUM
    assert total_shown is None or total_shown == 0 or total_shown >= MINIMUM
    hidden = [raw for raw, value in zip(cells, shown, strict=True) if value is None]
    if total_shown is not None and hidden:
        residual = total_shown - sum(value for value in shown if value is not None)
        # What can be worked out by subtraction is a sum of at least two cells, never < 5.
        assert residual >= MINIMUM
        assert len(hidden) >= 2


@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=8))
def test_no_breakdown_can_be_undone_by_subtraction_from_its_total(cells):
    total = sum(cells)
    shown, total_shown = privacy.protect_cells(cells, total, MINIMUM)
    assert_breakdown_is_safe(cells, shown, total, total_shown)
    assert [value for value in shown if value is not None] == [
        raw for raw, value in zip(cells, shown, strict=True) if value is not None
    ]


person = st.fixed_dictionaries(
    {
        "sessions": st.sets(st.integers(min_value=0, max_value=5), max_size=4),
        "active_days": st.sets(st.integers(min_value=0, max_value=110), max_size=4),
        "first_before": st.booleans(),
        "year_of_birth": st.one_of(st.none(), st.integers(min_value=1930, max_value=2008)),
        "gender": st.sampled_from(["", "woman", "man", "other", "unsaid"]),
        "postcode": st.sampled_from(["", "1000", "1400", "2000", "4000", "9000", "0100"]),
        "language": st.sampled_from(["", "fr", "ar", "tr", "nl", "es", "uk", "it"]),
        "situations": st.lists(st.sampled_from(["job_seeker", "senior", "cpas"]), unique=True),
        "validations": st.lists(
            st.tuples(
                st.sampled_from(["m1", "m2", "m3"]),
                st.sampled_from(["alone", "little_help", "lot_of_help"]),
            ),
            max_size=3,
        ),
        "completions": st.sets(st.sampled_from(["m1", "m2", "m3"]), max_size=3),
    }
)


def population_rows(people):
    sessions = [
        {
            "id": number,
            "association_id": 1,
            "held_on": START + datetime.timedelta(days=20 * number),
            "starts_at": time(9),
            "ends_at": time(11, 30),
        }
        for number in range(6)
    ]
    rows = {"sessions": sessions, "attendances": [], "statement_days": [], "first_seen": []}
    rows.update(validations=[], completions=[], profiles=[])
    rows["module_areas"] = [
        {"module_iri": "m1", "area": "1"},
        {"module_iri": "m2", "area": "2"},
        {"module_iri": "m2", "area": "3"},
        {"module_iri": "m3", "area": "3"},
    ]
    for index, data in enumerate(people):
        pseudonym = f"p{index}"
        days = [START + datetime.timedelta(days=offset) for offset in data["active_days"]]
        for number in data["sessions"]:
            session = sessions[number]
            days.append(session["held_on"])
            rows["attendances"].append(
                {
                    "session_id": number,
                    "held_on": session["held_on"],
                    "association_id": 1,
                    "pseudonym": pseudonym,
                }
            )
        rows["statement_days"] += [
            {"pseudonym": pseudonym, "association_id": 1, "day": day} for day in days
        ]
        if days:
            first = min(days) - datetime.timedelta(days=400 if data["first_before"] else 0)
            rows["first_seen"].append({"pseudonym": pseudonym, "first_on": first})
        day = min(days) if days else START
        rows["validations"] += [
            {"pseudonym": pseudonym, "module_iri": module, "response": {"help": help_}, "day": day}
            for module, help_ in data["validations"]
        ]
        rows["completions"] += [
            {"pseudonym": pseudonym, "module_iri": module, "completed_on": day}
            for module in data["completions"]
        ]
        rows["profiles"].append(
            {
                "pseudonym": pseudonym,
                "year_of_birth": data["year_of_birth"],
                "gender": data["gender"],
                "postcode": data["postcode"],
                "first_language": data["language"],
                "situations": data["situations"],
            }
        )
    return rows


def is_safe_count(value):
    return value is None or value == 0 or value >= MINIMUM


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(person, max_size=14))
def test_no_displayed_or_exported_figure_reveals_fewer_than_five_people(people):
    raw = indicators.compute(
        population_rows(people),
        start=START,
        end=END,
        target_learners=50,
        target_hours=20,
        situation_codes=["job_seeker", "senior", "cpas"],
    )
    safe = privacy.protect(raw, minimum=MINIMUM)

    for key, value in safe["key_figures"].items():
        if privacy.KEY_FIGURES[key].counts_people:
            assert is_safe_count(value), key
    assert is_safe_count(safe["targets"]["learners"]["value"])

    for key, breakdown in safe["breakdowns"].items():
        cells = [count for _code, count in raw["breakdowns"][key]["rows"]]
        shown = [value for _code, value in breakdown["rows"]]
        total = raw["breakdowns"][key]["total"]
        assert_breakdown_is_safe(cells, shown, total, breakdown["total"])
        if key in ADDITIVE:
            # The key figure "learners reached" is the same total: subtracting from it
            # must not give a hidden count back either.
            assert_breakdown_is_safe(cells, shown, total, safe["key_figures"]["learners"])

    for column in PEOPLE_TREND_COLUMNS:
        for row in safe["trend"]:
            assert is_safe_count(row[column]), column
    for column in ("new_learners", "modules_completed"):
        cells = [row[column] for row in raw["trend"]]
        shown = [row[column] for row in safe["trend"]]
        assert_breakdown_is_safe(cells, shown, sum(cells), safe["key_figures"][column])

    # Exports are built from the same suppressed figures: a hidden count stays hidden.
    for table in exports.tables(safe):
        if table.key in ("key_figures", "targets"):
            continue
        people_columns = [1] if table.key != "trend" else [1, 2, 6]
        for row in table.rows:
            for column in people_columns:
                assert is_safe_count(row[column]), (table.key, row)


def test_text_typed_by_people_cannot_run_as_a_spreadsheet_formula():
    assert exports.cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert exports.cell("français") == "français"
    assert exports.cell(None) == "< 5"
    assert exports.cell(12) == 12
