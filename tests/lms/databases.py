"""Throwaway databases for tests that run the site in other processes (replica, scale-out).

The test database itself cannot be shared with another process: a test's data sits in its
open transaction. These helpers copy the migrated test database instead (seconds), or
migrate a new one when no copy is possible (PostgreSQL wanted, tests run on SQLite).
"""

import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

PROJECT = Path(settings.BASE_DIR)
# Variables of the outer test run that must not leak into the processes these tests start.
OUTER_VARIABLES = {
    "DATABASE_URL",
    "DATABASE_REPLICA_URL",
    "SQLITE_PATH",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def missing_service(what: str, error: Exception) -> None:
    """Skip with the reason; on CI (CI set), where the service runs, fail instead."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required on CI: {error}")
    pytest.skip(f"{what} is not reachable ({error}); set CI=1 to make this a failure")


def child_environment(**variables: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in OUTER_VARIABLES}
    environment.update(variables)
    return environment


# --- PostgreSQL --------------------------------------------------------------------------


def _postgres_server() -> dict:
    """Where PostgreSQL runs: the test run's own server, or the usual local one."""
    if on_postgres():
        default = settings.DATABASES["default"]
        return {
            "host": default.get("HOST") or "localhost",
            "port": int(default.get("PORT") or 5432),
            "user": default.get("USER") or "",
            "password": default.get("PASSWORD") or "",
        }
    return {"host": "127.0.0.1", "port": 5432, "user": "postgres", "password": ""}


def postgres_url(database: str) -> str:
    server = _postgres_server()
    credentials = quote(server["user"], safe="")
    if server["password"]:
        credentials += ":" + quote(str(server["password"]), safe="")
    return f"postgres://{credentials}@{server['host']}:{server['port']}/{database}"


def postgres_admin(statement: str) -> None:
    import psycopg

    server = _postgres_server()
    with psycopg.connect(
        dbname="postgres",
        host=server["host"],
        port=server["port"],
        user=server["user"] or None,
        password=server["password"] or None,
        autocommit=True,
        connect_timeout=5,
    ) as db:
        db.execute(statement)


def require_postgres() -> None:
    try:
        postgres_admin("SELECT 1")
    except Exception as error:  # psycopg raises its own OperationalError subclasses
        server = _postgres_server()
        missing_service(f"PostgreSQL at {server['host']}:{server['port']}", error)


def postgres_drop(database: str) -> None:
    postgres_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def postgres_copy(source: str, target: str) -> None:
    """CREATE DATABASE ... TEMPLATE: a file-level copy, which needs the source idle."""
    postgres_admin(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def manage(environment: dict[str, str], *arguments: str) -> None:
    result = subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), *arguments],
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_database_in_use() -> bool:
    """Whether the test run's database exists (the one to copy; never the developer's own).

    pytest-django creates it when a selected test is marked django_db: mark the tests.
    """
    from django.db import connection

    return connection.settings_dict["NAME"] == connection.creation._get_test_db_name()


def _close_test_connections() -> None:
    # The copy below reads the test database: nobody may be connected to it.
    from django.db import connections

    connections.close_all()


@contextmanager
def migrated_postgres(name: str) -> Iterator[str]:
    """A new PostgreSQL database with every migration applied; dropped afterwards.

    A copy of the test database (catalogue included) when the tests run on PostgreSQL,
    else a fresh one migrated by manage.py.
    """
    database = f"pasapas_{name}_{uuid.uuid4().hex[:10]}"
    try:
        copied = False
        if on_postgres() and test_database_in_use():
            _close_test_connections()
            try:
                postgres_copy(settings.DATABASES["default"]["NAME"], database)
                copied = True
            except Exception:  # another connection to the test database: migrate instead
                postgres_drop(database)
        if not copied:
            postgres_admin(f'CREATE DATABASE "{database}"')
            manage(
                child_environment(
                    DJANGO_SETTINGS_MODULE="lms.settings.test",
                    DATABASE_URL=postgres_url(database),
                ),
                "migrate",
                "--noinput",
                "--verbosity=0",
            )
        yield database
    finally:
        postgres_drop(database)


@contextmanager
def migrated_database(name: str, folder: Path) -> Iterator[dict[str, str]]:
    """A copy of the test database, of its own engine, as environment variables."""
    if on_postgres():
        with migrated_postgres(name) as database:
            yield {"DATABASE_URL": postgres_url(database)}
        return
    path = folder / f"{name}.sqlite3"
    if test_database_in_use():
        # SQLite's backup API reads what is committed: the migrations and the catalogue.
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
    else:
        manage(
            child_environment(DJANGO_SETTINGS_MODULE="lms.settings.test", SQLITE_PATH=str(path)),
            "migrate",
            "--noinput",
            "--verbosity=0",
        )
    yield {"SQLITE_PATH": str(path)}
