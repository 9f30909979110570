"""`make load`: 200 simulated learners follow modules for 10 minutes against gunicorn.

Loopback only, bounded in time. Builds its own PostgreSQL database (`pasapas_load`, dropped
and rebuilt each run; the demo's database is never touched), starts gunicorn with DEBUG off
and Redis as the cache, runs locust headless (tests/load/locustfile.py), then checks that
every statement the learners sent is stored exactly once, and writes docs/load-test.md.
Exits non-zero on any failed request or any lost or doubled statement.

    python -m tests.load.run [--users 200] [--minutes 10] [--workers 4] [--database NAME]
                             [--fault redis]

`--fault redis` runs a redis-server of its own (never the shared one) and stops it for a
minute in the middle of the run, then starts it again, empty: every request must still be
answered, learners stay signed in, every statement is stored once, and `/sante/` says
"degraded" meanwhile. The report says what happened during the outage.
"""

import argparse
import csv
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "docs" / "load-test.md"
DATABASE = "pasapas_load"  # --database NAME: another name, for runs side by side
SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/9"
FAULT_SECONDS = 60
FAULT_HEADING = "## Fault run: Redis stopped for a minute"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_recreate(database: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {database}")


def environment(static_root: str, database: str, redis_url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.dev",
        "DEBUG": "false",
        "DATABASE_URL": f"{SERVER}/{database}",
        "REDIS_URL": redis_url,
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
    }


def prepare(users: int, workdir: Path) -> dict:
    """Migrate, load the catalogue, make the learners and a signed-in session for each."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.cache import cache
    from django.core.management import call_command
    from django.utils import timezone

    from courses.models import ModulePage
    from lms.accounts.models import Association, Membership, Role, User

    call_command("migrate", verbosity=0)
    call_command("load_catalogue", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    cache.clear()
    association = Association.objects.create(
        name="Load test", slug="load-test", postcode="1000", municipality="Bruxelles"
    )
    sessions = []
    for number in range(users):
        learner = User.objects.create(username=f"load{number}", display_name=f"Load {number}")
        Membership.objects.create(
            user=learner,
            association=association,
            role=Role.LEARNER,
            joined_on=timezone.localdate(),
        )
        session = SessionStore()
        session[SESSION_KEY] = str(learner.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = learner.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
    modules = list(ModulePage.objects.live().values_list("pk", flat=True))
    plan = {"sessions": sessions, "modules": modules}
    (workdir / "plan.json").write_text(json.dumps(plan))
    return plan


def wait_for(port: int, seconds: float = 180) -> None:
    """Until every worker has loaded the project and answers the health page (minutes on a
    busy machine: a worker imports Django and Wagtail)."""
    from urllib.request import urlopen

    deadline = time.monotonic() + seconds
    answered = 0
    while time.monotonic() < deadline and answered < 10:
        try:
            with urlopen(f"http://127.0.0.1:{port}/sante/", timeout=5) as response:
                answered += response.status == 200
        except OSError:
            time.sleep(0.5)
    if answered < 10:
        raise SystemExit("gunicorn did not start")


class OwnRedis:
    """A redis-server of the run's own, on a free port, that the fault stops and restarts."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class RedisFault(threading.Thread):
    """Stops the run's Redis `delay` seconds in, for FAULT_SECONDS, and starts it again;
    asks `/sante/` during the outage and once it is over."""

    def __init__(self, redis: OwnRedis, port: int, delay: float):
        super().__init__(daemon=True)
        self.redis, self.port, self.delay = redis, port, delay
        self.stopped_at = self.started_at = None
        self.health_during = self.health_after = ""

    def health(self) -> str:
        from urllib.request import urlopen

        try:
            with urlopen(f"http://127.0.0.1:{self.port}/sante/", timeout=10) as response:
                return f"{response.status} {response.read().decode()}"
        except OSError as error:
            return f"no answer ({error})"

    def run(self) -> None:
        time.sleep(self.delay)
        self.stopped_at = time.time()
        self.redis.stop()
        time.sleep(FAULT_SECONDS / 2)
        self.health_during = self.health()
        time.sleep(FAULT_SECONDS / 2)
        self.redis.start()
        self.started_at = time.time()
        time.sleep(5)  # past the backend's retry time (lms/redis_cache.py)
        self.health_after = self.health()


def history(prefix: Path) -> list[dict]:
    """Locust's running totals, one row a second."""
    with open(f"{prefix}_stats_history.csv", encoding="utf-8") as source:
        return [row for row in csv.DictReader(source) if row["Name"] == "Aggregated"]


def requests_between(prefix: Path, start: float, end: float) -> tuple[int, int]:
    """Requests and failures locust counted between two times."""
    rows = history(prefix)

    def totals_at(moment: float) -> tuple[int, int]:
        before = [row for row in rows if float(row["Timestamp"]) <= moment] or rows[:1]
        row = before[-1]
        return int(row["Total Request Count"]), int(row["Total Failure Count"])

    (requests_start, failures_start), (requests_end, failures_end) = (
        totals_at(start),
        totals_at(end),
    )
    return requests_end - requests_start, failures_end - failures_start


def stats_rows(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as source:
        return list(csv.DictReader(source))


def storage_check(ids: dict, using: str = "default") -> dict:
    """What was stored, read over a new database connection: the one opened before the run
    may have died meanwhile (a PostgreSQL restart), and reading over it would crash the check.
    PostgreSQL may still be starting: asked again for up to a minute."""
    from django.db import OperationalError, connections

    deadline = time.monotonic() + 60
    while True:
        connections.close_all()
        try:
            return _storage_read(ids, using)
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def _storage_read(ids: dict, using: str) -> dict:
    from django.db.models import Count

    from lms.learning.models import Statement

    sent, replayed, attempted = ids["sent"], ids["replayed"], set(ids["attempted"])
    stored = Statement.objects.using(using).filter(learner__username__startswith="load")
    stored_ids = {str(pk) for pk in stored.values_list("id", flat=True)}
    doubled = (
        stored.values("id").annotate(n=Count("id")).filter(n__gt=1).count()
    )  # a primary key: always 0, counted anyway so the report says it
    found = stored.filter(id__in=sent).count()
    return {
        "sent": len(sent),
        "distinct_sent": len(set(sent)),
        "replayed": len(replayed),
        "stored_of_sent": found,
        "stored_for_load_learners": len(stored_ids),
        # Posted while the run was stopping: stored, but the answer never reached locust.
        "stored_unanswered": len(stored_ids & attempted - set(sent)),
        # A row no request asked for: must be none.
        "stored_unasked": len(stored_ids - attempted),
        "refused": ids["refused"],
        "doubled": doubled,
    }


def report(args, rows: list[dict], storage: dict, seconds: float, fault: dict | None) -> str:
    def cell(row, name):
        return row.get(name, "") or ""

    lines = [
        "# Load test",
        "",
        "Measured by `make load` (tests/load/run.py): simulated learners follow modules step by "
        "step against gunicorn on loopback, PostgreSQL and Redis on the same machine.",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- Machine: {os.cpu_count()} cores, {platform.platform()}",
        f"- Simulated learners: {args.users} (spawned 10 a second), each waiting 1 to 3 s "
        f"between requests; duration {args.minutes} min ({seconds:.0f} s measured)",
        f"- Server: gunicorn, {args.workers} sync workers, DEBUG off, PostgreSQL, Redis cache;"
        " locust runs on the same 2 cores",
        "",
        "| request | count | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {cell(row, 'Name')} | {cell(row, 'Request Count')} | "
            f"{cell(row, 'Failure Count')} | {float(cell(row, 'Requests/s') or 0):.1f} | "
            f"{cell(row, '50%')} | {cell(row, '95%')} | {cell(row, '99%')} | "
            f"{float(cell(row, 'Max Response Time') or 0):.0f} |"
        )
    lines += [
        "",
        "## Statements",
        "",
        f"- Statements accepted by the server: {storage['sent']} "
        f"({storage['distinct_sent']} distinct ids)",
        f"- Of these, stored: {storage['stored_of_sent']}",
        f"- Refused with a message (a step the generic answer does not fit; nothing stored): "
        f"{storage['refused']}",
        f"- Rows stored for the simulated learners: {storage['stored_for_load_learners']}, of "
        f"which {storage['stored_unanswered']} were posted as the run stopped (stored, answer "
        f"not received) and {storage['stored_unasked']} that no request asked for",
        f"- Replays of an already stored statement (same id sent again): {storage['replayed']}; "
        f"rows they added: "
        f"{storage['stored_for_load_learners'] - storage['distinct_sent'] - storage['stored_unanswered']}",
        f"- Ids stored twice: {storage['doubled']}",
        "",
    ]
    if fault:
        lines += [
            "## Fault: Redis stopped",
            "",
            f"The run's own redis-server was stopped {fault['after']:.0f} s after the first "
            f"request for {fault['seconds']:.0f} s, then started again, empty.",
            "",
            f"- Requests answered during the outage: {fault['requests']}, failed: "
            f"{fault['failures']}",
            f"- Requests after Redis came back (a minute, or to the end of the run): "
            f"{fault['requests_after']}, "
            f"failed: {fault['failures_after']}",
            f"- `/sante/` during the outage: `{fault['health_during']}`",
            f"- `/sante/` after: `{fault['health_after']}`",
            "- Learners stay signed in: a step page that sends a learner to the sign-in page "
            "counts as a failure (tests/load/locustfile.py)",
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--fault", choices=["redis"], default=None)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pasapas-load-"))
    redis = None
    if args.fault == "redis":
        redis = OwnRedis(workdir)
        redis.start()
    env = environment(str(workdir / "static"), args.database, redis.url if redis else REDIS)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    print(f"Building the load-test database {args.database}…", flush=True)
    database_recreate(args.database)
    prepare(args.users, workdir)

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "lms.wsgi:application",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
    )
    prefix = workdir / "locust"
    started = time.monotonic()
    fault_thread = None
    try:
        wait_for(port)
        print(f"{args.users} learners for {args.minutes} min on 127.0.0.1:{port}…", flush=True)
        duration = int(args.minutes * 60)
        if redis is not None:
            # Once every learner has started (10 a second), and with time left after it.
            delay = max(args.users / 10 + 10, (duration - FAULT_SECONDS) / 3)
            fault_thread = RedisFault(redis, port, delay)
            fault_thread.start()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(Path(__file__).with_name("locustfile.py")),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                "10",
                "--run-time",
                f"{duration}s",
                "--stop-timeout",
                "10",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env={
                **env,
                "LOAD_PLAN": str(workdir / "plan.json"),
                "LOAD_SENT": str(workdir / "sent.json"),
            },
            timeout=duration + 180,
            check=False,
        )
    finally:
        seconds = time.monotonic() - started
        server.terminate()
        server.wait(timeout=30)
        if redis is not None:
            redis.stop()

    rows = stats_rows(prefix)
    ids = json.loads((workdir / "sent.json").read_text())
    storage = storage_check(ids)
    fault = None
    if fault_thread is not None:
        if fault_thread.started_at is None:
            raise SystemExit("the run ended before Redis was started again: run it longer")
        requests, failures = requests_between(
            prefix, fault_thread.stopped_at, fault_thread.started_at
        )
        requests_after, failures_after = requests_between(
            prefix, fault_thread.started_at, fault_thread.started_at + 60
        )
        first_request = min(
            float(row["Timestamp"]) for row in history(prefix) if int(row["Total Request Count"])
        )
        fault = {
            "after": fault_thread.stopped_at - first_request,
            "seconds": fault_thread.started_at - fault_thread.stopped_at,
            "requests": requests,
            "failures": failures,
            "requests_after": requests_after,
            "failures_after": failures_after,
            "health_during": fault_thread.health_during,
            "health_after": fault_thread.health_after,
        }
    text = report(args, rows, storage, seconds, fault)
    if fault:
        # A short fault run goes below the last full run's report, in place of the last
        # fault run's, so the full run's figures and their reading stay.
        kept = REPORT.read_text(encoding="utf-8").split(FAULT_HEADING)[0].rstrip()
        section = text.replace("# Load test", FAULT_HEADING, 1).replace("\n## ", "\n### ")
        REPORT.write_text(f"{kept}\n\n{section}", encoding="utf-8")
    else:
        REPORT.write_text(text, encoding="utf-8")
    print(text)
    failures = sum(
        int(row.get("Failure Count") or 0) for row in rows if row["Name"] == "Aggregated"
    )
    lost = storage["distinct_sent"] - storage["stored_of_sent"]
    extra = (
        storage["stored_for_load_learners"]
        - storage["distinct_sent"]
        - storage["stored_unanswered"]
        + storage["stored_unasked"]
    )
    if failures or lost or extra or storage["doubled"]:
        print(f"FAILED: {failures} failed requests, {lost} lost, {extra} extra statements")
        return 1
    print(f"Report written to {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
