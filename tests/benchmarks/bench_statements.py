"""The statement endpoint under load: 2 gunicorn workers, a load generator on loopback.

Run in a process of its own with a prepared bench database's environment (run.py's
`prepare()`); prints one JSON list of figures on its last stdout line:

    DATABASE_URL=postgres://…/pasapas_bench_10000 DJANGO_SETTINGS_MODULE=lms.settings.dev \
    DEBUG=0 python tests/benchmarks/bench_statements.py 10000

Phases, each of three windows of a few seconds (the figure is the median window):
(a) the baseline, an empty POST view in the same gunicorn, with the same cookies and
    CSRF header (requests per second);
(b) single statements: one step's form per request, as the page's script posts it;
(c) batches: `BATCH` statements per request to the batch endpoint;
(d) every id of (b) and (c) sent again: no row may be added.
(a) to (c) are measured for the current code and for the writer as it was before issue
19's change: each version's own code exported from git (`EARLIER_WRITERS`), in a gunicorn
of its own, on the same database and learners, the versions' windows taken in turn
(round after round) so that the shared machine's load touches them alike. run.py shows
them side by side, as ratios to the current code's empty POST. The load generator runs on
a core of its own and gunicorn on the others (cores.py).
Statements stored are counted in the database, not from the answers. Afterwards the
statements made here are deleted by id, and the learners' progress rows and the sessions
are put back, so the bench database stays as it was built.
"""

import asyncio
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from importlib import import_module
from pathlib import Path
from urllib.parse import urlencode

import django

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.benchmarks import cores  # noqa: E402 (needs the path)
from tests.benchmarks.redis_env import use_redis_as_production  # noqa: E402

use_redis_as_production()  # sessions in Redis (cached_db), as the pages' benchmark and production
django.setup()

from django.conf import settings  # noqa: E402 (after django.setup)
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from courses.models import ModulePage  # noqa: E402
from lms.accounts.models import User  # noqa: E402
from lms.learning.models import ActivityProgress, ModuleProgress, Statement  # noqa: E402
from tests.benchmarks.run import figure  # noqa: E402
from tests.lms.learning.step_answers import step_answers  # noqa: E402

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
SIZE = int(sys.argv[1])
LEARNERS = int(os.environ.get("BENCH_STATEMENT_LEARNERS", "48"))
CONNECTIONS = int(os.environ.get("BENCH_STATEMENT_CONNECTIONS", "8"))  # requests in flight
WINDOWS = 3
WINDOW_SECONDS = float(os.environ.get("BENCH_STATEMENT_WINDOW", "5"))
BATCH = int(os.environ.get("BENCH_STATEMENT_BATCH", "20"))  # statements per batch request
MODULE_SLUG = "reconnaitre-une-arnaque-par-e-mail"  # H5P, quiz, pretend inbox, plain steps
CHUNK = 5000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def step_fields(step) -> dict:
    """What the page sends for a step done right (graded on the server); H5P reports its
    activity completed too, as h5p-standalone does at the end of an activity."""
    fields = step_answers(step)
    if step.block_type == "h5p":
        fields["h5p_completion"] = "true"
    return fields


class Learner:
    """A signed-in learner: a session made directly (no sign-in form, no last_login change)."""

    def __init__(self, user: User):
        session = SessionStore()  # the site's engine: in Redis too when production's is
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        self.pk = user.pk
        self.session_key = session.session_key
        self.csrf = secrets.token_hex(16)  # 32 characters: an unmasked CSRF secret

    def request(self, port: int, path: str, body: bytes, content_type: str) -> bytes:
        return (
            f"POST {path} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            f"Cookie: {settings.SESSION_COOKIE_NAME}={self.session_key}; "
            f"{settings.CSRF_COOKIE_NAME}={self.csrf}\r\n"
            f"X-CSRFToken: {self.csrf}\r\n"
            "Accept: application/json\r\n"
            "Accept-Language: fr-BE\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode() + body


class Load:
    """The load generator: CONNECTIONS loops, each with its own learners, one request at a time.

    A learner never has two requests in flight, as on a real page. gunicorn's sync workers
    close the connection after each answer, so each request opens a new one (loopback).
    """

    def __init__(self, port: int, learners: list[Learner], module: ModulePage):
        self.port = port
        self.learners = learners
        self.module = module
        self.steps = [(number, step_fields(step)) for number, step in enumerate(module.steps, 1)]
        # What the server accepted (learner, step, id; learner, body): replayed in (d).
        self.sent_single: list[tuple[Learner, int, str]] = []
        self.sent_batches: list[tuple[Learner, bytes]] = []
        self.generated: list[str] = []  # every id sent, answered or not, for the clean-up
        self.errors: dict[int, int] = {}

    async def _post(self, raw: bytes) -> tuple[int, bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(raw)
            await writer.drain()
            answer = await reader.read()
        finally:
            writer.close()
        status = int(answer[9:12]) if answer[:5] == b"HTTP/" else 0
        if status not in (200, 204):
            self.errors[status] = self.errors.get(status, 0) + 1
        return status, answer

    def _single(self, learner: Learner, turn: int) -> tuple[bytes, Callable]:
        number, fields = self.steps[turn % len(self.steps)]
        statement_id = str(uuid.uuid4())
        self.generated.append(statement_id)
        body = urlencode({"statement_id": statement_id, **fields}).encode()
        path = f"/apprendre/{self.module.pk}/etape/{number}/"
        raw = learner.request(self.port, path, body, "application/x-www-form-urlencoded")
        return raw, lambda: self.sent_single.append((learner, number, statement_id))

    def _batch(self, learner: Learner, turn: int) -> tuple[bytes, Callable]:
        entries = []
        for offset in range(BATCH):
            number, fields = self.steps[(turn * BATCH + offset) % len(self.steps)]
            statement_id = str(uuid.uuid4())
            self.generated.append(statement_id)
            entries.append(
                {
                    "module": self.module.pk,
                    "step": number,
                    "statement_id": statement_id,
                    "fields": fields,
                }
            )
        body = json.dumps(entries).encode()
        raw = learner.request(self.port, "/apprendre/releves/", body, "application/json")
        return raw, lambda: self.sent_batches.append((learner, body))

    def _empty(self, learner: Learner, turn: int) -> tuple[bytes, Callable]:
        # The same cookies, CSRF header and a form of the same size as a single statement.
        _number, fields = self.steps[turn % len(self.steps)]
        body = urlencode({"statement_id": str(uuid.uuid4()), **fields}).encode()
        raw = learner.request(
            self.port, "/bench/post-vide/", body, "application/x-www-form-urlencoded"
        )
        return raw, lambda: None

    async def _loop(self, kind: str, learners: list[Learner], until: float) -> int:
        make = {"empty": self._empty, "single": self._single, "batch": self._batch}[kind]
        done = turn = 0
        while time.perf_counter() < until:
            learner = learners[turn % len(learners)]
            raw, answered = make(learner, turn // len(learners))
            status, _answer = await self._post(raw)
            if status in (200, 204):
                answered()  # only what was stored is replayed later
                done += 1
            turn += 1
        return done

    def window(self, kind: str, seconds: float) -> tuple[int, float]:
        """Requests answered with success, and the seconds from the first send to the last answer."""

        async def run():
            until = time.perf_counter() + seconds
            loops = [
                self._loop(kind, self.learners[index::CONNECTIONS], until)
                for index in range(CONNECTIONS)
            ]
            return sum(await asyncio.gather(*loops))

        start = time.perf_counter()
        answered = asyncio.run(run())
        return answered, time.perf_counter() - start

    def replay(self, seconds: float) -> int:
        """Send again what (b) and (c) sent, same ids; returns the requests answered."""
        single = [
            learner.request(
                self.port,
                f"/apprendre/{self.module.pk}/etape/{number}/",
                urlencode({"statement_id": statement_id, **dict(self.steps)[number]}).encode(),
                "application/x-www-form-urlencoded",
            )
            for learner, number, statement_id in self.sent_single
        ]
        batches = [
            learner.request(self.port, "/apprendre/releves/", body, "application/json")
            for learner, body in self.sent_batches
        ]
        # Every batch (most of the ids), then as many single posts as time allows.
        queue = batches + single

        async def run():
            until = time.perf_counter() + seconds
            answered = 0

            async def loop(items):
                nonlocal answered
                for raw in items:
                    if time.perf_counter() > until:
                        return
                    status, _answer = await self._post(raw)
                    answered += status == 200

            # Split by learner so that one learner's replays never run in parallel.
            by_loop = {index: [] for index in range(CONNECTIONS)}
            owners = [learner for learner, _body in self.sent_batches] + [
                learner for learner, _n, _id in self.sent_single
            ]
            for owner, raw in zip(owners, queue, strict=True):
                by_loop[self.learners.index(owner) % CONNECTIONS].append(raw)
            await asyncio.gather(*(loop(items) for items in by_loop.values()))
            return answered

        return asyncio.run(run())


def stored_count(ids: list[str]) -> int:
    """How many of these statement ids the database holds (others may write meanwhile)."""
    return sum(
        Statement.objects.filter(pk__in=ids[start : start + CHUNK]).count()
        for start in range(0, len(ids), CHUNK)
    )


# The writer before issue 19's change, measured in the same run, on the same database and
# learners, against the same baseline: the code of those commits as they were, exported from
# git into bench-data/writers/<commit>/ (the schema has only gained since, so it still runs).
EARLIER_WRITERS = {
    "58a496d": "hand-written SQL writer (steps_submit, _statements_insert, _progress_upsert)",
    "3e7683c": "ORM writer (statements_store, bulk_create on every database)",
    # Issue 21 asks for the statement endpoint "as today" after its moves: the code before
    # its first change (the layers' merge), on the same database, in the same run.
    "9cf0585": "the code before issue 21's moves (one writer, plain SQL on PostgreSQL)",
}
CURRENT_WRITER = "statements_store (ORM; two fixed SQL statements on PostgreSQL)"
WRITERS_DIR = ROOT / "bench-data" / "writers"


def tree_of(commit: str) -> Path | None:
    """The project as it was at `commit` (exported once), or None without its history."""
    tree = WRITERS_DIR / commit
    if (tree / "manage.py").exists():
        return tree
    tree.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit],
        capture_output=True,
    )
    if archive.returncode:
        print(archive.stderr.decode()[-500:], file=sys.stderr)
        return None
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def gunicorn(port: int, tree: Path = ROOT, cache_prefix: str = "") -> subprocess.Popen:
    """2 sync workers of the project in `tree`, on the server's cores (cores.py), started."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.benchmarks.bench_settings",
        "DEBUG": "0",
    }
    if cache_prefix:  # an earlier version's cached entries never meet the current ones
        env["CACHE_KEY_PREFIX"] = env.get("CACHE_KEY_PREFIX", "pasapas-bench") + cache_prefix
    pinned = cores.split()
    server = subprocess.Popen(
        [
            *cores.taskset(pinned[0] if pinned else None),
            sys.executable,
            "-m",
            "gunicorn",
            "lms.wsgi:application",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--timeout",
            "120",
        ],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=sys.stderr,
    )
    return server


def ready(port: int) -> None:
    """Wait until the gunicorn on `port` answers, both workers loaded."""
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    # Each worker loads the application on its first request; that is not what is measured.
    for _ in range(6):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/sante/", timeout=300).read()


KINDS = ("empty", "single", "batch")


def window_rate(load: Load, kind: str) -> float:
    """One window: rows stored per second, or requests answered a second for 'empty'."""
    first = len(load.generated)
    answered, seconds = load.window(kind, WINDOW_SECONDS)
    # The ids sent in this window that the database holds: what was really stored.
    count = answered if kind == "empty" else stored_count(load.generated[first:])
    return count / seconds


def interleaved_rates(loads: dict[str, Load]) -> dict[str, dict]:
    """Medians of WINDOWS rounds; in each round every version of the code gets its empty
    POST, single statements and batches in turn, so that a change in the shared machine's
    load touches every version alike. Only one server is loaded at a time."""
    for load in loads.values():  # warm up: connections, caches
        for kind in KINDS:
            load.window(kind, 1)
    runs = {label: {kind: [] for kind in KINDS} for label in loads}
    for _round in range(WINDOWS):
        for label, load in loads.items():
            for kind in KINDS:
                runs[label][kind].append(window_rate(load, kind))
    return {
        label: {
            **{kind: statistics.median(rates) for kind, rates in kinds.items()},
            **{f"{kind}_runs": rates for kind, rates in kinds.items()},
        }
        for label, kinds in runs.items()
    }


def put_back(generated: list[str], learner_ids: list[int], activity_rows, module_rows) -> None:
    """Delete the statements sent, and give the learners their progress rows as they were."""
    with transaction.atomic():
        for start in range(0, len(generated), CHUNK):
            Statement.objects.filter(pk__in=generated[start : start + CHUNK]).delete()
        ActivityProgress.objects.filter(learner_id__in=learner_ids).delete()
        ModuleProgress.objects.filter(learner_id__in=learner_ids).delete()
        ActivityProgress.objects.bulk_create(activity_rows)
        ModuleProgress.objects.bulk_create(module_rows)


def main() -> list[dict]:
    module = ModulePage.objects.live().get(slug=MODULE_SLUG, locale__language_code="fr-be")
    # Generated learners only: the named demo accounts are used by other measurements,
    # which may run at the same time, and whose rows must not be counted or put back here.
    users = list(
        User.objects.filter(
            memberships__role="learner",
            memberships__is_active=True,
            username__startswith="demo-",
        )
        .distinct()
        .order_by("pk")[:LEARNERS]
    )
    if not users:
        raise SystemExit("No generated learners (demo-…) in this database: run seed_demo first.")
    pinned = cores.split()
    if pinned:
        os.sched_setaffinity(0, pinned[1])  # the load generator on a core of its own
    learner_ids = [user.pk for user in users]
    # What the run will change, to put back afterwards.
    activity_rows = list(ActivityProgress.objects.filter(learner_id__in=learner_ids))
    module_rows = list(ModuleProgress.objects.filter(learner_id__in=learner_ids))
    learners = [Learner(user) for user in users]
    loads: dict[str, Load] = {}
    servers = []
    try:
        # Every version in a gunicorn of its own, all started before any is measured.
        versions = [(CURRENT_WRITER, ROOT, "")]
        for commit, label in EARLIER_WRITERS.items():
            tree = tree_of(commit)
            if tree is not None:
                versions.append((f"before: {label}, {commit}", tree, f"-{commit}"))
        for label, tree, cache_prefix in versions:
            # One at a time: six workers loading their code at once on one busy core time out.
            load = Load(free_port(), learners, module)
            servers.append(gunicorn(load.port, tree, cache_prefix))
            try:
                ready(load.port)
            except OSError as error:  # urllib's errors too: that version does not run here
                if label == CURRENT_WRITER:
                    raise
                print(f"{label}: not measured, its server did not start: {error}", file=sys.stderr)
                continue
            loads[label] = load
        measured = interleaved_rates(loads)
        # The replay sends ids already stored: the learners' rows must not change in number.
        current = measured[CURRENT_WRITER]
        before_replay = Statement.objects.filter(learner_id__in=learner_ids).count()
        current["replayed"] = loads[CURRENT_WRITER].replay(3 * WINDOW_SECONDS)
        current["added"] = (
            Statement.objects.filter(learner_id__in=learner_ids).count() - before_replay
        )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=60)
        generated = [id_ for load in loads.values() for id_ in load.generated]
        put_back(generated, learner_ids, activity_rows, module_rows)
        for learner in learners:
            SessionStore(session_key=learner.session_key).delete()  # database and cache
    print(
        json.dumps(
            {
                label: {**rates, "ids": len(loads[label].generated), "errors": loads[label].errors}
                for label, rates in measured.items()
            }
        ),
        file=sys.stderr,
    )
    note = (
        f"{connection.vendor}, 2 gunicorn workers, {CONNECTIONS} connections, "
        f"{len(learners)} learners, {cores.describe()}"
    )
    baseline = current["empty"]
    results = [
        figure(
            f"statement endpoint: empty POST view (baseline; {note})",
            SIZE,
            baseline,
            "requests/s",
            target="",
        ),
        figure(
            "statement endpoint: single statements stored per second",
            SIZE,
            current["single"],
            "statements/s",
            baseline=baseline,
            target="≥ 500/s",
            met=current["single"] >= 500,
        ),
        figure(
            f"statement endpoint: statements stored per second in batches of {BATCH}",
            SIZE,
            current["batch"],
            "statements/s",
            baseline=baseline,
            target="≥ 2,000/s",
            met=current["batch"] >= 2000,
        ),
        figure(
            "statement endpoint: rows added by replaying the same ids",
            SIZE,
            current["added"],
            "rows",
            target="0 (replay adds no row)",
            met=current["added"] == 0 and current["replayed"] > 0,
        ),
    ]
    # Every version side by side, as ratios to the current code's empty POST (run.py
    # gathers the rows marked `writer` into one table).
    for label, rates in measured.items():
        for kind, what in (("single", "single statements"), ("batch", f"batches of {BATCH}")):
            row = figure(
                f"statement writer, {label}: {what}, stored per second",
                SIZE,
                rates[kind],
                "statements/s",
                baseline=baseline,
                target="reported: before and after issue 19's writer change",
            )
            row.update(writer=label, kind=kind, own_empty_post=round(rates["empty"], 1))
            results.append(row)
    return results


if __name__ == "__main__":
    print(json.dumps(main()))
