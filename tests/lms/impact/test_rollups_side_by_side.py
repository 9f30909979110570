"""The dashboard's counts made on two PostgreSQL connections at once equal counts made in turn.

Two connections only see committed rows, so these tests commit (transactional database) and
put back, afterwards, what the rest of the suite expects (as tests/lms/learning/
test_concurrency.py does).
"""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from courses.models import ModulePage
from lms.demo.builder import demo_build
from lms.impact import rollup_queries, selectors
from lms.impact.models import Programme
from lms.impact.rollups import rollups_reset

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="two connections at once need PostgreSQL: set DATABASE_URL=postgres://… (CI does)",
    ),
    # Serialized rollback: the flush after the test must not leave the next tests without
    # the rows the migrations made (root page, locales, content types).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
TODAY = datetime.date(2026, 6, 15)
START, END = datetime.date(2026, 1, 17), datetime.date(2026, 4, 9)


@pytest.fixture(scope="module", autouse=True)
def _database_as_found(django_db_blocker):
    """Put back the migrations' rows and the starter catalogue after this module's flush."""
    yield
    from django.contrib.contenttypes.models import ContentType

    with django_db_blocker.unblock():
        if hasattr(connection, "_test_serialized_contents") and not ModulePage.objects.exists():
            connection.creation.deserialize_db_from_string(connection._test_serialized_contents)
            ContentType.objects.clear_cache()
            call_command("load_catalogue", verbosity=0)


def test_counts_made_side_by_side_equal_counts_made_in_turn(monkeypatch):
    if not ModulePage.objects.exists():
        call_command("load_catalogue", verbosity=0)
    demo_build(learners=30, today=TODAY)
    ids = sorted(Programme.objects.get().associations.values_list("pk", flat=True))
    rollups_reset()
    threads = []

    class Counted(rollup_queries.ThreadPoolExecutor):
        def submit(self, *args, **kwargs):
            threads.append(args)
            return super().submit(*args, **kwargs)

    monkeypatch.setattr(rollup_queries, "ThreadPoolExecutor", Counted)
    with transaction.atomic():  # inside a transaction: one connection, in turn
        in_turn = selectors.rollup_rows(association_ids=ids, start=START, end=END)
    assert threads == []
    side_by_side = selectors.rollup_rows(association_ids=ids, start=START, end=END)
    assert len(threads) == 1
    assert side_by_side == in_turn
    assert side_by_side["learners"]["learners"] > 20
