"""The replica scenario, run by tests/lms/test_replica.py in its own process, one phase each.

`python -m tests.lms.replica_phases PHASE` with DATABASE_URL (and DATABASE_REPLICA_URL)
set: it prints what it saw as one line of JSON, and the tests assert on it. A test run
has one database; here Django is configured with two real PostgreSQL databases.

- seed: people, an association and a programme, on the primary alone;
- (the test then copies the primary to the "replica")
- with-replica: change the primary (as a lagging replica would not show yet), then read
  pages and code, and note which database answered;
- without-replica: the same pages with DATABASE_URL only.
"""

import json
import re
import sys

from django.conf import settings

from lms.db_router import PIN_COOKIE, REPLICA, replica_reads

ON_THE_REPLICA = "Programme lu sur la réplique"
ON_THE_PRIMARY = "Programme lu sur le primaire"
LEARNER_BEFORE = "Amina"
LEARNER_NOW = "Amina Primaire"
PASSWORD = "mot-de-passe-de-test"


def phase_seed() -> dict:
    import datetime

    from django.utils import timezone

    from lms.accounts.models import Association, Funder, Membership, Role, User
    from lms.impact.models import Programme

    association = Association.objects.create(
        name="EPN de la réplique", slug="epn-replique", postcode="4000", municipality="Liège"
    )
    funder_user = User.objects.create_user(username="bailleur-replique", password=PASSWORD)
    funder = Funder.objects.create(name="Bailleur de la réplique")
    funder.members.add(funder_user)
    today = timezone.localdate()
    programme = Programme.objects.create(
        funder=funder,
        name=ON_THE_REPLICA,
        starts_on=today - datetime.timedelta(days=90),
        ends_on=today + datetime.timedelta(days=90),
    )
    programme.associations.add(association)
    learner = User.objects.create_user(
        username="apprenant-replique", password=PASSWORD, display_name=LEARNER_BEFORE
    )
    Membership.objects.create(
        user=learner, association=association, role=Role.LEARNER, joined_on=today
    )
    return {"programme": programme.pk}


class Queries:
    """The queries each database ran during the block."""

    def __enter__(self):
        from django.db import connections
        from django.test.utils import CaptureQueriesContext

        self.captures = {
            alias: CaptureQueriesContext(connections[alias]) for alias in settings.DATABASES
        }
        for capture in self.captures.values():
            capture.__enter__()
        return self

    def __exit__(self, *exc):
        for capture in self.captures.values():
            capture.__exit__(*exc)

    def count(self, alias: str) -> int:
        return len(self.captures[alias]) if alias in self.captures else 0

    def tables(self, alias: str) -> list[str]:
        found = set()
        for query in self.captures[alias].captured_queries:
            found.update(re.findall(r'(?:FROM|JOIN) "(\w+)"', query["sql"]))
        return sorted(found)


def read_pages(programme_id: int) -> dict:
    from django.test import Client

    from lms.accounts.models import User

    funder = Client()
    funder.force_login(User.objects.get(username="bailleur-replique"))
    # The site's first page ever creates rows (Wagtail's site settings): that request then
    # reads the primary, and its browser too for a while. Measure a later visit.
    funder.get("/impact/", {"programme": programme_id})
    funder.cookies.pop(PIN_COOKIE, None)
    with Queries() as queries:
        response = funder.get("/impact/", {"programme": programme_id})
    text = response.content.decode()
    dashboard = {
        "status": response.status_code,
        "shows_replica": ON_THE_REPLICA in text,
        "shows_primary": ON_THE_PRIMARY in text,
        "replica_queries": queries.count(REPLICA),
        "primary_tables": queries.tables("default"),
    }
    with Queries() as queries:
        response = funder.get("/impact/export.csv", {"programme": programme_id})
    export = {
        "status": response.status_code,
        "is_a_file": response.get("Content-Disposition", "").startswith("attachment"),
        "replica_queries": queries.count(REPLICA),
        "primary_tables": queries.tables("default"),
    }
    return {"dashboard": dashboard, "export": export}


def read_in_code(programme_id: int) -> dict:
    from django.db import transaction

    from lms.impact.models import Programme

    def name() -> str:
        return Programme.objects.get(pk=programme_id).name

    with replica_reads():
        inside = name()
        with transaction.atomic():
            in_transaction = name()
        after_the_transaction = name()
    with replica_reads():
        Programme.objects.filter(pk=programme_id).update(target_hours=100)
        after_a_write = name()
    return {
        "inside_replica_reads": inside,
        "outside": name(),
        "inside_a_transaction": in_transaction,
        "after_the_transaction": after_the_transaction,
        "after_a_write": after_a_write,
    }


def learner_signs_in() -> dict:
    from django.contrib.sessions.models import Session
    from django.test import Client

    from lms.accounts.models import User

    learner = Client()
    signed_in = learner.post(
        "/connexion/", {"username": "apprenant-replique", "password": PASSWORD}
    )
    with Queries() as queries:
        response = learner.get("/mon-parcours/")
    key = learner.cookies[settings.SESSION_COOKIE_NAME].value
    user = User.objects.get(username="apprenant-replique")
    return {
        "sign_in_status": signed_in.status_code,
        "path_status": response.status_code,
        "shows_name_now": LEARNER_NOW in response.content.decode(),
        "replica_queries": queries.count(REPLICA),
        "session_on_primary": Session.objects.using("default").filter(pk=key).exists(),
        "session_on_replica": Session.objects.using(REPLICA).filter(pk=key).exists(),
        "last_login_on_primary": user.last_login is not None,
        "last_login_on_replica": User.objects.using(REPLICA).get(pk=user.pk).last_login is not None,
    }


def funder_freezes(programme_id: int) -> dict:
    from django.test import Client

    from lms.accounts.models import User
    from lms.impact.models import FrozenReport

    funder = Client()
    funder.force_login(User.objects.get(username="bailleur-replique"))
    # The running period closes only with its box ticked (the confirmation step).
    response = funder.post("/impact/freeze/", {"programme": programme_id, "open_period": "on"})
    pinned = PIN_COOKIE in response.cookies and response.cookies[PIN_COOKIE].value == "1"
    reports = list(FrozenReport.objects.using("default"))
    report = reports[0]
    with Queries() as queries:
        opened = funder.get(response["Location"])
    del funder.cookies[PIN_COOKIE]
    unpinned = funder.get(response["Location"])
    return {
        "status": response.status_code,
        "pinned": pinned,
        "report_on_primary": len(reports) == 1,
        "report_on_replica": FrozenReport.objects.using(REPLICA).filter(pk=report.pk).exists(),
        "report_status": opened.status_code,
        "report_replica_queries": queries.count(REPLICA),
        "unpinned_status": unpinned.status_code,
    }


def phase_with_replica() -> dict:
    from django.db import connections

    from lms.accounts.models import User
    from lms.impact.models import Programme

    programme = Programme.objects.get(name=ON_THE_REPLICA)
    # Changes the replica has not received yet (it lags): each read shows where it came from.
    Programme.objects.filter(pk=programme.pk).update(name=ON_THE_PRIMARY)
    User.objects.filter(username="apprenant-replique").update(display_name=LEARNER_NOW)
    assert Programme.objects.using(REPLICA).get(pk=programme.pk).name == ON_THE_REPLICA
    return {
        "databases": list(settings.DATABASES),
        "routers": list(settings.DATABASE_ROUTERS),
        "replica_name": connections[REPLICA].settings_dict["NAME"],
        **read_pages(programme.pk),
        "code": read_in_code(programme.pk),
        "learner": learner_signs_in(),
        "freeze": funder_freezes(programme.pk),
    }


def phase_without_replica() -> dict:
    from lms.impact.models import Programme

    programme = Programme.objects.get(name=ON_THE_PRIMARY)
    return {
        "databases": list(settings.DATABASES),
        "routers": list(getattr(settings, "DATABASE_ROUTERS", [])),
        **read_pages(programme.pk),
        "code": read_in_code(programme.pk),
    }


PHASES = {
    "seed": phase_seed,
    "with-replica": phase_with_replica,
    "without-replica": phase_without_replica,
}

if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(PHASES[sys.argv[1]]()))
