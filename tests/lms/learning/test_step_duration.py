"""The time a learner spent on a step travels with its statement, checked by the server."""

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from lms.learning.models import Statement
from lms.learning.submissions import MAX_STEP_SECONDS
from tests.factories import AssociationFactory, learner_in

pytestmark = pytest.mark.django_db
MODULE_SLUG = "utiliser-un-ecran-tactile"  # every step can be done here (see conftest.py)

BATCH_URL = "/apprendre/releves/"
NONSENSE = ["-5", "abc", "1.5", "1e9", " 60", "²", "0x10", "9999999", str(MAX_STEP_SECONDS + 1)]


@pytest.fixture
def learner_client():
    client = Client(HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE="fr")
    client.learner = learner_in(AssociationFactory())
    client.force_login(client.learner)
    return client


def step_post(client, module, number, **fields):
    return client.post(
        reverse("learning:step", args=[module.pk, number]),
        {"statement_id": str(uuid.uuid4()), **fields},
    )


def batch_post(client, entries):
    return client.post(BATCH_URL, json.dumps(entries), content_type="application/json")


def stored_durations(learner) -> list:
    return list(
        Statement.objects.filter(learner=learner)
        .order_by("timestamp", "stored_at")
        .values_list("duration_seconds", flat=True)
    )


def test_a_step_post_stores_the_seconds_sent_with_it(learner_client, module):
    response = step_post(learner_client, module, 1, duration_seconds="47")
    assert response.status_code == 200, response.content
    assert stored_durations(learner_client.learner) == [47]


def test_a_step_post_without_a_duration_stores_none(learner_client, module):
    assert step_post(learner_client, module, 1).status_code == 200
    assert step_post(learner_client, module, 2, duration_seconds="").status_code == 200
    assert stored_durations(learner_client.learner) == [None, None]


@pytest.mark.parametrize("seconds", ["0", str(MAX_STEP_SECONDS)])
def test_the_bounds_themselves_are_accepted(learner_client, module, seconds):
    assert step_post(learner_client, module, 1, duration_seconds=seconds).status_code == 200
    assert stored_durations(learner_client.learner) == [int(seconds)]


@pytest.mark.parametrize("seconds", NONSENSE)
def test_a_step_post_with_nonsense_time_is_a_400_in_french_and_stores_nothing(
    learner_client, module, seconds
):
    response = step_post(learner_client, module, 1, duration_seconds=seconds)
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("Le temps passé sur cette étape"), message
    assert not Statement.objects.filter(learner=learner_client.learner).exists()


def test_a_plain_form_with_nonsense_time_is_a_400_too(module):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    learner = learner_in(AssociationFactory())
    client.force_login(learner)
    response = step_post(client, module, 1, duration_seconds="-1")
    assert response.status_code == 400
    assert "Le temps passé sur cette étape" in response.content.decode()
    assert not Statement.objects.filter(learner=learner).exists()


def test_a_batch_stores_each_statements_seconds_and_refuses_only_the_nonsense(
    learner_client, module
):
    def entry(step, **fields):
        return {"module": module.pk, "step": step, "statement_id": str(uuid.uuid4()), **fields}

    entries = [
        entry(1, fields={"duration_seconds": "30"}),
        # A number in JSON is read as a form would send it.
        entry(2, fields={"duration_seconds": 95}),
        entry(3, fields={"duration_seconds": "-30"}),
        entry(3, fields={"duration_seconds": 1.5}),
        entry(3, fields={"duration_seconds": MAX_STEP_SECONDS + 1}),
        entry(3),
    ]
    response = batch_post(learner_client, entries)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["stored", "stored", *["refused"] * 3, "stored"]
    assert results[2]["message"] == "Le temps passé sur cette étape n'a pas pu être lu."
    assert results[4]["message"] == (
        f"Le temps passé sur cette étape est trop long : {MAX_STEP_SECONDS // 3600} heures au"
        " maximum."
    )
    assert stored_durations(learner_client.learner) == [30, 95, None]


def test_time_spent_offline_and_sent_twice_is_counted_once(learner_client, module):
    """The page queues a statement with its seconds; a retry after a lost answer repeats
    the same id (and, were it measured again, other seconds): only the first is kept."""
    statement_id = str(uuid.uuid4())
    first = {"module": module.pk, "step": 1, "statement_id": statement_id}
    batch_post(learner_client, [{**first, "fields": {"duration_seconds": "120"}}])
    response = batch_post(learner_client, [{**first, "fields": {"duration_seconds": "500"}}])
    assert response.json()["duplicate"] == 1
    assert stored_durations(learner_client.learner) == [120]


def test_an_h5p_and_a_graded_step_keep_their_score_and_their_seconds(learner_client, catalogue):
    module = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")
    quiz = next(i for i, s in enumerate(module.steps, start=1) if s.block_type == "quiz")
    h5p = next(i for i, s in enumerate(module.steps, start=1) if s.block_type == "h5p")
    answers = module.steps[quiz - 1].value["answers"]
    right = next(i for i, a in enumerate(answers) if a["is_correct"])
    entries = [
        {
            "module": module.pk,
            "step": quiz,
            "statement_id": str(uuid.uuid4()),
            "fields": {"answer": str(right), "duration_seconds": "64"},
        },
        {
            "module": module.pk,
            "step": h5p,
            "statement_id": str(uuid.uuid4()),
            "fields": {
                "h5p_verb": "answered",
                "h5p_raw": "3",
                "h5p_min": "0",
                "h5p_max": "4",
                "h5p_scaled": "0.75",
                "h5p_success": "true",
                "duration_seconds": "131",
            },
        },
    ]
    assert batch_post(learner_client, entries).json()["stored"] == 2
    rows = Statement.objects.filter(learner=learner_client.learner)
    assert sorted(rows.values_list("object_kind", "score_scaled", "duration_seconds")) == [
        ("h5p", 0.75, 131),
        ("quiz", 1.0, 64),
    ]
