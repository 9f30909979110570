"""Funders' reads on a read replica; every write, and everyone else's reads, on the primary.

With DATABASE_REPLICA_URL set, settings add a "replica" database (a PostgreSQL streaming
replica of "default"), this router, and ReplicaReadsMiddleware. The replica is used only
where it is asked for, never for every read: a learner who has just finished a step, or a
trainer who has just logged a session, must see it on the next page, and a replica lags
behind the primary by a fraction of a second to a few seconds.

Where reads go to the replica:
- requests the middleware marks: safe methods (GET, HEAD) on the URL namespaces in
  REPLICA_READ_NAMESPACES (the impact dashboard, exports and frozen reports) and the
  paths under REPLICA_READ_PATH_PREFIXES (the read-only API);
- code wrapped in `with replica_reads():` (a report built by a worker, a command).
They stay on the primary, even there:
- sessions, background tasks and jobs, API tokens (a session written by the sign-in a
  moment ago, a job read back right after it was recorded), see PRIMARY_ONLY_*;
- inside a transaction on the primary (reads that decide a write see what it will change);
- once the request (or the replica_reads() block) has written to the primary: an export
  that records a job and reads it back finds it;
- for a few seconds after the same browser sent a write (POST, ... or a GET that wrote):
  the middleware sets a cookie, so the report a funder has just frozen opens from the
  primary.
"""

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.urls import Resolver404, resolve

REPLICA = "replica"
# Rows read right after they are written, by the same person or process: a session, a
# background task or job and its progress, an API token (created, then used at once).
# Always read from the primary, so writing them does not move a request off the replica.
PRIMARY_ONLY_APPS = frozenset({"sessions", "django_tasks_database"})  # django_tasks_db's label
PRIMARY_ONLY_MODELS = frozenset({"accounts.Job", "impact.ApiToken"})
PIN_COOKIE = "pasapas_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

WRITE_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE"})
WRITTEN_TABLE = re.compile(
    r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|MERGE\s+INTO)\s+"?(\w+)"?', re.IGNORECASE
)


def primary_only(model) -> bool:
    return model._meta.app_label in PRIMARY_ONLY_APPS or model._meta.label in PRIMARY_ONLY_MODELS


@functools.cache
def primary_only_tables() -> frozenset[str]:
    return frozenset(
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if primary_only(model)
    )


def changes_replicated_reads(sql: str) -> bool:
    """Whether a statement writes rows that reads in replica_reads() may ask for.

    Any write, except to the primary-only tables; a write whose table cannot be read from
    the statement counts (when in doubt, read the primary).
    """
    if sql.lstrip()[:6].upper().rstrip() not in WRITE_VERBS:
        return False
    match = WRITTEN_TABLE.match(sql)
    return match is None or match.group(1) not in primary_only_tables()


@dataclass
class ReadsState:
    """One replica_reads() block: whether it asked for the replica, whether it has written."""

    replica: bool
    wrote: bool = False


_reads: ContextVar[ReadsState | None] = ContextVar("pasapas_replica_reads", default=None)


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def replica_reads(enabled: bool = True) -> Iterator[ReadsState]:
    """Within the block, reads the router may send to the replica go there.

    Until the block writes to the primary: from then on it reads the primary, which has
    what it wrote (the replica may not have it yet). A nested block starts afresh.
    Harmless without a replica: the router then answers "default" for everything.
    """
    state = ReadsState(replica=enabled)
    token = _reads.set(state)
    try:
        if not enabled:
            yield state
            return

        def note_writes(execute, sql, params, many, context):
            # Seen on the primary's connection, so a write by any model (or raw SQL) counts;
            # the router alone cannot tell: get_or_create asks it for a write database to read.
            if not state.wrote and changes_replicated_reads(sql):
                state.wrote = True
            return execute(sql, params, many, context)

        with connections[DEFAULT_DB_ALIAS].execute_wrapper(note_writes):
            yield state
    finally:
        _reads.reset(token)


def replica_reads_enabled() -> bool:
    """Whether the current code runs inside replica_reads() (whatever it has written)."""
    state = _reads.get()
    return state is not None and state.replica


class ReplicaRouter:
    """Reads to the replica inside replica_reads(); writes and migrations to the primary."""

    def db_for_read(self, model, **hints):
        state = _reads.get()
        if (
            state is not None
            and state.replica
            and not state.wrote
            and not primary_only(model)
            and replica_configured()
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        # Said explicitly: otherwise Django would follow an object read from the replica
        # (instance hint) and read its relations there, outside replica_reads().
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints):
        # Even an object read from the replica is saved on the primary: the replica is
        # read-only, and PostgreSQL would refuse the write anyway.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Both databases hold the same rows: an object read from one may point at one
        # read from the other.
        databases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in databases and obj2._state.db in databases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica receives the schema from the primary through replication.
        if db == REPLICA:
            return False
        return None


class ReplicaReadsMiddleware:
    """Send the reads of funders' pages and of the API to the replica (see module docstring).

    Settings add it only when DATABASE_REPLICA_URL is set.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.namespaces = frozenset(getattr(settings, "REPLICA_READ_NAMESPACES", ()))
        self.prefixes = tuple(getattr(settings, "REPLICA_READ_PATH_PREFIXES", ()))
        self.pin_seconds = int(getattr(settings, "REPLICA_PIN_SECONDS", 0))

    def wants_replica(self, request) -> bool:
        if request.method not in SAFE_METHODS or PIN_COOKIE in request.COOKIES:
            return False
        if request.path_info.startswith(self.prefixes):
            return True
        if not self.namespaces:
            return False
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return False
        return bool(self.namespaces.intersection(match.namespaces))

    def __call__(self, request):
        with replica_reads(self.wants_replica(request)) as state:
            response = self.get_response(request)
        if (request.method not in SAFE_METHODS or state.wrote) and self.pin_seconds:
            # This browser has just written: its next pages read the primary until the
            # replica has caught up, so it sees what it has done.
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=self.pin_seconds,
                secure=request.is_secure(),
                httponly=True,
                samesite="Lax",
            )
        return response
