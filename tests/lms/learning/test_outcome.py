"""The outcome question, "Pouvez-vous le faire seul·e ?", before and after each module."""

import html
import json
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lms.learning import selectors
from lms.learning.models import ModuleProgress, Statement, Verb
from lms.learning.services import (
    SelfAssessmentInvalid,
    self_assessment_record,
    statement_record,
)
from tests.factories import AssociationFactory, learner_in, trainer_in

pytestmark = pytest.mark.django_db
MODULE_SLUG = "utiliser-un-ecran-tactile"  # every step can be done here (see conftest.py)


@pytest.fixture
def other_module(catalogue):
    return catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")


@pytest.fixture
def learner(association):
    return learner_in(association)


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


def answer(learner, module, phase, level="with_help", **kwargs):
    return self_assessment_record(
        learner=learner, module=module, phase=phase, level=level, **kwargs
    )


def assessments(learner=None):
    rows = Statement.objects.filter(verb=Verb.ASSESSED).order_by("timestamp", "stored_at")
    return rows.filter(learner=learner) if learner else rows


def right_answers(step) -> dict:
    data = {"statement_id": str(uuid.uuid4())}
    if step.block_type == "quiz":
        data["answer"] = next(i for i, a in enumerate(step.value["answers"]) if a["is_correct"])
    elif step.block_type == "practice_inbox":
        data |= {
            f"message-{i}": "scam" if m["is_scam"] else "genuine"
            for i, m in enumerate(step.value["messages"])
        }
    elif step.block_type == "practice_form":
        data |= {f"field-{i}": f["expected"] or "Marie" for i, f in enumerate(step.value["fields"])}
    return data


# --- Recording an answer -------------------------------------------------------------------


def test_an_answer_is_one_self_assessed_statement_about_the_module(learner, module, association):
    before = timezone.now()
    statement, created = answer(learner, module, "start", "not_yet", association=association)
    assert created
    statement.refresh_from_db()
    assert statement.verb == Verb.ASSESSED == "self-assessed"
    assert statement.object_iri == statement.module_iri == module.iri
    assert statement.object_kind == "module"
    assert statement.module_id == module.pk
    assert statement.response == {"phase": "start", "level": "not_yet"}
    assert statement.is_self_reported is True
    assert statement.association == association
    assert statement.learner == learner and statement.learner_pseudonym == learner.pseudonym
    assert before <= statement.timestamp <= timezone.now()


def test_an_answer_is_not_a_step_done(learner, module):
    answer(learner, module, "start")
    answer(learner, module, "end")
    progress = ModuleProgress.objects.get(learner=learner)
    assert progress.steps_completed == 0
    assert progress.last_activity_iri == ""
    assert progress.completed_at is None


def test_the_same_phase_sent_twice_is_stored_once_and_the_first_answer_kept(learner, module):
    first, created = answer(learner, module, "start", "not_yet")
    again, created_again = answer(learner, module, "start", "alone")
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert [s.response["level"] for s in assessments(learner)] == ["not_yet"]


def test_a_second_end_after_the_end_is_not_stored(learner, module):
    answer(learner, module, "start")
    answer(learner, module, "end", "with_help")
    _statement, created = answer(learner, module, "end", "alone")
    assert not created
    assert [s.response["phase"] for s in assessments(learner)] == ["start", "end"]


def test_a_start_after_an_end_opens_a_new_attempt(learner, module):
    answer(learner, module, "start", "not_yet")
    answer(learner, module, "end", "with_help")
    _statement, created = answer(learner, module, "start", "with_help")
    assert created
    assert [s.response["phase"] for s in assessments(learner)] == ["start", "end", "start"]


def test_an_end_without_a_start_is_kept(learner, module):
    _statement, created = answer(learner, module, "end", "alone")
    assert created
    assert assessments(learner).get().response == {"phase": "end", "level": "alone"}


def test_a_double_tap_racing_the_first_stores_one_answer(learner, module, monkeypatch):
    """The second request read the log before the first one stored its answer."""
    from lms.learning import services

    first, _created = answer(learner, module, "start", "not_yet")
    monkeypatch.setattr(services, "self_assessments_of", lambda *args: Statement.objects.none())
    again, created = answer(learner, module, "start", "alone")
    assert not created and again.pk == first.pk
    assert assessments(learner).count() == 1


@pytest.mark.parametrize(
    ("phase", "level", "message"),
    [
        ("middle", "alone", "Unknown phase 'middle': expected one of start, end."),
        ("start", "maybe", "Unknown level 'maybe': expected one of not_yet, with_help, alone."),
        ("end", "", "Unknown level '': expected one of not_yet, with_help, alone."),
    ],
)
def test_an_unknown_phase_or_level_is_refused_with_a_clear_message(
    learner, module, phase, level, message
):
    with pytest.raises(SelfAssessmentInvalid) as refused:
        answer(learner, module, phase, level)
    assert str(refused.value) == message
    assert not Statement.objects.exists()


def test_an_anonymous_visitor_cannot_answer(module):
    with pytest.raises(PermissionDenied):
        answer(AnonymousUser(), module, "start")
    assert not Statement.objects.exists()


def test_the_answers_of_two_learners_do_not_mix(learner, module, association):
    other = learner_in(association)
    mine, _created = answer(learner, module, "start", "not_yet")
    theirs, created = answer(other, module, "start", "alone")
    assert created and theirs.pk != mine.pk
    assert assessments(learner).get().response["level"] == "not_yet"
    assert assessments(other).get().response["level"] == "alone"


# --- When to ask, and what the trainer may see -------------------------------------------------


def test_the_start_question_is_due_until_answered(learner, module):
    assert selectors.outcome_start_due(learner, module, None)
    answer(learner, module, "start")
    progress, _steps = selectors.module_state(learner, module)
    assert not selectors.outcome_start_due(learner, module, progress)


def test_the_start_question_is_not_asked_once_a_step_is_done(learner, module):
    statement_record(
        statement_id=uuid.uuid4(),
        learner=learner,
        verb=Verb.COMPLETED,
        object_iri=module.step_iri(module.steps[0].id),
        module=module,
    )
    progress, _steps = selectors.module_state(learner, module)
    assert not selectors.outcome_start_due(learner, module, progress)


def test_the_end_question_is_due_until_answered_since_the_latest_start(learner, module):
    assert selectors.outcome_end_due(learner, module)
    answer(learner, module, "start")
    assert selectors.outcome_end_due(learner, module)
    answer(learner, module, "end")
    assert not selectors.outcome_end_due(learner, module)
    answer(learner, module, "start")
    assert selectors.outcome_end_due(learner, module)


def test_another_learners_answers_do_not_count(learner, module, association):
    other = learner_in(association)
    answer(other, module, "start")
    answer(other, module, "end")
    assert selectors.outcome_start_due(learner, module, None)
    assert selectors.outcome_end_due(learner, module)


def test_outcome_answers_gives_the_latest_start_and_its_end_per_module(
    learner, module, other_module, django_assert_num_queries
):
    answer(learner, module, "start", "not_yet")
    answer(learner, module, "end", "with_help")
    answer(learner, other_module, "start", "with_help")
    answer(learner, other_module, "end", "alone")
    answer(learner, other_module, "start", "alone")  # a second attempt, no end yet
    answer(learner_in(AssociationFactory()), module, "start", "alone")
    with django_assert_num_queries(1):
        answers = selectors.outcome_answers(learner)
    assert list(answers) == [other_module.iri, module.iri]  # most recent first
    first = answers[module.iri]
    assert (first.start_level, first.end_level) == ("not_yet", "with_help")
    assert first.module == module
    assert first.start_at < first.end_at
    assert (first.start_label, first.end_label) == ("Pas encore", "Avec de l'aide")
    second = answers[other_module.iri]
    assert (second.start_level, second.end_level, second.end_at) == ("alone", None, None)


def test_outcome_answers_keeps_answers_of_a_deleted_module(learner, module):
    answer(learner, module, "end", "alone")
    Statement.objects.update(module=None)  # what deleting the page does (SET_NULL)
    answers = selectors.outcome_answers(learner)
    assert answers[module.iri].module is None
    assert (answers[module.iri].start_level, answers[module.iri].end_level) == (None, "alone")


def test_outcome_answers_is_empty_for_a_learner_who_never_answered(learner):
    assert selectors.outcome_answers(learner) == {}


# --- The screens ---------------------------------------------------------------------------------


def test_a_whole_module_asks_before_and_after_then_says_well_done(learner_client, learner, module):
    response = learner_client.get(reverse("learning:module", args=[module.pk]))
    start_url = reverse("learning:outcome_start", args=[module.pk])
    assert response.url == start_url

    page = html.unescape(learner_client.get(start_url).content.decode())
    assert "Pouvez-vous le faire seul·e ?" in page
    assert "Avant de commencer" in page
    for label in ("Pas encore", "Avec de l'aide", "Seul·e"):
        assert label in page
    assert "csrfmiddlewaretoken" in page

    response = learner_client.post(start_url, {"level": "not_yet"})
    assert response.url == reverse("learning:step", args=[module.pk, 1])

    end_url = reverse("learning:outcome_end", args=[module.pk])
    for number, step in enumerate(module.steps, start=1):
        response = learner_client.post(
            reverse("learning:step", args=[module.pk, number]), right_answers(step)
        )
    assert response.url == end_url  # the last step is a checkpoint: Next goes on
    # ... but the module is finished only once a trainer validated that checkpoint.
    assert ModuleProgress.objects.get(learner=learner).completed_at is None

    page = html.unescape(learner_client.get(end_url).content.decode())
    assert "Vous avez fait toutes les étapes." in page
    response = learner_client.post(end_url, {"level": "alone"})
    assert response.url == reverse("learning:module_done", args=[module.pk])
    done = learner_client.get(response.url).content.decode()
    assert "Bravo" in done and "1 étape attend votre formateur." in done

    assert [s.response for s in assessments(learner)] == [
        {"phase": "start", "level": "not_yet"},
        {"phase": "end", "level": "alone"},
    ]
    # Back on the module later: neither question again, and the step that waits for the
    # trainer (the last one) is where it opens.
    response = learner_client.get(reverse("learning:module", args=[module.pk]))
    assert response.url == reverse("learning:step", args=[module.pk, len(module.steps)])
    assert learner_client.get(end_url).url == reverse("learning:module_done", args=[module.pk])


def test_a_last_quiz_step_links_to_the_end_question(learner_client, module):
    quiz = next(i for i, step in enumerate(module.steps) if step.block_type == "quiz")
    module.steps = json.dumps(list(module.steps.raw_data)[: quiz + 1])
    module.save()
    module.refresh_from_db()
    url = reverse("learning:step", args=[module.pk, quiz + 1])
    response = learner_client.post(url, right_answers(module.steps[quiz]))
    page = learner_client.get(response.url).content.decode()
    end_url = reverse("learning:outcome_end", args=[module.pk])
    assert f'href="{end_url}"' in page
    assert reverse("learning:module_done", args=[module.pk]) not in page


def test_the_script_is_sent_to_the_end_question_after_the_last_step(learner_client, module):
    last = len(module.steps)
    response = learner_client.post(
        reverse("learning:step", args=[module.pk, last]),
        right_answers(module.steps[last - 1]),
        HTTP_ACCEPT="application/json",
    )
    assert response.json()["next_url"] == reverse("learning:outcome_end", args=[module.pk])


def test_skipping_the_start_records_nothing_and_asks_again_until_a_step_is_done(
    learner_client, module
):
    start_url = reverse("learning:outcome_start", args=[module.pk])
    step_one = reverse("learning:step", args=[module.pk, 1])
    page = learner_client.get(start_url).content.decode()
    assert f'href="{step_one}"' in page and "Passer" in page
    assert learner_client.get(step_one).status_code == 200
    assert not Statement.objects.exists()
    assert learner_client.get(reverse("learning:module", args=[module.pk])).url == start_url

    learner_client.post(step_one, {"statement_id": str(uuid.uuid4())})
    response = learner_client.get(reverse("learning:module", args=[module.pk]))
    assert response.url == reverse("learning:step", args=[module.pk, 2])
    assert learner_client.get(start_url).url == reverse("learning:module", args=[module.pk])


def test_skipping_the_end_goes_to_well_done_and_records_nothing(learner_client, module):
    end_url = reverse("learning:outcome_end", args=[module.pk])
    done_url = reverse("learning:module_done", args=[module.pk])
    assert f'href="{done_url}"' in learner_client.get(end_url).content.decode()
    assert learner_client.get(done_url).status_code == 200
    assert not Statement.objects.exists()
    assert learner_client.get(end_url).status_code == 200  # still asked next time


def test_a_double_tap_stores_one_answer_and_both_taps_move_on(learner_client, learner, module):
    start_url = reverse("learning:outcome_start", args=[module.pk])
    first = learner_client.post(start_url, {"level": "with_help"})
    second = learner_client.post(start_url, {"level": "alone"})
    assert first.url == reverse("learning:step", args=[module.pk, 1])
    assert second.url == reverse("learning:module", args=[module.pk])
    assert learner_client.get(second.url).url == first.url
    assert assessments(learner).get().response["level"] == "with_help"

    end_url = reverse("learning:outcome_end", args=[module.pk])
    learner_client.post(end_url, {"level": "alone"})
    again = learner_client.post(end_url, {"level": "not_yet"})
    assert again.url == reverse("learning:module_done", args=[module.pk])
    assert [s.response["level"] for s in assessments(learner)] == ["with_help", "alone"]


def test_no_choice_shows_the_question_again_with_a_kind_message(learner_client, module):
    start_url = reverse("learning:outcome_start", args=[module.pk])
    for data in ({}, {"level": "perhaps"}):
        response = learner_client.post(start_url, data)
        assert response.status_code == 400
        page = html.unescape(response.content.decode())
        assert "Appuyez sur une des trois images." in page
        assert "Pouvez-vous le faire seul·e ?" in page
    assert not Statement.objects.exists()


def test_the_answer_carries_the_learners_association(learner_client, learner, association, module):
    learner_client.post(reverse("learning:outcome_start", args=[module.pk]), {"level": "alone"})
    assert assessments(learner).get().association == association


def test_the_form_needs_its_csrf_token(learner, module):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)
    response = client.post(reverse("learning:outcome_start", args=[module.pk]), {"level": "alone"})
    assert response.status_code == 403
    assert not Statement.objects.exists()


@pytest.mark.parametrize("name", ["learning:outcome_start", "learning:outcome_end"])
def test_an_anonymous_visitor_is_sent_to_sign_in(client, module, name):
    response = client.post(reverse(name, args=[module.pk]), {"level": "alone"})
    assert response.status_code == 302
    assert "/connexion/" in response.url
    assert not Statement.objects.exists()


@pytest.mark.parametrize("name", ["learning:outcome_start", "learning:outcome_end"])
def test_a_trainer_is_refused(client, module, name):
    client.force_login(trainer_in(AssociationFactory()))
    assert client.post(reverse(name, args=[module.pk]), {"level": "alone"}).status_code == 403
    assert not Statement.objects.exists()


@pytest.mark.parametrize("name", ["learning:outcome_start", "learning:outcome_end"])
def test_an_unpublished_module_is_not_found(learner_client, module, name):
    module.unpublish()
    response = learner_client.post(reverse(name, args=[module.pk]), {"level": "alone"})
    assert response.status_code == 404
    assert not Statement.objects.exists()


def test_the_question_page_uses_a_constant_number_of_queries(
    learner_client, module, django_assert_max_num_queries
):
    url = reverse("learning:outcome_end", args=[module.pk])
    learner_client.get(url)
    with django_assert_max_num_queries(8):
        assert learner_client.get(url).status_code == 200
