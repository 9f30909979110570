"""Cached content on learner pages: shared parts cached, per-learner parts never shared.

The test settings use a local-memory cache (emptied before each test by tests/conftest.py),
so these tests go through the real cache: a first visit fills it, a second reads it.
"""

import html
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.framing import MARK
from courses.models import ModulePage
from lms.learning.models import ActivityProgress, ProgressStatus
from tests.factories import learner_in

pytestmark = pytest.mark.django_db


def signed_in(client_class, learner):
    client = client_class()
    client.force_login(learner)
    return client


@pytest.fixture
def two_learners(association, client):
    """Amina and Bruno, each with their own browser."""
    # Names set, not drawn: two names drawn at random can be the same, and the tests tell
    # the learners' pages apart by them.
    amina = learner_in(association, first_name="Amina", display_name="Amina")
    bruno = learner_in(association, first_name="Bruno", display_name="Bruno")
    return signed_in(type(client), amina), signed_in(type(client), bruno), amina, bruno


def number_of(module, kind):
    return next(i for i, step in enumerate(module.steps, start=1) if step.block_type == kind)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def content_rendered(response) -> bool:
    return "learning/steps/content.html" in [t.name for t in response.templates]


def test_a_second_visit_reads_the_step_content_from_the_cache(two_learners, module):
    amina, bruno, *_ = two_learners
    url = reverse("learning:step", args=[module.pk, 2])
    assert content_rendered(amina.get(url))
    second = bruno.get(url)
    assert not content_rendered(second)
    assert f"Étape 2 sur {len(module.steps)}" in second.content.decode()


def test_one_learners_quiz_answer_is_never_shown_to_another(two_learners, module):
    amina, bruno, *_ = two_learners
    number = number_of(module, "quiz")
    quiz = module.steps[number - 1].value
    wrong = next(i for i, a in enumerate(quiz["answers"]) if not a["is_correct"])
    url = reverse("learning:step", args=[module.pk, number])
    bruno.get(url)  # the shared content is now cached
    response = amina.post(url, {"statement_id": str(uuid.uuid4()), "answer": wrong})
    amina_page = html.unescape(amina.get(response.url).content.decode())
    assert "checked" in amina_page and "Essayez encore" in amina_page
    # Bruno, on the same step (even with Amina's feedback link), sees a blank question.
    for bruno_url in (url, response.url):
        bruno_page = html.unescape(bruno.get(bruno_url).content.decode())
        assert "checked" not in bruno_page
        assert re.search(rf'data-feedback-for="{wrong}"\s+hidden', bruno_page)
    # And Amina's own answer was not cached for her next visit without the link.
    assert "checked" not in amina.get(url).content.decode()


def test_a_trainer_validation_shows_only_to_that_learner(two_learners, catalogue):
    amina, bruno, amina_user, _bruno_user = two_learners
    module = next(m for m in catalogue if any(s.block_type == "checkpoint" for s in m.steps))
    number = number_of(module, "checkpoint")
    url = reverse("learning:step", args=[module.pk, number])
    bruno.get(url)
    ActivityProgress.objects.create(
        learner=amina_user,
        activity_iri=module.step_iri(module.steps[number - 1].id),
        module_iri=module.iri,
        status=ProgressStatus.COMPLETED,
        is_validated_by_trainer=True,
        updated_at="2026-01-05T10:00:00Z",
    )
    validated, waiting = "a validé cette étape", "Cette étape attend votre formateur."
    amina_page = html.unescape(amina.get(url).content.decode())
    bruno_page = html.unescape(bruno.get(url).content.decode())
    assert validated in amina_page and waiting not in amina_page
    assert waiting in bruno_page and validated not in bruno_page
    # Bruno's (cached) version did not leak to Amina, nor Amina's to Bruno, either way round.
    assert validated in html.unescape(amina.get(url).content.decode())


def test_the_csrf_token_and_statement_ids_are_per_visit(two_learners, module):
    amina, bruno, *_ = two_learners
    url = reverse("learning:step", args=[module.pk, 1])
    first, second = amina.get(url), bruno.get(url)
    assert first.context["csrf_token"] != second.context["csrf_token"]
    assert str(second.context["csrf_token"]) in second.content.decode()
    ids = [str(item["statement_id"]) for item in first.context["steps"]]
    assert not any(statement_id in second.content.decode() for statement_id in ids)


def test_publishing_the_module_shows_the_new_content_at_once(two_learners, module):
    amina, *_ = two_learners
    number = number_of(module, "explanation")
    url = reverse("learning:step", args=[module.pk, number])
    old_title = module.steps[number - 1].value["title"]
    assert old_title in html.unescape(amina.get(url).content.decode())
    draft = ModulePage.objects.get(pk=module.pk)
    draft.steps[number - 1].value["title"] = "Un titre tout neuf"
    draft.save_revision().publish()
    page = html.unescape(amina.get(url).content.decode())
    assert "Un titre tout neuf" in page and old_title not in page


def test_the_step_page_costs_the_same_queries_with_more_learners_and_progress(
    association, client, module, catalogue
):
    learner = learner_in(association)
    fresh = signed_in(type(client), learner)
    url = reverse("learning:step", args=[module.pk, 2])
    fresh.get(url)
    before = queries(fresh, url)
    # Many other learners, and this learner's progress through every module.
    for _ in range(5):
        other = signed_in(type(client), learner_in(association))
        other.get(url)
    for other_module in catalogue:
        fresh.post(
            reverse("learning:step", args=[other_module.pk, 1]),
            {"statement_id": str(uuid.uuid4())},
        )
    for number in range(1, len(module.steps) + 1):
        fresh.post(
            reverse("learning:step", args=[module.pk, number]),
            {"statement_id": str(uuid.uuid4())},
        )
    assert queries(fresh, url) == before <= 8


def test_mon_parcours_costs_the_same_queries_with_more_modules(association, client, catalogue):
    learner = learner_in(association)
    browser = signed_in(type(client), learner)
    url = reverse("learning:my_path")
    modules = list(catalogue)
    browser.post(
        reverse("learning:step", args=[modules[0].pk, 1]), {"statement_id": str(uuid.uuid4())}
    )
    browser.get(url)
    before = queries(browser, url)
    for other_module in modules[1:]:
        browser.post(
            reverse("learning:step", args=[other_module.pk, 1]),
            {"statement_id": str(uuid.uuid4())},
        )
    browser.get(url)  # the new pictures' small renditions are made once, on first use
    assert queries(browser, url) == before <= 8


def test_mon_parcours_shows_each_learner_only_their_own_modules_and_paths(two_learners, catalogue):
    from courses.models import LearningPathPage
    from lms.learning.models import PathEnrollment

    amina, bruno, amina_user, bruno_user = two_learners
    first, second = list(catalogue)[:2]
    amina.post(reverse("learning:step", args=[first.pk, 1]), {"statement_id": str(uuid.uuid4())})
    bruno.post(reverse("learning:step", args=[second.pk, 1]), {"statement_id": str(uuid.uuid4())})
    path = LearningPathPage.objects.live().first()
    PathEnrollment.objects.create(learner=amina_user, path=path)
    url = reverse("learning:my_path")
    bruno_page = html.unescape(bruno.get(url).content.decode())  # fills the shared cards
    amina_page = html.unescape(amina.get(url).content.decode())
    assert first.title in amina_page and path.title in amina_page
    assert amina_user.public_name in amina_page and bruno_user.public_name not in amina_page
    assert second.title in bruno_page and path.title not in bruno_page
    assert bruno_user.public_name in bruno_page and amina_user.public_name not in bruno_page
    if first.pk not in [item.module_id for item in path.path_modules.all()]:
        assert first.title not in bruno_page


def test_a_renamed_module_shows_its_new_title_on_mon_parcours(two_learners, module):
    amina, *_ = two_learners
    amina.post(reverse("learning:step", args=[module.pk, 1]), {"statement_id": str(uuid.uuid4())})
    url = reverse("learning:my_path")
    assert module.title in html.unescape(amina.get(url).content.decode())
    page = ModulePage.objects.get(pk=module.pk)
    page.title = "Un nouveau titre de module"
    page.save_revision().publish()
    assert "Un nouveau titre de module" in html.unescape(amina.get(url).content.decode())


def test_progress_dots_are_each_learners_own(two_learners, module):
    amina, bruno, *_ = two_learners
    url = reverse("learning:step", args=[module.pk, 3])
    bruno.get(url)  # frames cached from Bruno's visit
    for number in (1, 2):
        amina.post(
            reverse("learning:step", args=[module.pk, number]),
            {"statement_id": str(uuid.uuid4())},
        )
    amina_page = amina.get(url).content.decode()
    bruno_page = bruno.get(url).content.decode()
    steps = len(module.steps)
    # Every step's frame shows the dots: steps 1 and 2 done for Amina (except where one of
    # them is the frame's own, current, dot), none for Bruno.
    assert amina_page.count('class="is-done"') == 2 * steps - 2
    assert bruno_page.count('class="is-done"') == 0
    assert bruno_page.count('class="is-current"') == steps
    # One token and one fresh statement id per form, never a stand-in left over.
    assert MARK not in amina_page and MARK not in bruno_page
    ids = re.findall(r'name="statement_id" value="([^"]+)"', bruno_page)
    assert len(ids) == len(set(ids)) == steps
