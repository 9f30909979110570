"""`make load`: 200 simulated learners follow modules for 10 minutes against gunicorn.

Loopback only, bounded in time. Builds its own PostgreSQL database (`pasapas_load`, dropped
and rebuilt each run; the demo's database is never touched), starts gunicorn with DEBUG off
and Redis as the cache, runs locust headless (tests/load/locustfile.py), then checks that
every statement the learners sent is stored exactly once, and writes docs/load-test.md.
Exits non-zero on any failed request or any lost or doubled statement.

    python -m tests.load.run [--users 200] [--minutes 10] [--workers 4]
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "docs" / "load-test.md"
DATABASE = "pasapas_load"
SERVER = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/9"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_recreate() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


def environment(static_root: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.dev",
        "DEBUG": "false",
        "DATABASE_URL": f"{SERVER}/{DATABASE}",
        "REDIS_URL": REDIS,
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


def wait_for(port: int, seconds: float = 60) -> None:
    """Until every worker has loaded the project and answers the health page."""
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


def stats_rows(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as source:
        return list(csv.DictReader(source))


def storage_check(ids: dict) -> dict:
    from django.db.models import Count

    from lms.learning.models import Statement

    sent, replayed, attempted = ids["sent"], ids["replayed"], set(ids["attempted"])
    stored = Statement.objects.filter(learner__username__startswith="load")
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


def report(args, rows: list[dict], storage: dict, seconds: float) -> str:
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
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pasapas-load-"))
    env = environment(str(workdir / "static"))
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    print(f"Building the load-test database {DATABASE}…", flush=True)
    database_recreate()
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
    try:
        wait_for(port)
        print(f"{args.users} learners for {args.minutes} min on 127.0.0.1:{port}…", flush=True)
        duration = int(args.minutes * 60)
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

    rows = stats_rows(prefix)
    ids = json.loads((workdir / "sent.json").read_text())
    storage = storage_check(ids)
    text = report(args, rows, storage, seconds)
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
