"""The read replica: funders' pages read it, learners and every write stay on the primary.

The router and middleware are checked here in the test process; the whole path runs in
another process (`python -m tests.lms.replica_phases PHASE`) over two real PostgreSQL
databases, because a test run has one database. The "replica" is a copy of the primary
taken after seeding; the primary then changes, as a lagging replica would miss, so every
page shows which database it was read from.
"""

import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory
from django_tasks_db.models import DBTaskResult

from lms import db_router
from lms.accounts.models import Job
from lms.db_router import (
    PIN_COOKIE,
    REPLICA,
    ReplicaReadsMiddleware,
    ReplicaRouter,
    primary_only_tables,
    replica_reads,
    replica_reads_enabled,
)
from lms.impact.models import ApiToken, Programme
from lms.learning.models import Statement
from tests.lms.databases import (
    PROJECT,
    child_environment,
    migrated_postgres,
    on_postgres,
    postgres_copy,
    postgres_drop,
    postgres_url,
    require_postgres,
)
from tests.lms.replica_phases import ON_THE_PRIMARY, ON_THE_REPLICA

# What a funder's page still reads from the primary: the session (written by the sign-in a
# moment ago) and the site settings (Wagtail reads them with get_or_create, a write).
PRIMARY_ONLY_TABLES = {"django_session", "cms_sitesettings"}
# On PostgreSQL, the primary is a copy of the test database, which pytest-django creates
# for tests marked so (the tests themselves read nothing from it).
copies_the_test_database = pytest.mark.django_db


# --- In this process: settings, router, middleware ---------------------------------------


def test_without_a_replica_url_there_is_one_database_and_no_router():
    if settings.DATABASE_REPLICA_URL:
        pytest.skip("DATABASE_REPLICA_URL is set for this test run")
    assert list(settings.DATABASES) == ["default"]
    assert getattr(settings, "DATABASE_ROUTERS", []) == []
    assert "lms.db_router.ReplicaReadsMiddleware" not in settings.MIDDLEWARE


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)


def test_router_sends_reads_to_the_primary_without_a_replica():
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_read(Programme) == "default"


def test_router_sends_reads_to_the_replica_only_inside_replica_reads(with_replica):
    router = ReplicaRouter()
    assert router.db_for_read(Programme) == "default"
    with replica_reads():
        assert router.db_for_read(Programme) == REPLICA
        assert router.db_for_read(Statement) == REPLICA
        with replica_reads(False):
            assert router.db_for_read(Programme) == "default"
        assert replica_reads_enabled()
    assert not replica_reads_enabled()
    assert router.db_for_read(Programme) == "default"


def test_sessions_tasks_jobs_and_tokens_are_always_read_from_the_primary(with_replica):
    router = ReplicaRouter()
    with replica_reads():
        for model in (Session, DBTaskResult, Job, ApiToken):
            assert router.db_for_read(model) == "default"


def test_writes_and_migrations_go_to_the_primary_only(with_replica):
    router = ReplicaRouter()
    with replica_reads():
        assert router.db_for_write(Programme) == "default"
    assert router.allow_migrate(REPLICA, "impact") is False
    assert router.allow_migrate("default", "impact") is None


def test_once_a_block_has_written_it_reads_the_primary(with_replica):
    router = ReplicaRouter()

    def execute(*args):
        return None

    with replica_reads() as state:
        note_writes = connections["default"].execute_wrappers[-1]
        note_writes(execute, "SELECT 1", (), False, {})
        assert router.db_for_read(Programme) == REPLICA
        # Writing a session or a job leaves the block on the replica: never read from it.
        note_writes(execute, 'UPDATE "django_session" SET "expire_date" = %s', (), False, {})
        assert Job._meta.db_table == "accounts_job"
        note_writes(execute, 'INSERT INTO "accounts_job" ("id") VALUES (%s)', (), False, {})
        assert not state.wrote
        assert router.db_for_read(Programme) == REPLICA
        note_writes(execute, '  update "impact_programme" SET name = %s', ("x",), False, {})
        assert state.wrote
        assert router.db_for_read(Programme) == "default"
        with replica_reads():  # a nested block starts afresh
            assert router.db_for_read(Programme) == REPLICA
    assert connections["default"].execute_wrappers == []


def seen_by_view(path: str, method: str = "get", **cookies: str) -> tuple[bool, HttpResponse]:
    """Whether the view behind the middleware ran inside replica_reads(), and the response."""
    seen = {}

    def view(request):
        seen["replica"] = replica_reads_enabled()
        return HttpResponse("ok")

    request = getattr(RequestFactory(), method)(path)
    request.COOKIES.update(cookies)
    response = ReplicaReadsMiddleware(view)(request)
    return seen["replica"], response


@pytest.mark.parametrize(
    ("path", "method", "replica"),
    [
        ("/impact/", "get", True),
        ("/impact/export.csv", "get", True),
        ("/impact/reports/1/", "head", True),
        ("/api/impact/programmes", "get", True),
        ("/impact/freeze/", "post", False),
        ("/api/impact/programmes", "post", False),
        ("/mon-parcours/", "get", False),
        ("/formateur/", "get", False),
        ("/connexion/", "get", False),
    ],
)
def test_middleware_asks_for_the_replica_on_funders_safe_requests_only(path, method, replica):
    assert seen_by_view(path, method)[0] is replica
    assert not replica_reads_enabled()


def test_a_browser_that_has_just_written_reads_the_primary():
    replica, response = seen_by_view("/impact/freeze/", "post")
    assert not replica
    pin = response.cookies[PIN_COOKIE]
    assert pin["max-age"] == settings.REPLICA_PIN_SECONDS
    assert pin["httponly"]
    replica, response = seen_by_view("/impact/", **{PIN_COOKIE: "1"})
    assert not replica
    assert PIN_COOKIE not in response.cookies


# --- Two PostgreSQL databases, the site in another process -------------------------------


def run_phase(phase: str, **environment: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "tests.lms.replica_phases", phase],
        capture_output=True,
        text=True,
        env=child_environment(DJANGO_SETTINGS_MODULE="lms.settings.test", **environment),
        cwd=PROJECT,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def observed(django_db_setup):
    """What the site read where: seeded primary, copied to the "replica", primary changed."""
    if not on_postgres():
        # A replica is PostgreSQL's: the suite's run on PostgreSQL (CI's second run) covers
        # it with a copy of its test database, instead of migrating one from nothing here.
        pytest.skip("the replica runs on PostgreSQL: set DATABASE_URL=postgres://… (CI does)")
    require_postgres()
    with migrated_postgres("replica_primary") as primary:
        replica = f"{primary}_replica"
        try:
            run_phase("seed", DATABASE_URL=postgres_url(primary))
            postgres_copy(primary, replica)
            both = {
                "DATABASE_URL": postgres_url(primary),
                "DATABASE_REPLICA_URL": postgres_url(replica),
            }
            with_replica = run_phase("with-replica", **both)
            without = run_phase("without-replica", DATABASE_URL=postgres_url(primary))
        finally:
            postgres_drop(replica)
    return {"with": with_replica, "without": without}


@copies_the_test_database
@pytest.mark.slow  # the site run three times in other processes on two databases
def test_the_replica_database_is_configured_from_its_url(observed):
    seen = observed["with"]
    assert seen["databases"] == ["default", "replica"]
    assert seen["routers"] == ["lms.db_router.ReplicaRouter"]
    assert seen["replica_name"].endswith("_replica")


@copies_the_test_database
@pytest.mark.slow  # the site run three times in other processes on two databases
def test_the_funder_dashboard_reads_the_replica(observed):
    dashboard = observed["with"]["dashboard"]
    assert dashboard["status"] == 200
    assert dashboard["shows_replica"]
    assert not dashboard["shows_primary"]
    assert dashboard["replica_queries"] > 0
    assert set(dashboard["primary_tables"]) <= PRIMARY_ONLY_TABLES


@copies_the_test_database
@pytest.mark.slow  # the site run three times in other processes on two databases
def test_the_funder_export_reads_the_replica(observed):
    export = observed["with"]["export"]
    assert export["status"] == 200
    assert export["is_a_file"]
    assert export["replica_queries"] > 0
    # The export may record a job and read it back: from the primary, which has it.
    assert set(export["primary_tables"]) <= PRIMARY_ONLY_TABLES | primary_only_tables()


@copies_the_test_database
@pytest.mark.slow  # the site run three times in other processes on two databases
def test_a_learner_signs_in_and_reads_on_the_primary_only(observed):
    learner = observed["with"]["learner"]
    assert learner["sign_in_status"] == 302
    assert learner["path_status"] == 200
    assert learner["shows_name_now"]
    assert learner["replica_queries"] == 0
    # The sign-in wrote its session and last_login on the primary, not on the replica.
    assert learner["session_on_primary"]
    assert not learner["session_on_replica"]
    assert learner["last_login_on_primary"]
    assert not learner["last_login_on_replica"]


@copies_the_test_database
@pytest.mark.slow  # the site run three times in other processes on two databases
def test_a_frozen_report_opens_from_the_primary_right_after_it_is_written(observed):
    freeze = observed["with"]["freeze"]
    assert freeze["status"] == 302
    assert freeze["pinned"]
    assert freeze["report_on_primary"]
    assert not freeze["report_on_replica"]
    assert freeze["report_status"] == 200
    assert freeze["report_replica_queries"] == 0
    # Without the pin, the lagging replica would not know the report yet (a missing report
    # is refused like another's: lms/impact/access.py).
    assert freeze["unpinned_status"] == 403


@copies_the_test_database
@pytest.mark.slow  # the site run three times in other processes on two databases
def test_replica_reads_in_code_and_transactions(observed):
    code = observed["with"]["code"]
    assert code["inside_replica_reads"] == ON_THE_REPLICA
    assert code["outside"] == ON_THE_PRIMARY
    assert code["inside_a_transaction"] == ON_THE_PRIMARY
    assert code["after_the_transaction"] == ON_THE_REPLICA  # it only read
    assert code["after_a_write"] == ON_THE_PRIMARY


@copies_the_test_database
@pytest.mark.slow  # the site run three times in other processes on two databases
def test_without_a_replica_url_everything_reads_the_primary(observed):
    seen = observed["without"]
    assert seen["databases"] == ["default"]
    assert seen["routers"] == []
    assert seen["dashboard"]["status"] == 200
    assert seen["dashboard"]["shows_primary"]
    assert not seen["dashboard"]["shows_replica"]
    assert seen["code"]["inside_replica_reads"] == ON_THE_PRIMARY
