"""The funder dashboard for one programme over its year, in a process of its own.

Run by run.py with the bench database's environment; prints a JSON list of figures. The
process does nothing else, so its peak RSS is what one worker needs to render the page.
Cold is a view of the period whose figures are not cached, in a worker that has served a
page before (the rollups are up to date, as the scheduled refresh keeps them); warm is the
same view again. The
baseline is a plain pandas groupby (learners reached by month) over the same rollup rows the
dashboard reads, already in memory.
"""

import json
import resource
import statistics
import sys
import time
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
django.setup()

import pandas as pd  # noqa: E402 (after django.setup)
from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402

from lms.accounts.models import User  # noqa: E402
from lms.impact.models import LearnerMonth, Programme  # noqa: E402
from lms.learning.models import Statement  # noqa: E402
from tests.benchmarks.run import figure  # noqa: E402

SIZE = int(sys.argv[1])
# Past this, one view is all we time: repeating it would eat the whole run's budget.
SLOW_SECONDS = 15.0
RUNS = 20


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> list[dict]:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="bailleur"))
    programme = Programme.objects.get(name="Inclusion numérique – démonstration")

    def view():
        response = client.get("/impact/")
        assert response.status_code == 200, response.status_code

    # A worker that has served pages before (templates compiled, code loaded), whose figures
    # cache is empty: the figures are computed again.
    view()
    cache.clear()
    cold = timed(view)
    slow = cold > SLOW_SECONDS
    warm_runs = sorted(timed(view) for _ in range(1 if slow else RUNS))
    warm_p95 = warm_runs[max(0, round(0.95 * len(warm_runs)) - 1)]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    # The baseline: the rows of the same period and associations, loaded once, then grouped.
    ids = list(programme.associations.values_list("pk", flat=True))
    # The baseline: the rollup rows of the same period and associations (what the database
    # counts from), loaded once into pandas, then grouped.
    months = pd.DataFrame.from_records(
        LearnerMonth.objects.filter(
            association_id__in=ids,
            month__range=(programme.starts_on.replace(day=1), programme.ends_on.replace(day=1)),
        ).values_list("pseudonym", "month", "active_days"),
        columns=["pseudonym", "month", "active_days"],
    )
    baseline = statistics.median(
        timed(lambda: months.groupby("month")["pseudonym"].nunique()) for _ in range(RUNS)
    )
    note = " (timed once: too slow to repeat)" if slow else ""
    return [
        figure(
            f"funder dashboard, one year: cold{note}",
            SIZE,
            cold,
            "s",
            baseline=baseline,
            target="< 2 s at 100,000 learners",
            met=cold < 2,
        ),
        figure(
            f"funder dashboard, one year: warm p95 of {len(warm_runs)}{note}",
            SIZE,
            warm_p95,
            "s",
            baseline=baseline,
            target="< 0.3 s at 100,000 learners (cached or stored aggregates)",
            met=warm_p95 < 0.3,
        ),
        figure(
            "funder dashboard: peak memory of the process (RSS)",
            SIZE,
            peak_mb,
            "MB",
            target="< 300 MB",
            met=peak_mb < 300,
        ),
        figure(
            "funder dashboard: rollup rows counted by the database (learner × association × month)",
            SIZE,
            len(months),
            "rows",
            target="reported",
            met=None,
        ),
        figure(
            "statements summed up by those rows",
            SIZE,
            Statement.objects.count(),
            "statements",
            target="reported",
            met=None,
        ),
    ]


if __name__ == "__main__":
    print(json.dumps(main()))
