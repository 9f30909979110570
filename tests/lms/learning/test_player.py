"""The module player, used without JavaScript: every step is a page, every button a form."""

import html
import re
import uuid

import pytest
from django.urls import reverse

from courses.framing import MARK
from lms.learning.models import ActivityProgress, ModuleProgress, Statement
from lms.logbook.selectors import checkpoints_of
from lms.logbook.services import Validation, validations_record
from tests.factories import AssociationFactory, TrainingSessionFactory, learner_in, trainer_in
from tests.lms.learning.step_answers import step_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner_client(client):
    learner = learner_in(AssociationFactory())
    client.force_login(learner)
    client.learner = learner
    return client


def step_number(module, kind):
    return next(i for i, step in enumerate(module.steps, start=1) if step.block_type == kind)


def test_a_new_learner_is_asked_the_start_question_then_starts_at_step_one(learner_client, module):
    response = learner_client.get(reverse("learning:module", args=[module.pk]))
    assert response.url == reverse("learning:outcome_start", args=[module.pk])
    response = learner_client.post(response.url, {"level": "not_yet"})
    assert response.url == reverse("learning:step", args=[module.pk, 1])


def test_each_step_shows_where_the_learner_is(learner_client, module):
    response = learner_client.get(reverse("learning:step", args=[module.pk, 2]))
    content = response.content.decode()
    assert f"Étape 2 sur {len(module.steps)}" in content
    assert "Suivant" in content and "Retour" in content


def test_next_records_the_step_and_opens_the_next_one(learner_client, module):
    url = reverse("learning:step", args=[module.pk, 1])
    response = learner_client.post(url, {"statement_id": str(uuid.uuid4())})
    assert response.url == reverse("learning:step", args=[module.pk, 2])
    assert Statement.objects.get().verb == "completed"
    assert ModuleProgress.objects.get().steps_completed == 1


def test_a_wrong_then_right_quiz_answer_is_graded_on_the_server(learner_client, module):
    number = step_number(module, "quiz")
    quiz = module.steps[number - 1].value
    right = next(i for i, a in enumerate(quiz["answers"]) if a["is_correct"])
    wrong = next(i for i, a in enumerate(quiz["answers"]) if not a["is_correct"])
    url = reverse("learning:step", args=[module.pk, number])

    response = learner_client.post(url, {"statement_id": str(uuid.uuid4()), "answer": wrong})
    page = html.unescape(learner_client.get(response.url).content.decode())
    assert quiz["answers"][wrong]["feedback"] in page
    assert "Essayez encore" in page

    response = learner_client.post(url, {"statement_id": str(uuid.uuid4()), "answer": right})
    page = html.unescape(learner_client.get(response.url).content.decode())
    assert quiz["answers"][right]["feedback"] in page
    progress = ActivityProgress.objects.get(
        activity_iri=module.step_iri(module.steps[number - 1].id)
    )
    assert progress.first_success is False
    assert progress.status == "completed"


def test_a_quiz_without_an_answer_asks_kindly(learner_client, module):
    number = step_number(module, "quiz")
    response = learner_client.post(
        reverse("learning:step", args=[module.pk, number]), {"statement_id": str(uuid.uuid4())}
    )
    page = html.unescape(learner_client.get(response.url).content.decode())
    assert "Choisissez une réponse" in page
    assert not Statement.objects.exists()


def test_the_pretend_inbox_gives_feedback_message_by_message(learner_client, module):
    number = step_number(module, "practice_inbox")
    messages = module.steps[number - 1].value["messages"]
    answers = {
        f"message-{i}": ("scam" if m["is_scam"] else "genuine") for i, m in enumerate(messages)
    }
    answers["message-0"] = "genuine" if messages[0]["is_scam"] else "scam"
    url = reverse("learning:step", args=[module.pk, number])
    response = learner_client.post(url, {"statement_id": str(uuid.uuid4()), **answers})
    statement = Statement.objects.get()
    assert statement.success is False
    assert statement.response["choices"][0] == answers["message-0"]
    page = html.unescape(learner_client.get(response.url).content.decode())
    # Without JavaScript the page itself says which message was sorted right: the first
    # one only is wrong.
    shown_right = re.findall(r'data-item-right="(\d+)">', page)
    shown_wrong = re.findall(r'data-item-wrong="(\d+)">', page)
    assert shown_wrong == ["0"]
    assert shown_right == [str(i) for i in range(1, len(messages))]
    assert "Regardez encore" in page


def test_the_same_form_sent_twice_is_recorded_once(learner_client, module):
    statement_id = str(uuid.uuid4())
    url = reverse("learning:step", args=[module.pk, 1])
    learner_client.post(url, {"statement_id": statement_id})
    learner_client.post(url, {"statement_id": statement_id})
    assert Statement.objects.count() == 1


def test_the_script_gets_a_json_verdict(learner_client, module):
    number = step_number(module, "quiz")
    response = learner_client.post(
        reverse("learning:step", args=[module.pk, number]),
        {"statement_id": str(uuid.uuid4()), "answer": 0},
        HTTP_ACCEPT="application/json",
    )
    data = response.json()
    assert data["ok"] is True
    assert isinstance(data["success"], bool)


def test_continue_opens_the_step_after_the_last_one_done(learner_client, module):
    for number in (1, 2):
        learner_client.post(
            reverse("learning:step", args=[module.pk, number]), {"statement_id": str(uuid.uuid4())}
        )
    response = learner_client.get(reverse("learning:module", args=[module.pk]))
    assert response.url == reverse("learning:step", args=[module.pk, 3])


def test_a_step_page_uses_a_constant_number_of_queries(
    learner_client, module, django_assert_max_num_queries
):
    url = reverse("learning:step", args=[module.pk, 1])
    learner_client.get(url)
    for number in range(1, len(module.steps) + 1):
        learner_client.post(
            reverse("learning:step", args=[module.pk, number]), {"statement_id": str(uuid.uuid4())}
        )
    with django_assert_max_num_queries(8):
        learner_client.get(url)


def test_the_text_size_is_remembered_without_javascript(learner_client, module):
    url = reverse("learning:step", args=[module.pk, 1])
    learner_client.post(reverse("learning:text_size"), {"size": "larger", "next": url})
    assert 'data-text-size="larger"' in learner_client.get(url).content.decode()


def pressed_sizes(page: str) -> dict[str, str]:
    """Each text-size button's value and aria-pressed, in the page's order."""
    import re

    return dict(re.findall(r'name="size" value="(\w+)" aria-pressed="(\w+)"', page))


def test_the_text_size_buttons_say_which_size_is_chosen(learner_client, module):
    url = reverse("learning:step", args=[module.pk, 1])
    # The first visit renders and caches the page frame and the form; the next ones reuse
    # them, each with its own choice put in.
    assert pressed_sizes(learner_client.get(url).content.decode()) == {
        "normal": "true",
        "large": "false",
        "larger": "false",
    }
    for size in ("larger", "large", "normal"):
        learner_client.post(reverse("learning:text_size"), {"size": size, "next": url})
        page = learner_client.get(url).content.decode()
        assert pressed_sizes(page) == {
            s: str(s == size).lower() for s in ("normal", "large", "larger")
        }
        assert MARK not in page
    outcome = learner_client.get(reverse("learning:outcome_start", args=[module.pk]))
    assert pressed_sizes(outcome.content.decode())["normal"] == "true"


def test_an_attestation_is_offered_only_for_a_finished_path(learner_client, catalogue):
    from courses.models import LearningPathPage
    from lms.learning.models import PathEnrollment

    path = LearningPathPage.objects.live().first()
    PathEnrollment.objects.create(learner=learner_client.learner, path=path)
    url = reverse("learning:attestation", args=[path.pk])
    assert learner_client.get(url).status_code == 404
    for item in path.path_modules.all():
        module = item.module.specific
        for number in range(1, len(module.steps) + 1):
            step = module.steps[number - 1]
            data = {"statement_id": str(uuid.uuid4()), **step_answers(step)}
            learner_client.post(reverse("learning:step", args=[module.pk, number]), data)
    # Every step done online: the "show your trainer" steps still wait for a trainer.
    assert learner_client.get(url).status_code == 404
    association = learner_client.learner.memberships.get().association
    trainer = trainer_in(association)
    session = TrainingSessionFactory(association=association)
    validations_record(
        session=session,
        by=trainer,
        validations=[
            Validation(learner_client.learner, module, step.id, "alone")
            for module, step in checkpoints_of(
                [item.module.specific for item in path.path_modules.all()]
            )
        ],
    )
    response = learner_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_my_path_uses_a_constant_number_of_queries(
    learner_client, catalogue, django_assert_max_num_queries
):
    from courses.models import LearningPathPage
    from lms.learning.models import PathEnrollment

    for path in LearningPathPage.objects.live():
        PathEnrollment.objects.create(learner=learner_client.learner, path=path)
    for module in catalogue[:5]:
        learner_client.post(
            reverse("learning:step", args=[module.pk, 1]), {"statement_id": str(uuid.uuid4())}
        )
    learner_client.get(reverse("learning:my_path"))
    with django_assert_max_num_queries(8):
        response = learner_client.get(reverse("learning:my_path"))
    assert response.status_code == 200


def test_bravo_proposes_the_next_module_of_the_path_else_of_the_theme(learner_client, catalogue):
    from courses.models import LearningPathPage, ModulePage
    from lms.learning.models import PathEnrollment

    path = LearningPathPage.objects.live().first()
    first, second = [item.module for item in path.path_modules.order_by("sort_order")[:2]]
    PathEnrollment.objects.create(learner=learner_client.learner, path=path)
    page = learner_client.get(reverse("learning:module_done", args=[first.pk])).content.decode()
    assert "Module suivant" in page
    assert html.escape(second.title) in page
    assert reverse("learning:module", args=[second.pk]) in page

    # Outside the learner's paths: the next module of the same theme.
    theme_modules = list(ModulePage.objects.live().child_of(first.get_parent()).order_by("path"))
    outside = [
        m for m in theme_modules[:-1] if m.pk not in {i.module_id for i in path.path_modules.all()}
    ]
    if outside:
        module = outside[0]
        following = theme_modules[theme_modules.index(module) + 1]
        page = learner_client.get(
            reverse("learning:module_done", args=[module.pk])
        ).content.decode()
        assert reverse("learning:module", args=[following.pk]) in page
    # The theme's last module, in no path: nothing to propose.
    PathEnrollment.objects.filter(learner=learner_client.learner).delete()
    last = theme_modules[-1]
    page = learner_client.get(reverse("learning:module_done", args=[last.pk])).content.decode()
    assert "Module suivant" not in page
