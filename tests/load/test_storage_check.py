"""The load test's storage check survives a PostgreSQL restart during the run.

The check runs in the process that prepared the run, whose database connection was opened
before it: after PostgreSQL restarts, that connection is dead, and reading over it crashed
the check, so a fault run could not say whether anything was lost.
"""

import psycopg
import pytest
from django.db import connection, connections

from tests.lms.databases import migrated_database
from tests.lms.test_scale_out import connection_to
from tests.load.run import storage_check

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL settings: set DATABASE_URL=postgres://… (CI does)",
    ),
    pytest.mark.django_db,  # the copied database is a copy of the test database
]


def test_the_storage_check_reconnects_after_postgresql_dropped_its_connection(
    django_db_setup, django_db_blocker, tmp_path
):
    with (
        migrated_database("storage_check", tmp_path) as database,
        connection_to(database, django_db_blocker) as alias,
    ):
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        # What a restart does to every open connection.
        settings = connections[alias].settings_dict
        with psycopg.connect(
            host=settings["HOST"] or "localhost",
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            dbname="postgres",
            autocommit=True,
        ) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])

        ids = {"sent": [], "replayed": [], "attempted": [], "refused": 0}
        assert storage_check(ids, using=alias)["stored_for_load_learners"] == 0
