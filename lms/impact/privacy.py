"""Small-number suppression, applied to every figure before anyone sees or exports it.

Primary: a count of 1 to IMPACT_MIN_COUNT - 1 people is hidden (None) and labelled
"fewer than 5"; its place is listed in the figures' `below_minimum`, so the label is only
ever written where it is true.
Secondary: in a breakdown, hidden cells must not be recoverable from the total by
subtraction, so more cells are hidden (the smallest first), labelled "masked". Enough are
hidden that no hidden cell has only one possible value for a reader who knows the shown
cells, the total, that each "fewer than 5" cell is 1 to 4 and (knowing this rule) that each
masked cell beside them is 5 or more; the hidden cells are also at least two and add up to
at least the threshold. If that is impossible, the total is hidden too; when the total is
shown elsewhere anyway (learners reached, for the breakdowns every learner is in once),
every cell of that breakdown is masked instead, with no "fewer than" label: then only their
sum is known. Counts of zero are otherwise shown: they single out no one.
Derived: an average, a share or a count of answers is hidden (masked) whenever a count of
people it is computed over is hidden (`Indicator.hidden_with`), and "now able to do it alone"
is the sum of cells of the start → end breakdown, so it is shown only when all of them are.
"""

from copy import deepcopy
from dataclasses import dataclass, field

from django.conf import settings

from .definitions import KEY_FIGURES

IMPROVED_SHIFTS = ("not_yet>alone", "with_help>alone")
# Breakdowns every learner reached is in exactly once: their total is "learners reached".
ADDITIVE_BREAKDOWNS = ("age", "gender", "region", "language")
TOTAL = "@total"
# How the modules were completed: a breakdown of "modules completed" (protect_completions).
COMPLETION_BREAKDOWN = "module_completion"
COMPLETION_FIGURES = ("modules_completed_online", "modules_validated")


def minimum_count() -> int:
    return settings.IMPACT_MIN_COUNT


def hide_small(value, minimum: int):
    """Primary suppression of one count of people."""
    if value is not None and 0 < value < minimum:
        return None
    return value


def is_small(value, minimum: int) -> bool:
    return value is not None and 0 < value < minimum


def place(*parts) -> str:
    """Where a figure sits in the figures dict, as listed in `below_minimum`."""
    return "/".join(str(part) for part in parts)


@dataclass
class Suppressed:
    """A breakdown as it may be shown: its cells and total (None when hidden), and which of
    the hidden ones are labelled "fewer than the threshold" (the others are "masked")."""

    cells: list
    total: object
    small: set[int] = field(default_factory=set)
    total_small: bool = False


def feasible_ranges(
    hidden: list[int], small: set[int], rest: int, minimum: int
) -> list[tuple[float, float]]:
    """For each hidden cell, the lowest and highest value a reader could deduce, knowing the
    hidden cells add up to `rest`, each "small" one is 1 to minimum - 1 and, beside small
    ones, each masked one at least the minimum (a table with no small label masks all)."""
    masked_low = minimum if small else 0
    lows = {i: 1 if i in small else masked_low for i in hidden}
    highs = {i: minimum - 1 if i in small else float("inf") for i in hidden}
    low_sum, high_sum = sum(lows.values()), sum(highs.values())
    return [
        (
            max(lows[i], rest - (high_sum - highs[i])),
            min(highs[i], rest - (low_sum - lows[i])),
        )
        for i in hidden
    ]


def recoverable(hidden: list[int], small: set[int], rest: int | None, minimum: int) -> bool:
    """True when the hidden cells could be worked out (or narrowed to one value)."""
    if rest is None:  # no total to subtract from
        return False
    if len(hidden) < 2 or rest < minimum:
        return True
    return any(high <= low for low, high in feasible_ranges(hidden, small, rest, minimum))


def suppress_cells(
    cells: list[int], total: int | None, minimum: int, *, total_shown_elsewhere: bool = False
) -> Suppressed:
    """Suppress a breakdown's cells (primary and secondary) and, if needed, its total.

    `total` is None when the cells do not add up to anything (a learner may be in several).
    """
    shown: list[int | None] = [hide_small(value, minimum) for value in cells]
    small = {i for i, value in enumerate(cells) if is_small(value, minimum)}
    hidden = sorted(small)
    result = Suppressed(shown, hide_small(total, minimum), small, is_small(total, minimum))
    if not hidden:
        return result

    def rest() -> int | None:
        return None if total is None else sum(cells[i] for i in hidden)

    def unsafe() -> bool:
        # Without a total, a lone hidden cell or hidden cells adding up to less than the
        # threshold are still hidden with more, as the rule has always said.
        if total is None:
            return len(hidden) < 2 or sum(cells[i] for i in hidden) < minimum
        return recoverable(hidden, small, rest(), minimum)

    # The smallest visible positive cells go first: they cost the least information.
    candidates = sorted(
        (i for i, value in enumerate(cells) if shown[i] is not None and value > 0),
        key=lambda i: (cells[i], i),
    )
    while unsafe() and candidates:
        index = candidates.pop(0)
        shown[index] = None
        hidden.append(index)
    if unsafe():
        if total_shown_elsewhere and len(cells) >= 2:
            # Only the sum of the cells is known then, and it is at least the minimum
            # (it is shown): with two cells or more, each can take several values.
            result.cells = [None] * len(cells)
            result.small = set()
        else:
            result.total = None
    return result


def protect_cells(
    cells: list[int], total: int | None, minimum: int
) -> tuple[list[int | None], int | None]:
    """Suppress a breakdown's cells (primary and secondary) and, if needed, its total."""
    result = suppress_cells(cells, total, minimum)
    return result.cells, result.total


def protect_completions(safe: dict, minimum: int) -> list[str]:
    """Suppress how the modules were completed (online, or validated with some help) and the
    two key figures taken from it; the places labelled "fewer than".

    Its cells add up to "modules completed", which is also the total of the months: when
    the months hide that key figure, every cell is hidden (masked), or their sum would give
    it back. Otherwise the key figure is their total, shown anyway. "Completed online" is
    one cell; "validated by a trainer" is the key figure minus that cell, shown only when
    both are (then the validated cells hidden add up to 5 or more, or none is hidden).
    """
    breakdown = safe["breakdowns"][COMPLETION_BREAKDOWN]
    key_figures = safe["key_figures"]
    total = breakdown["total"]
    codes = [code for code, _count in breakdown["rows"]]
    small: list[str] = []
    if key_figures.get("modules_completed") is None:
        cells = [None] * len(codes)
    else:
        result = suppress_cells(
            [count for _code, count in breakdown["rows"]],
            total,
            minimum,
            total_shown_elsewhere=True,
        )
        cells = result.cells
        small += [place("breakdowns", COMPLETION_BREAKDOWN, codes[i]) for i in sorted(result.small)]
    breakdown["rows"] = [[code, value] for code, value in zip(codes, cells, strict=True)]
    breakdown["total"] = key_figures.get("modules_completed")
    online = dict(breakdown["rows"]).get("online")
    key_figures["modules_completed_online"] = online
    if place("breakdowns", COMPLETION_BREAKDOWN, "online") in small:
        small.append(place("key_figures", "modules_completed_online"))
    key_figures["modules_validated"] = (
        None if online is None or breakdown["total"] is None else breakdown["total"] - online
    )
    return small


def protect(raw: dict, minimum: int | None = None) -> dict:
    """The figures as they may be displayed or exported: a suppressed count becomes None.

    `below_minimum` lists where (`place`) a hidden figure counts 1 to minimum - 1 people;
    every other hidden figure is "masked".
    """
    minimum = minimum_count() if minimum is None else minimum
    safe = deepcopy(raw)
    small: list[str] = []
    for key, value in safe["key_figures"].items():
        if KEY_FIGURES[key].counts_people:
            safe["key_figures"][key] = hide_small(value, minimum)
            if is_small(value, minimum):
                small.append(place("key_figures", key))
    learners = safe["targets"]["learners"]
    if is_small(learners["value"], minimum):
        small.append(place("targets", "learners"))
    learners["value"] = hide_small(learners["value"], minimum)
    # Months of learners reached overlap (one person, several months): no total to add up to.
    for column, total in (
        ("learners", None),
        # New learners and completed modules add up, month by month, to their key figure.
        ("new_learners", raw["key_figures"]["new_learners"]),
        ("modules_completed", raw["key_figures"]["modules_completed"]),
    ):
        result = suppress_cells([row[column] for row in raw["trend"]], total, minimum)
        if total is not None:
            safe["key_figures"][column] = result.total
            key_place = place("key_figures", column)
            small = [item for item in small if item != key_place]
            if result.total_small:
                small.append(key_place)
        for index, (row, value) in enumerate(zip(safe["trend"], result.cells, strict=True)):
            row[column] = value
            if index in result.small:
                small.append(place("trend", row["month"], column))
    learners_shown = safe["key_figures"].get("learners") is not None
    for key, breakdown in safe["breakdowns"].items():
        if key == COMPLETION_BREAKDOWN:
            # Its key figures are labelled by the breakdown, not by their own size.
            derived = {place("key_figures", name) for name in COMPLETION_FIGURES}
            small = [item for item in small if item not in derived]
            small += protect_completions(safe, minimum)
            if place("key_figures", "modules_completed") in small:
                small.append(place("breakdowns", key, TOTAL))
            continue
        result = suppress_cells(
            [count for _code, count in breakdown["rows"]],
            breakdown["total"],
            minimum,
            total_shown_elsewhere=key in ADDITIVE_BREAKDOWNS and learners_shown,
        )
        small += [place("breakdowns", key, breakdown["rows"][i][0]) for i in sorted(result.small)]
        if result.total_small:
            small.append(place("breakdowns", key, TOTAL))
        breakdown["rows"] = [
            [code, value]
            for (code, _count), value in zip(breakdown["rows"], result.cells, strict=True)
        ]
        breakdown["total"] = result.total
    # "Now able to do it alone" adds up two cells of the start → end breakdown, whose total
    # is "modules with a start and an end answer": they are hidden together, never apart.
    shift = safe["breakdowns"].get("outcome_shift")
    if shift is not None and "outcome_learners" in safe["key_figures"]:
        # Pairs, not people: fewer than the threshold behind them, and nothing is shown,
        # not even which cells are empty.
        if safe["key_figures"]["outcome_learners"] is None:
            shift["rows"] = [[code, None] for code, _value in shift["rows"]]
            shift["total"] = None
            # Cells hidden because of the people behind them, whatever their own size.
            small = [item for item in small if not item.startswith("breakdowns/outcome_shift/")]
        safe["key_figures"]["outcome_answered"] = shift["total"]
        if place("breakdowns", "outcome_shift", TOTAL) in small:
            small.append(place("key_figures", "outcome_answered"))
        moved = [value for code, value in shift["rows"] if code in IMPROVED_SHIFTS]
        safe["key_figures"]["outcome_alone"] = None if None in moved else sum(moved)
    # Last: an average or a share over hidden people would give them away.
    for key in safe["key_figures"]:
        if any(safe["key_figures"].get(base) is None for base in KEY_FIGURES[key].hidden_with):
            safe["key_figures"][key] = None
    safe["below_minimum"] = list(dict.fromkeys(small))
    return safe
