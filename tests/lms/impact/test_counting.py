"""The dashboard's counts run in a transaction tuned for whole-table counts on PostgreSQL."""

import pytest
from django.db import connection

from lms.impact import rollup_queries

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL settings: set DATABASE_URL=postgres://… (CI does)",
    ),
    pytest.mark.django_db,
]


def _show(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_counts_run_without_jit_or_nested_loops_and_with_room_to_group():
    # The server's defaults (JIT on above a cost of 100,000) are what the counts avoid.
    assert _show("enable_nestloop") == "on"
    with rollup_queries.counting():
        assert _show("jit") == "off"
        assert _show("enable_nestloop") == "off"
        assert _show("work_mem") == rollup_queries.WORK_MEM
        assert _show("max_parallel_workers_per_gather") == "0"
        with rollup_queries.counting():  # nested: the same settings, no second set-up
            assert _show("jit") == "off"
        assert _show("enable_nestloop") == "off"
