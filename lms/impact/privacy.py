"""Small-number suppression, applied to every figure before anyone sees or exports it.

Primary: a count of 1 to IMPACT_MIN_COUNT - 1 people is hidden (None, shown "< 5").
Secondary: in a breakdown, hidden cells must not be recoverable from the total by
subtraction, so more cells are hidden (the smallest first) until the hidden cells
are at least two and add up to at least the threshold; if that is impossible, the
total is hidden too. Counts of zero are shown: they single out no one.
Derived: an average, a share or a count of answers is hidden whenever a count of people it
is computed over is hidden (`Indicator.hidden_with`), and "now able to do it alone" is
the sum of cells of the start → end breakdown, so it is shown only when all of them are.
"""

from copy import deepcopy

from django.conf import settings

from .definitions import KEY_FIGURES

IMPROVED_SHIFTS = ("not_yet>alone", "with_help>alone")


def minimum_count() -> int:
    return settings.IMPACT_MIN_COUNT


def hide_small(value, minimum: int):
    """Primary suppression of one count of people."""
    if value is not None and 0 < value < minimum:
        return None
    return value


def protect_cells(
    cells: list[int], total: int | None, minimum: int
) -> tuple[list[int | None], int | None]:
    """Suppress a breakdown's cells (primary and secondary) and, if needed, its total."""
    shown: list[int | None] = [hide_small(value, minimum) for value in cells]
    hidden = [i for i, value in enumerate(shown) if value is None]
    total_shown = hide_small(total, minimum)
    if not hidden:
        return shown, total_shown

    def hidden_sum() -> int:
        return sum(cells[i] for i in hidden)

    # The smallest visible positive cells go first: they cost the least information.
    candidates = sorted(
        (i for i, value in enumerate(cells) if shown[i] is not None and value > 0),
        key=lambda i: (cells[i], i),
    )
    while (len(hidden) < 2 or hidden_sum() < minimum) and candidates:
        index = candidates.pop(0)
        shown[index] = None
        hidden.append(index)
    if len(hidden) < 2 or hidden_sum() < minimum:
        total_shown = None
    return shown, total_shown


def protect(raw: dict, minimum: int | None = None) -> dict:
    """The figures as they may be displayed or exported: a suppressed count becomes None."""
    minimum = minimum_count() if minimum is None else minimum
    safe = deepcopy(raw)
    for key, value in safe["key_figures"].items():
        if KEY_FIGURES[key].counts_people:
            safe["key_figures"][key] = hide_small(value, minimum)
    learners = safe["targets"]["learners"]
    learners["value"] = hide_small(learners["value"], minimum)
    for breakdown in safe["breakdowns"].values():
        cells, total = protect_cells(
            [count for _code, count in breakdown["rows"]], breakdown["total"], minimum
        )
        breakdown["rows"] = [
            [code, value] for (code, _count), value in zip(breakdown["rows"], cells, strict=True)
        ]
        breakdown["total"] = total
    # "Now able to do it alone" adds up two cells of the start → end breakdown, whose total
    # is "modules with a start and an end answer": they are hidden together, never apart.
    shift = safe["breakdowns"].get("outcome_shift")
    if shift is not None and "outcome_learners" in safe["key_figures"]:
        # Pairs, not people: fewer than the threshold behind them, and nothing is shown,
        # not even which cells are empty.
        if safe["key_figures"]["outcome_learners"] is None:
            shift["rows"] = [[code, None] for code, _value in shift["rows"]]
            shift["total"] = None
        safe["key_figures"]["outcome_answered"] = shift["total"]
        moved = [value for code, value in shift["rows"] if code in IMPROVED_SHIFTS]
        safe["key_figures"]["outcome_alone"] = None if None in moved else sum(moved)
    # Months of learners reached overlap (one person, several months): no total to add up to.
    cells, _total = protect_cells([row["learners"] for row in raw["trend"]], None, minimum)
    for row, value in zip(safe["trend"], cells, strict=True):
        row["learners"] = value
    # New learners and completed modules add up, month by month, to their key figure.
    for column in ("new_learners", "modules_completed"):
        cells, total = protect_cells(
            [row[column] for row in raw["trend"]], raw["key_figures"][column], minimum
        )
        safe["key_figures"][column] = total
        for row, value in zip(safe["trend"], cells, strict=True):
            row[column] = value
    # Last: an average or a share over hidden people would give them away.
    for key in safe["key_figures"]:
        if any(safe["key_figures"].get(base) is None for base in KEY_FIGURES[key].hidden_with):
            safe["key_figures"][key] = None
    return safe
