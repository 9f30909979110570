"""The batch statement endpoint: the page's queued statements, sent as one JSON list."""

import datetime
import json
import random
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lms.learning.models import ActivityProgress, ModuleProgress, Statement
from lms.learning.progress import progress_rebuild
from lms.learning.services import MAX_FUTURE_SKEW
from lms.learning.submissions import (
    StepItem,
    StepSubmission,
    SubmitStatus,
    step_submission_parse,
    step_submit,
    steps_submit,
)
from lms.learning.views_statements import BATCH_LIMIT
from tests.factories import AssociationFactory, learner_in, trainer_in

pytestmark = pytest.mark.django_db

URL = "/apprendre/releves/"


@pytest.fixture
def learner_client(client):
    client.learner = learner_in(AssociationFactory())
    client.force_login(client.learner)
    return client


def fields_for(step, *, right=True) -> dict:
    """The step form's fields: the right answer, or a wrong one."""
    if step.block_type == "quiz":
        answers = list(step.value["answers"])
        index = next(i for i, a in enumerate(answers) if bool(a["is_correct"]) == right)
        return {"answer": str(index)}
    if step.block_type == "practice_inbox":
        return {
            f"message-{i}": ("scam" if bool(m["is_scam"]) == right else "genuine")
            for i, m in enumerate(step.value["messages"])
        }
    if step.block_type == "practice_form":
        return {
            f"field-{i}": spec["expected"] or "Dupont"
            for i, spec in enumerate(step.value["fields"])
        }
    if step.block_type == "h5p":
        return {
            "h5p_verb": "answered",
            "h5p_raw": "3" if right else "1",
            "h5p_min": "0",
            "h5p_max": "4",
            "h5p_scaled": "0.75" if right else "0.25",
            "h5p_success": "true" if right else "false",
        }
    return {}


def entries_for(module, *, wrong_first=True) -> list[dict]:
    """A whole module done offline: graded steps wrong first, then right."""
    entries = []
    for number, step in enumerate(module.steps, start=1):
        graded = step.block_type in ("quiz", "practice_inbox", "h5p")
        for right in (False, True) if graded and wrong_first else (True,):
            entries.append(
                {
                    "module": module.pk,
                    "step": number,
                    "statement_id": str(uuid.uuid4()),
                    "fields": fields_for(step, right=right),
                }
            )
    return entries


def post(client, body, **extra):
    return client.post(
        URL,
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
        **extra,
    )


def summaries(learner, *, with_times: bool):
    """A learner's progress rows without ids, comparable between two learners."""
    time_fields = ("completed_at", "updated_at") if with_times else ()
    activities = sorted(
        ActivityProgress.objects.filter(learner=learner).values_list(
            "activity_iri",
            "module_iri",
            "status",
            "attempts",
            "first_response",
            "first_success",
            "best_score_scaled",
            "is_validated_by_trainer",
            *time_fields,
        )
    )
    modules = sorted(
        ModuleProgress.objects.filter(learner=learner).values_list(
            "module_iri",
            "module_id",
            "steps_completed",
            "steps_total",
            "last_activity_iri",
            *(("started_at", "completed_at", "updated_at") if with_times else ()),
        )
    )
    done = sorted(
        row.completed_at is not None for row in ModuleProgress.objects.filter(learner=learner)
    )
    return activities, modules, done


def test_a_batch_is_stored_in_order_with_an_answer_per_statement(learner_client, module):
    entries = entries_for(module)
    response = post(learner_client, entries)
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] is True
    assert data["stored"] == len(entries) and data["duplicate"] == data["refused"] == 0
    assert [r["statement_id"] for r in data["results"]] == [e["statement_id"] for e in entries]
    assert {r["status"] for r in data["results"]} == {"stored"}
    quiz = next(
        i for i, e in enumerate(entries) if module.steps[e["step"] - 1].block_type == "quiz"
    )
    assert data["results"][quiz]["success"] is False
    assert data["results"][quiz + 1]["success"] is True
    assert Statement.objects.filter(learner=learner_client.learner).count() == len(entries)
    progress = ModuleProgress.objects.get(learner=learner_client.learner)
    # Every step but the "show your trainer" ones, which wait for a trainer's validation.
    checkpoints = sum(step.block_type == "checkpoint" for step in module.steps)
    assert checkpoints
    assert progress.steps_total == len(module.steps)
    assert progress.steps_completed == len(module.steps) - checkpoints
    assert progress.completed_at is None


def test_sending_the_same_batch_again_adds_no_row(learner_client, module):
    entries = entries_for(module)
    post(learner_client, entries)
    before = (Statement.objects.count(), summaries(learner_client.learner, with_times=True))
    response = post(learner_client, entries)
    assert response.status_code == 200
    assert response.json()["duplicate"] == len(entries)
    assert {r["status"] for r in response.json()["results"]} == {"duplicate"}
    assert (Statement.objects.count(), summaries(learner_client.learner, with_times=True)) == before


def test_an_id_repeated_inside_one_batch_is_stored_once(learner_client, module):
    entry = entries_for(module)[0]
    response = post(learner_client, [entry, entry])
    assert [r["status"] for r in response.json()["results"]] == ["stored", "duplicate"]
    assert Statement.objects.count() == 1


def test_a_replay_of_a_single_step_post_adds_no_row(learner_client, module):
    statement_id = str(uuid.uuid4())
    learner_client.post(
        reverse("learning:step", args=[module.pk, 1]), {"statement_id": statement_id}
    )
    response = post(
        learner_client, [{"module": module.pk, "step": 1, "statement_id": statement_id}]
    )
    assert response.json()["results"][0]["status"] == "duplicate"
    assert Statement.objects.count() == 1
    assert ModuleProgress.objects.get().steps_completed == 1


def test_invalid_statements_are_refused_with_a_message_and_the_others_stored(
    learner_client, module
):
    quiz = next(i for i, s in enumerate(module.steps, start=1) if s.block_type == "quiz")
    h5p = next(i for i, s in enumerate(module.steps, start=1) if s.block_type == "h5p")
    someone_else = learner_in(AssociationFactory())
    taken = uuid.uuid4()
    steps_submit(
        learner=someone_else,
        items=[StepItem(module, 0, StepSubmission(statement_id=taken))],
    )
    good = {"module": module.pk, "step": 1, "statement_id": str(uuid.uuid4())}
    body = [
        good,
        {"module": module.pk, "step": quiz, "statement_id": str(uuid.uuid4())},  # no answer
        {**good, "statement_id": "not-a-uuid"},
        {**good, "statement_id": str(uuid.uuid4()), "module": 999_999},
        {**good, "statement_id": str(uuid.uuid4()), "step": len(module.steps) + 1},
        {**good, "statement_id": str(uuid.uuid4()), "step": True},
        {**good, "statement_id": str(uuid.uuid4()), "timestamp": "2026-13-45T25:00:00"},
        {**good, "statement_id": str(uuid.uuid4()), "fields": {"answer": ["0"]}},
        {
            "module": module.pk,
            "step": h5p,
            "statement_id": str(uuid.uuid4()),
            "fields": {**fields_for(module.steps[h5p - 1]), "h5p_raw": "9"},  # above max
        },
        {**good, "statement_id": str(taken)},  # another learner's statement
        "not an object",
        None,
    ]
    response = post(learner_client, body)
    assert response.status_code == 200
    data = response.json()
    statuses = [r["status"] for r in data["results"]]
    assert statuses == ["stored"] + ["refused"] * (len(body) - 1)
    assert all(r["message"] for r in data["results"][1:])
    assert Statement.objects.filter(learner=learner_client.learner).count() == 1
    assert Statement.objects.get(pk=taken).learner == someone_else


def test_messages_are_in_french(learner_client, module):
    response = post(
        learner_client,
        [{"module": module.pk, "step": 1, "statement_id": "x"}],
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert "Rechargez la page" in response.json()["results"][0]["message"]


def test_more_than_the_limit_is_refused_whole_and_nothing_is_stored(learner_client, module):
    entry = {"module": module.pk, "step": 1}
    body = [{**entry, "statement_id": str(uuid.uuid4())} for _ in range(BATCH_LIMIT + 1)]
    response = post(learner_client, body)
    assert response.status_code == 413
    assert str(BATCH_LIMIT) in response.json()["message"]
    assert not Statement.objects.exists()
    assert post(learner_client, body[:BATCH_LIMIT]).json()["stored"] == BATCH_LIMIT


@pytest.mark.parametrize("body", ["{", '{"module": 1}', "42", "\xff"])
def test_a_body_that_is_not_a_list_is_refused_kindly(learner_client, body):
    response = learner_client.post(URL, body.encode("latin-1"), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"]


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
def test_deeply_nested_json_is_refused_kindly_not_a_server_error(learner_client, opening, closing):
    # Deeper than the JSON parser's recursion limit: it raises RecursionError, not ValueError.
    depth = 100_000
    body = (opening * depth + closing * depth).encode()
    response = learner_client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"] == (
        "Ce qui a été envoyé n’a pas pu être lu. Rechargez la page, puis réessayez."
    )
    assert not Statement.objects.exists()


def test_an_empty_list_stores_nothing(learner_client):
    response = post(learner_client, [])
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_anonymous_people_are_sent_to_sign_in_and_nothing_is_stored(client, module):
    response = post(client, entries_for(module))
    assert response.status_code == 302
    assert "/connexion/" in response.url
    assert not Statement.objects.exists()


def test_a_trainer_cannot_record_statements(client, module):
    client.force_login(trainer_in(AssociationFactory()))
    response = post(client, entries_for(module))
    assert response.status_code == 403
    assert not Statement.objects.exists()


def test_the_endpoint_needs_the_csrf_token(module):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner_in(AssociationFactory()))
    body = entries_for(module)[:1]
    assert post(client, body).status_code == 403
    assert not Statement.objects.exists()
    client.get(reverse("learning:step", args=[module.pk, 1]))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = post(client, body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    assert Statement.objects.count() == 1


def test_get_is_not_allowed(learner_client):
    assert learner_client.get(URL).status_code == 405


def test_progress_is_the_same_as_with_one_request_per_step(client, module):
    """The same work sent step by step through the form, and as one batch."""
    entries = entries_for(module)
    one_by_one, batched = learner_in(AssociationFactory()), learner_in(AssociationFactory())
    client.force_login(one_by_one)
    for entry in entries:
        client.post(
            reverse("learning:step", args=[module.pk, entry["step"]]),
            {"statement_id": entry["statement_id"], **entry["fields"]},
        )
    client.force_login(batched)
    fresh = [{**entry, "statement_id": str(uuid.uuid4())} for entry in entries]
    assert post(client, fresh).json()["stored"] == len(entries)
    assert summaries(batched, with_times=False) == summaries(one_by_one, with_times=False)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_late_and_out_of_order_statements_give_the_same_progress_as_one_by_one(module, seed):
    """With the devices' own times, shuffled: what step_submit gives, statement after statement.

    Part of the work is already recorded, so the batch meets existing rows, and some of
    its statements are older than them (the module is folded again from the log).
    """
    start = timezone.now() - datetime.timedelta(hours=3)
    work = []
    for minute, entry in enumerate(entries_for(module) * 2):
        work.append((entry, start + datetime.timedelta(minutes=minute)))
    random.Random(seed).shuffle(work)
    earlier, later = work[:5], work[5:]

    def item(entry, at):
        submission = step_submission_parse(entry["fields"], statement_id=uuid.uuid4(), timestamp=at)
        return StepItem(module, entry["step"] - 1, submission)

    one_by_one, batched = learner_in(AssociationFactory()), learner_in(AssociationFactory())
    for learner in (one_by_one, batched):
        for entry, at in earlier:
            it = item(entry, at)
            step_submit(
                learner=learner, module=module, step_index=it.step_index, submission=it.submission
            )
    for entry, at in later:
        it = item(entry, at)
        step_submit(
            learner=one_by_one, module=module, step_index=it.step_index, submission=it.submission
        )
    results = steps_submit(learner=batched, items=[item(entry, at) for entry, at in later])
    assert {r.status for r in results} == {SubmitStatus.STORED}
    expected = summaries(one_by_one, with_times=True)
    assert summaries(batched, with_times=True) == expected
    progress_rebuild(learner_ids=[batched.pk])
    assert summaries(batched, with_times=True) == expected


def test_a_queued_statement_keeps_the_time_it_happened_within_limits(learner_client, module):
    two_days_ago = timezone.now() - datetime.timedelta(days=2)
    in_a_year = timezone.now() + datetime.timedelta(days=365)
    first, second = uuid.uuid4(), uuid.uuid4()
    post(
        learner_client,
        [
            {
                "module": module.pk,
                "step": 1,
                "statement_id": str(first),
                "timestamp": two_days_ago.isoformat(),
            },
            {
                "module": module.pk,
                "step": 2,
                "statement_id": str(second),
                "timestamp": in_a_year.isoformat(),
            },
        ],
    )
    assert Statement.objects.get(pk=first).timestamp == two_days_ago
    assert Statement.objects.get(pk=second).timestamp <= timezone.now() + MAX_FUTURE_SKEW


def test_a_body_larger_than_django_accepts_is_refused_whole(learner_client, module, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    entry = {"module": module.pk, "step": 1, "statement_id": str(uuid.uuid4())}
    response = post(learner_client, [{**entry, "fields": {"field-0": "x" * 20_000}}])
    assert response.status_code == 413
    assert response.json()["message"]
    assert not Statement.objects.exists()
