"""Import benchmark: 10,000 learners through the spreadsheet import vs a plain bulk_create.

From a Django shell with settings configured (DEBUG off, or every query is kept in memory):

    DEBUG=0 python manage.py shell -c \
        "import json; from tests.benchmarks.bench_import import run; print(json.dumps(run(), indent=2))"

It makes its own association and trainer, and writes everything inside transactions that are
rolled back: the database is left as it was found.
"""

from __future__ import annotations

import csv
import io
import statistics
import time
import tracemalloc
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from lms.accounts.models import Association, LearnerProfile, Membership, Role, User
from lms.logbook.transfer_learners import LearnerResource
from lms.logbook.transfer_services import import_run

SIZE = 10_000
RUNS = 3
BATCH_SIZE = 1000
# Targets (issue #9): 10,000 learners in under 10 s and at least 0.25 x the throughput of a
# bare bulk_create (so at most 4 x its time), in little memory.
TARGET_SECONDS = 10.0
TARGET_RATIO = 4.0
TARGET_PEAK_MB = 250.0
SITUATIONS = ["", "senior", "job_seeker, newcomer", "cpas"]
GENDERS = ["woman", "man", "other", "unsaid", ""]


class Rollback(Exception):
    """Raised to leave a measured transaction without keeping anything."""


def learner_rows(size: int) -> list[list[str]]:
    return [
        [
            "",
            f"Apprenant {index}",
            f"Famille {index % 700}",
            str(1940 + index % 65),
            GENDERS[index % len(GENDERS)],
            str(1000 + index % 8999),
            "français" if index % 3 else "arabe",
            SITUATIONS[index % len(SITUATIONS)],
            "02/03/2026" if index % 2 else "",
        ]
        for index in range(size)
    ]


def learners_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(LearnerResource.labels())
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def plain_bulk_create(rows: list[list[str]], association: Association) -> None:
    """The floor: the same rows straight into the three tables, no file, no checks."""
    users = [
        User(username=f"bench-{index}", display_name=row[1], password="!")
        for index, row in enumerate(rows)
    ]
    User.objects.bulk_create(users, batch_size=BATCH_SIZE)
    LearnerProfile.objects.bulk_create(
        [
            LearnerProfile(
                user=user,
                family_name=row[2],
                year_of_birth=int(row[3]),
                gender=row[4],
                postcode=row[5],
                first_language=row[6],
                situations=[part.strip() for part in row[7].split(",") if part.strip()],
            )
            for user, row in zip(users, rows, strict=True)
        ],
        batch_size=BATCH_SIZE,
    )
    today = timezone.localdate()
    Membership.objects.bulk_create(
        [
            Membership(user=user, association=association, role=Role.LEARNER, joined_on=today)
            for user in users
        ],
        batch_size=BATCH_SIZE,
    )


def timed(work: Callable[[], None]) -> float:
    """Seconds for `work`, inside a transaction that is then rolled back."""
    try:
        with transaction.atomic():
            start = time.perf_counter()
            work()
            elapsed = time.perf_counter() - start
            raise Rollback
    except Rollback:
        pass
    return elapsed


def peak_mb(work: Callable[[], None]) -> float:
    tracemalloc.start()
    try:
        timed(work)
        return tracemalloc.get_traced_memory()[1] / (1024 * 1024)
    finally:
        tracemalloc.stop()


def entry(*, name: str, size: int, value: float, unit: str, baseline: float, target: float) -> dict:
    """One figure; a time is met when under its target and under TARGET_RATIO times the baseline."""
    ratio = value / baseline if baseline else None
    met = value <= target
    if unit == "s":
        met = met and ratio is not None and ratio <= TARGET_RATIO
    return {
        "name": name,
        "size": size,
        "value": round(value, 3),
        "unit": unit,
        "baseline": round(baseline, 3),
        "ratio": round(ratio, 2) if ratio is not None else None,
        "target": (
            f"< {target:.0f} s and ≤ {TARGET_RATIO:.0f} × bulk_create (≥ 0.25 × its throughput)"
            if unit == "s"
            else f"< {target:.0f} {unit}"
        ),
        "met": met,
    }


def run(size: int = SIZE, runs: int = RUNS) -> list[dict]:
    """Median of `runs` for each way, then the peak memory of one more run of each."""
    rows = learner_rows(size)
    data = learners_csv(rows)
    results: list[dict] = []
    try:
        with transaction.atomic():
            stamp = time.time_ns()
            association = Association.objects.create(name="Benchmark", slug=f"bench-{stamp}")
            trainer = User.objects.create(username=f"bench-trainer-{stamp}")
            Membership.objects.create(
                user=trainer,
                association=association,
                role=Role.TRAINER,
                joined_on=timezone.localdate(),
            )

            def importing(*, dry_run: bool) -> Callable[[], None]:
                def work():
                    preview = import_run(
                        kind="learners",
                        data=data,
                        association=association,
                        user=trainer,
                        dry_run=dry_run,
                    )
                    if preview.has_errors or preview.totals["new"] != size:
                        raise AssertionError(preview.messages[:5])

                return work

            def baseline():
                plain_bulk_create(rows, association)

            bulk_seconds = statistics.median(timed(baseline) for _ in range(runs))
            confirm_seconds = statistics.median(
                timed(importing(dry_run=False)) for _ in range(runs)
            )
            preview_seconds = statistics.median(timed(importing(dry_run=True)) for _ in range(runs))
            bulk_peak = peak_mb(baseline)
            confirm_peak = peak_mb(importing(dry_run=False))
            results = [
                entry(
                    name="import learners (confirm) vs bulk_create",
                    size=size,
                    value=confirm_seconds,
                    unit="s",
                    baseline=bulk_seconds,
                    target=TARGET_SECONDS,
                ),
                entry(
                    name="import learners (preview, dry run) vs bulk_create",
                    size=size,
                    value=preview_seconds,
                    unit="s",
                    baseline=bulk_seconds,
                    target=TARGET_SECONDS,
                ),
                entry(
                    name="import learners (confirm), peak memory vs bulk_create",
                    size=size,
                    value=confirm_peak,
                    unit="MB",
                    baseline=bulk_peak,
                    target=TARGET_PEAK_MB,
                ),
            ]
            raise Rollback
    except Rollback:
        pass
    return results
