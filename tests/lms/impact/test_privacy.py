"""Small-number suppression: no displayed or exported figure reveals fewer than 5 people.

Just over 500 lines: each figure and breakdown gets a hand-made case with its known answer,
and property tests (hypothesis) try many more; splitting them would part each rule from
the cases that show it.
"""

import datetime
from datetime import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.impact import exports, privacy
from tests.lms.impact import reference_indicators

MINIMUM = 5
START = datetime.date(2026, 1, 1)
END = datetime.date(2026, 4, 30)
PEOPLE_TREND_COLUMNS = ("learners", "new_learners", "modules_completed")
ADDITIVE = ("age", "gender", "region", "language")
LEVELS = ["not_yet", "with_help", "alone"]
IMPROVED = ("not_yet>alone", "with_help>alone")


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


def possible_values(index, shown, small, rest, minimum):
    """Every value a reader could give the hidden cell `index`, knowing the shown cells, that
    the hidden ones add up to `rest`, that a "fewer than" cell is 1 to minimum - 1 and,
    knowing the rule, that a masked cell beside one is at least the minimum."""
    hidden = [i for i, value in enumerate(shown) if value is None]
    others = [i for i in hidden if i != index]
    masked_low = minimum if small else 0
    low = sum(1 if i in small else masked_low for i in others)
    high = sum(minimum - 1 if i in small else rest for i in others)
    labelled = range(1, minimum) if index in small else range(masked_low, rest + 1)
    return [value for value in labelled if low <= rest - value <= high]


@settings(max_examples=400, deadline=None)
@given(
    cells=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=7),
    minimum=st.integers(min_value=3, max_value=6),
    additive=st.booleans(),
    shown_elsewhere=st.booleans(),
)
def test_suppressed_cells_never_lie_and_never_give_a_hidden_count_back(
    cells, minimum, additive, shown_elsewhere
):
    total = sum(cells) if additive else None
    # As for "learners reached": a total shown elsewhere is shown because it is not small.
    shown_elsewhere = shown_elsewhere and additive and total >= minimum
    result = privacy.suppress_cells(cells, total, minimum, total_shown_elsewhere=shown_elsewhere)

    for index, (value, shown) in enumerate(zip(cells, result.cells, strict=True)):
        if shown is not None:
            assert shown == value
            assert value == 0 or value >= minimum
        elif index in result.small:
            assert 0 < value < minimum  # "fewer than 5" is true
        # else "masked": it claims nothing about the value
    if result.total is not None:
        assert result.total == sum(cells)  # every shown total is the sum it claims
    if result.total_small:
        assert 0 < total < minimum

    known_total = result.total if result.total is not None else (total if shown_elsewhere else None)
    hidden = [i for i, shown in enumerate(result.cells) if shown is None]
    if known_total is not None and hidden:
        rest = known_total - sum(value for value in result.cells if value is not None)
        assert len(hidden) >= 2 and rest >= minimum
        for index in hidden:
            values = possible_values(index, result.cells, result.small, rest, minimum)
            assert cells[index] in values
            assert len(values) >= 2, (index, values)


def test_two_fours_adding_up_to_eight_are_not_both_called_fewer_than_five():
    # 4 + 4 = 8 under "fewer than 5" each would give both back: 30 is masked too.
    result = privacy.suppress_cells([4, 4, 30], 38, MINIMUM)
    assert result.cells == [None, None, None]
    assert result.small == {0, 1}
    assert result.total == 38


def test_when_the_total_is_shown_elsewhere_the_labels_give_no_bound_away():
    # 1 "fewer than 5" and 5 masked (so 5 or more), adding up to 6, would give the 1 back.
    result = privacy.suppress_cells([5, 1, 0], 6, MINIMUM, total_shown_elsewhere=True)
    assert result.cells == [None, None, None]
    assert result.small == set()
    assert result.total == 6
    alone = privacy.suppress_cells([5, 1, 0], 6, MINIMUM)
    assert alone.total is None and alone.small == {1}


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
        # Modules a trainer validated (a step of), with the help recorded ("" for none).
        "module_validations": st.lists(
            st.tuples(
                st.sampled_from(["m1", "m2", "m3"]),
                st.sampled_from(["alone", "little_help", "lot_of_help", ""]),
            ),
            max_size=3,
        ),
        "awaiting": st.sets(st.sampled_from(["m1", "m2", "m3"]), max_size=2),
        "online_seconds": st.one_of(st.none(), st.integers(min_value=0, max_value=7200)),
        "enrolled": st.booleans(),
        "assessments": st.lists(
            st.tuples(
                st.sampled_from(["m1", "m2", "m3"]),
                st.sampled_from(LEVELS),
                st.sampled_from(LEVELS),
            ),
            max_size=3,
        ),
        "h5p_scores": st.lists(st.floats(min_value=0, max_value=1), max_size=3),
        "quiz_scores": st.lists(st.floats(min_value=0, max_value=1), max_size=3),
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
    rows.update(module_validations=[], awaiting_trainer=[])
    rows.update(online_time=[], self_assessments=[], scores=[])
    rows.update(path_enrollments=[], path_completions=[])
    rows["path_modules"] = [{"path_id": 1, "module_iri": "m1"}, {"path_id": 1, "module_iri": "m2"}]
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
        rows["module_validations"] += [
            {"pseudonym": pseudonym, "module_iri": module, "response": {"help": help_}, "day": day}
            for module, help_ in data["module_validations"]
        ]
        rows["awaiting_trainer"] += [
            {"pseudonym": pseudonym, "module_iri": module} for module in data["awaiting"]
        ]
        if data["online_seconds"] is not None:
            rows["online_time"].append({"pseudonym": pseudonym, "seconds": data["online_seconds"]})
        if data["enrolled"]:
            rows["path_enrollments"].append({"pseudonym": pseudonym, "path_id": 1})
            rows["path_completions"] += [
                {"pseudonym": pseudonym, "module_iri": module, "completed_on": day}
                for module in data["completions"]
            ]
        moment = datetime.datetime.combine(day, time(9), tzinfo=datetime.UTC)
        for module, before, after in data["assessments"]:
            for phase, level, hour in (("start", before, 0), ("end", after, 1)):
                rows["self_assessments"].append(
                    {
                        "pseudonym": pseudonym,
                        "module_iri": module,
                        "response": {"phase": phase, "level": level},
                        "timestamp": moment + datetime.timedelta(hours=hour),
                    }
                )
        rows["scores"] += [
            {
                "pseudonym": pseudonym,
                "verb": "answered",
                "object_kind": "h5p",
                "is_self_reported": True,
                "score_scaled": score,
            }
            for score in data["h5p_scores"]
        ] + [
            {
                "pseudonym": pseudonym,
                "verb": "answered",
                "object_kind": "quiz",
                "is_self_reported": False,
                "score_scaled": score,
            }
            for score in data["quiz_scores"]
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
    return value is None or isinstance(value, exports.Hidden) or value == 0 or value >= MINIMUM


def raw_value(raw: dict, where: str):
    """The unsuppressed figure at a `privacy.place`."""
    section, *rest = where.split("/")
    if section == "key_figures":
        return raw["key_figures"][rest[0]]
    if section == "targets":
        return raw["targets"][rest[0]]["value"]
    if section == "breakdowns":
        breakdown = raw["breakdowns"][rest[0]]
        return breakdown["total"] if rest[1] == privacy.TOTAL else dict(breakdown["rows"])[rest[1]]
    month, column = rest
    return next(row[column] for row in raw["trend"] if row["month"] == month)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(person, max_size=14))
def test_no_displayed_or_exported_figure_reveals_fewer_than_five_people(people):
    raw = reference_indicators.compute(
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

    # Averages, shares and counts of answers: hidden with the people they are computed over.
    for key, value in safe["key_figures"].items():
        for base in privacy.KEY_FIGURES[key].hidden_with:
            if 0 < raw["key_figures"][base] < MINIMUM:
                assert value is None, (key, base)

    # "Now able to do it alone" is two cells of the start → end breakdown; "modules with a
    # start and an end answer" is its total. Neither gives a hidden cell back.
    shift = dict(safe["breakdowns"]["outcome_shift"]["rows"])
    raw_shift = dict(raw["breakdowns"]["outcome_shift"]["rows"])
    answered, alone = safe["key_figures"]["outcome_answered"], safe["key_figures"]["outcome_alone"]
    if 0 < raw["key_figures"]["outcome_learners"] < MINIMUM:
        # Pairs from fewer than five people: not one cell is shown, not even an empty one.
        assert set(shift.values()) == {None}
        assert answered is None
    assert answered == safe["breakdowns"]["outcome_shift"]["total"]
    assert_breakdown_is_safe(list(raw_shift.values()), list(shift.values()), None, answered)
    if alone is not None:
        assert all(shift[code] is not None for code in IMPROVED)
        assert alone == sum(raw_shift[code] for code in IMPROVED)
        if answered is not None:
            others = [value for code, value in shift.items() if code not in IMPROVED]
            residual = answered - alone - sum(value for value in others if value is not None)
            assert residual == 0 or residual >= MINIMUM
    if answered is None or alone is None:
        assert safe["key_figures"]["outcome_alone_share"] is None

    # How the modules were completed adds up to "modules completed", the months' total too:
    # "completed online" is one of its cells, "validated" the total minus that cell.
    how = dict(safe["breakdowns"]["module_completion"]["rows"])
    raw_how = dict(raw["breakdowns"]["module_completion"]["rows"])
    completed = safe["key_figures"]["modules_completed"]
    online = safe["key_figures"]["modules_completed_online"]
    validated = safe["key_figures"]["modules_validated"]
    assert sum(raw_how.values()) == raw["key_figures"]["modules_completed"]
    assert raw["key_figures"]["modules_validated"] == sum(raw_how.values()) - raw_how["online"]
    if completed is None:
        assert set(how.values()) == {None} and online is None and validated is None
    assert online == how["online"]
    if validated is not None:
        assert validated == raw["key_figures"]["modules_validated"]
        shown_validated = [value for code, value in how.items() if code != "online"]
        residual = validated - sum(value for value in shown_validated if value is not None)
        assert residual == 0 or residual >= MINIMUM

    for column in PEOPLE_TREND_COLUMNS:
        for row in safe["trend"]:
            assert is_safe_count(row[column]), column
    for column in ("new_learners", "modules_completed"):
        cells = [row[column] for row in raw["trend"]]
        shown = [row[column] for row in safe["trend"]]
        assert_breakdown_is_safe(cells, shown, sum(cells), safe["key_figures"][column])

    # "Fewer than 5" is only ever written about a count of 1 to 4; a figure it is not
    # written about is "masked", which claims nothing.
    for where in safe["below_minimum"]:
        assert 0 < raw_value(raw, where) < MINIMUM, where
    small_labels = sum(
        value is exports.Hidden.SMALL
        for table in exports.tables(safe)
        for row in table.rows
        for value in row
    )
    # Each label stands for a listed place (a hidden total with no total row has none).
    assert small_labels <= len(safe["below_minimum"])

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
    assert exports.cell(exports.Hidden.SMALL) == "moins de 5"
    assert exports.cell(exports.Hidden.MASKED) == "masqué*"
    assert exports.cell(12) == 12


def shift_rows(counts: dict[str, int]) -> dict:
    """Self-assessment rows giving `counts` learner and module pairs per start>end code."""
    rows, number = [], 0
    for code, count in counts.items():
        before, after = code.split(">")
        for _index in range(count):
            number += 1
            moment = datetime.datetime(2026, 2, 1, 9, tzinfo=datetime.UTC)
            for phase, level, hour in (("start", before, 0), ("end", after, 1)):
                rows.append(
                    {
                        "pseudonym": f"p{number}",
                        "module_iri": "m1",
                        "response": {"phase": phase, "level": level},
                        "timestamp": moment + datetime.timedelta(hours=hour),
                    }
                )
    return {"self_assessments": rows}


def test_now_alone_is_hidden_when_one_of_its_cells_is_hidden():
    raw = reference_indicators.compute(
        shift_rows({"not_yet>alone": 3, "with_help>alone": 10, "alone>alone": 6}),
        start=START,
        end=END,
    )
    assert raw["key_figures"]["outcome_alone"] == 13
    safe = privacy.protect(raw, minimum=MINIMUM)
    shift = dict(safe["breakdowns"]["outcome_shift"]["rows"])
    assert shift["not_yet>alone"] is None
    assert shift["with_help>alone"] == 10
    # 13 shown next to 10 would give the 3 back.
    assert safe["key_figures"]["outcome_alone"] is None
    assert safe["key_figures"]["outcome_alone_share"] is None
    assert safe["key_figures"]["outcome_answered"] == 19


def test_pairs_from_fewer_than_five_learners_show_nothing():
    rows = shift_rows({"not_yet>alone": 4, "alone>alone": 6})["self_assessments"]
    # Ten pairs, but only two people: each answered for five modules.
    for number, row in enumerate(rows):
        row["pseudonym"] = f"p{number // 2 % 2}"
        row["module_iri"] = f"m{number // 4}"
    raw = reference_indicators.compute({"self_assessments": rows}, start=START, end=END)
    assert (raw["key_figures"]["outcome_learners"], raw["key_figures"]["outcome_answered"]) == (
        2,
        10,
    )
    safe = privacy.protect(raw, minimum=MINIMUM)
    assert {value for _code, value in safe["breakdowns"]["outcome_shift"]["rows"]} == {None}
    for key in ("outcome_learners", "outcome_answered", "outcome_alone", "outcome_alone_share"):
        assert safe["key_figures"][key] is None, key


def test_an_average_over_fewer_than_five_learners_is_hidden_and_over_five_shown():
    def scores(learners):
        return {
            "scores": [
                {
                    "pseudonym": f"p{index}",
                    "verb": "answered",
                    "object_kind": "h5p",
                    "is_self_reported": True,
                    "score_scaled": 0.8,
                }
                for index in range(learners)
                for _try in range(3)
            ]
        }

    few = privacy.protect(
        reference_indicators.compute(scores(4), start=START, end=END), minimum=MINIMUM
    )
    assert few["key_figures"]["h5p_learners"] is None
    assert few["key_figures"]["h5p_answers"] is None  # 12 answers would bound the learners
    assert few["key_figures"]["h5p_average_score"] is None
    enough = privacy.protect(
        reference_indicators.compute(scores(5), start=START, end=END), minimum=MINIMUM
    )
    assert enough["key_figures"]["h5p_learners"] == 5
    assert enough["key_figures"]["h5p_answers"] == 15
    assert enough["key_figures"]["h5p_average_score"] == 80.0
    assert enough["key_figures"]["quiz_average_score"] is None  # nobody: no figure
