"""compare.py's arithmetic: a change is read round by round, then summed up by its median."""

from tests.benchmarks.compare import TRIVIAL, paired_change, report, spread


def test_a_change_is_taken_within_each_round_then_its_median():
    # The machine's drift moves both trees alike within a round: +10 %, -10 %, +10 %.
    values = {"before": [100.0, 200.0, 300.0], "after": [110.0, 180.0, 330.0]}
    assert paired_change(values, "before", "after") == "+10.0 % (-10.0 to +10.0)"


def test_a_spread_is_the_median_and_the_range():
    assert spread([3.0, 1.0, 2.0], 1) == "2.0 (1.0–3.0)"
    assert spread([1500.0, 1000.0, 1200.0], 0) == "1,200 (1,000–1,500)"


def test_the_report_names_each_figure_with_both_trees_and_the_change():
    def run(rate, cpu_ms):
        return {"ratio": rate / 1000, "rate": rate, "cpu_ms": cpu_ms}

    pages = {
        "old": {TRIVIAL: [run(1000, 1.0)], "step": [run(300, 3.0)]},
        "new": {TRIVIAL: [run(1000, 1.0)], "step": [run(270, 3.3)]},
    }
    dashboards = {
        key: [{"cold s": 0.1, "warm p95 s": 0.03, "peak MB": 220.0}] for key in ("old", "new")
    }
    table = report({"old": "before (a)", "new": "after (b)"}, pages, dashboards)
    lines = table.splitlines()
    assert lines[0].startswith("| page | figure | before (a): median (min–max) | after (b)")
    assert (
        "| step | ratio to the trivial view (higher is better) | 0.300 (0.300–0.300) | 0.270"
        in table
    )
    assert "| step | worker CPU ms per request (lower is better) | 3.00 (3.00–3.00) | 3.30" in table
    assert "-10.0 % (-10.0 to -10.0)" in table
    assert "+10.0 % (+10.0 to +10.0)" in table
    assert sum(line.startswith("| funder dashboard") for line in lines) == 3
