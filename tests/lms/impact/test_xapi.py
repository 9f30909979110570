"""The xAPI export: a coordinator streams their association's statements, with pseudonyms only."""

import datetime
import json
import uuid

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from lms.accounts.models import AuditEntry, Role
from lms.impact import xapi
from lms.learning.models import Statement, Verb
from tests.factories import (
    AssociationFactory,
    FunderFactory,
    MembershipFactory,
    UserFactory,
    learner_in,
    trainer_in,
)

pytestmark = pytest.mark.django_db
MODULE = f"{settings.XAPI_IRI_BASE}/modules/abc"


def at(day: int, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(datetime.date(2026, 3, day), datetime.time(hour))
    )


@pytest.fixture
def world(db):
    tilleuls, fil = AssociationFactory(slug="tilleuls"), AssociationFactory(slug="fil")
    coordinator = UserFactory(username="coordinator", email="claire@example.org")
    MembershipFactory(user=coordinator, association=tilleuls, role=Role.COORDINATOR)
    other_coordinator = UserFactory(username="other-coordinator")
    MembershipFactory(user=other_coordinator, association=fil, role=Role.COORDINATOR)
    learner = learner_in(
        tilleuls, username="zineb.learner", display_name="Zineb", email="zineb@example.org"
    )
    trainer = trainer_in(tilleuls, username="thomas.trainer", display_name="Thomas")
    session = uuid.uuid4()
    Statement.objects.create(
        learner=learner,
        learner_pseudonym=learner.pseudonym,
        verb=Verb.ANSWERED,
        object_iri=f"{MODULE}/steps/1",
        object_kind="question",
        module_iri=MODULE,
        score_raw=2,
        score_min=0,
        score_max=3,
        score_scaled=0.67,
        success=True,
        completion=True,
        response="b",
        duration_seconds=3725,
        association=tilleuls,
        session_uuid=session,
        instructor=trainer,
        timestamp=at(2),
    )
    Statement.objects.create(
        learner=learner,
        learner_pseudonym=learner.pseudonym,
        verb=Verb.VALIDATED,
        object_iri=f"{MODULE}/steps/2",
        module_iri=MODULE,
        response={"help": "alone"},
        association=tilleuls,
        timestamp=at(9),
    )
    Statement.objects.create(
        learner=learner,
        learner_pseudonym=learner.pseudonym,
        verb=Verb.COMPLETED,
        object_iri=f"{MODULE}/steps/3",
        object_kind="h5p",
        module_iri=MODULE,
        score_scaled=1,
        is_self_reported=True,
        association=tilleuls,
        timestamp=at(20),
    )
    other = learner_in(fil, username="someone.else")
    Statement.objects.create(
        learner=other,
        learner_pseudonym=other.pseudonym,
        verb=Verb.EXPERIENCED,
        object_iri=f"{MODULE}/steps/1",
        association=fil,
        timestamp=at(2),
    )
    return {
        "tilleuls": tilleuls,
        "fil": fil,
        "coordinator": coordinator,
        "other_coordinator": other_coordinator,
        "learner": learner,
        "trainer": trainer,
        "session": session,
    }


def export(client, association, **params):
    return client.get(reverse("impact:xapi_export", args=[association.pk]), params)


def body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_a_coordinator_downloads_the_associations_statements_as_xapi(client, world):
    client.force_login(world["coordinator"])
    response = export(client, world["tilleuls"])
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("application/json")
    assert response["X-Experience-API-Version"] == "1.0.3"
    assert "attachment" in response["Content-Disposition"]
    statements = json.loads(body(response))
    assert len(statements) == 3
    answered = statements[0]
    assert answered["actor"] == {
        "objectType": "Agent",
        "account": {"homePage": settings.XAPI_IRI_BASE, "name": str(world["learner"].pseudonym)},
    }
    assert answered["verb"]["id"] == "http://adlnet.gov/expapi/verbs/answered"
    assert answered["verb"]["display"]["fr-BE"]
    assert answered["object"] == {
        "objectType": "Activity",
        "id": f"{MODULE}/steps/1",
        "definition": {"type": f"{settings.XAPI_IRI_BASE}/activity-types/question"},
    }
    assert answered["result"] == {
        "score": {"scaled": 0.67, "raw": 2, "min": 0, "max": 3},
        "success": True,
        "completion": True,
        "response": "b",
        "duration": "PT1H2M5S",
    }
    context = answered["context"]
    assert context["registration"] == str(world["session"])
    assert context["contextActivities"]["parent"][0]["id"] == MODULE
    assert context["extensions"] == {
        f"{settings.XAPI_IRI_BASE}/extensions/association": (
            f"{settings.XAPI_IRI_BASE}/associations/{world['tilleuls'].pk}"
        ),
        f"{settings.XAPI_IRI_BASE}/extensions/self-reported": False,
    }
    assert context["instructor"]["account"]["name"] == str(world["trainer"].pseudonym)
    assert answered["timestamp"].startswith("2026-03-02T")
    assert answered["stored"] and answered["version"] == "1.0.3"
    uuid.UUID(answered["id"])

    validated = statements[1]
    assert validated["verb"]["id"] == f"{settings.XAPI_IRI_BASE}/verbs/validated"
    assert json.loads(validated["result"]["response"]) == {"help": "alone"}
    assert "registration" not in validated["context"]
    assert statements[2]["context"]["extensions"][
        f"{settings.XAPI_IRI_BASE}/extensions/self-reported"
    ]
    assert AuditEntry.objects.filter(action="xapi_export", association=world["tilleuls"]).exists()


def test_the_export_names_nobody(client, world):
    client.force_login(world["coordinator"])
    text = body(export(client, world["tilleuls"]))
    for person in (world["learner"], world["trainer"]):
        for clue in (person.username, person.display_name, person.email or "@"):
            assert clue not in text
    assert '"mbox' not in text
    for statement in json.loads(text):
        assert set(statement["actor"]) == {"objectType", "account"}
        assert str(world["learner"].pk) != statement["actor"]["account"]["name"]


def test_the_period_filter_keeps_whole_days(client, world):
    client.force_login(world["coordinator"])
    only_second = json.loads(
        body(export(client, world["tilleuls"], start="2026-03-02", end="2026-03-02"))
    )
    assert [s["object"]["id"] for s in only_second] == [f"{MODULE}/steps/1"]
    from_ninth = json.loads(body(export(client, world["tilleuls"], start="2026-03-09")))
    assert len(from_ninth) == 2
    until_ninth = json.loads(body(export(client, world["tilleuls"], end="2026-03-09")))
    assert len(until_ninth) == 2
    nothing = json.loads(body(export(client, world["tilleuls"], start="2027-01-01")))
    assert nothing == []


def test_bad_dates_send_the_coordinator_back_with_a_message(client, world):
    client.force_login(world["coordinator"])
    response = export(client, world["tilleuls"], start="2026-03-09", end="2026-03-01")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert "La date de fin est avant la date de début." in page.content.decode()
    response = export(client, world["tilleuls"], start="le neuf mars")
    assert response.status_code == 302
    assert "JJ/MM/AAAA" in client.get(response["Location"]).content.decode()


def test_other_associations_and_other_roles_are_refused_alike(client, world):
    client.force_login(world["other_coordinator"])
    assert export(client, world["tilleuls"]).status_code == 403
    assert client.get(reverse("impact:xapi_export", args=[99999999])).status_code == 403
    client.force_login(world["trainer"])
    assert export(client, world["tilleuls"]).status_code == 403
    funder_user = UserFactory(username="funder")
    FunderFactory().members.add(funder_user)
    client.force_login(funder_user)
    assert export(client, world["tilleuls"]).status_code == 403
    client.logout()
    assert export(client, world["tilleuls"]).status_code == 302


def test_the_export_reads_rows_in_chunks_and_streams_them(world, django_assert_num_queries):
    stream = xapi.export_stream(association_id=world["tilleuls"].pk, start=None, end=None)
    with django_assert_num_queries(0):
        first = next(stream)  # nothing is read before the first piece is asked for
    assert first == "["
    assert json.loads(first + "".join(stream))[0]["verb"]["id"].endswith("answered")


def test_many_statements_come_in_several_pieces(world, monkeypatch):
    monkeypatch.setattr(xapi, "STATEMENTS_PER_PIECE", 2)
    for day in range(10, 15):
        Statement.objects.create(
            learner=world["learner"],
            learner_pseudonym=world["learner"].pseudonym,
            verb=Verb.EXPERIENCED,
            object_iri=f"{MODULE}/steps/{day}",
            association=world["tilleuls"],
            timestamp=at(day),
        )
    pieces = list(xapi.export_stream(association_id=world["tilleuls"].pk, start=None, end=None))
    assert len(pieces) >= 5
    assert len(json.loads("".join(pieces))) == 8


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, "PT0S"), (59, "PT59S"), (60, "PT1M"), (3600, "PT1H"), (3725, "PT1H2M5S")],
)
def test_durations_are_iso_8601(seconds, expected):
    assert xapi.duration(seconds) == expected
