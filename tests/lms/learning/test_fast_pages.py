"""The learner pages' fast paths (issue #9): compiled reads, cached module and site chrome.

Each shortcut must give what the plain way gives, for the right learner only, and show a
publication at once. The test settings use a local-memory cache, emptied before each test.
"""

import html
import re
import uuid

import pytest
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.caching import (
    VERSION_KEY,
    bump_content_version,
    content_key,
    content_version,
    shared_content,
)
from courses.framing import MARK
from courses.models import LearningPathPage, ModulePage
from lms.learning import selectors
from lms.learning.models import ActivityProgress, ModuleProgress, PathEnrollment
from tests.factories import learner_in

pytestmark = pytest.mark.django_db


def signed_in(learner) -> Client:
    browser = Client()
    browser.force_login(learner)
    return browser


def complete_step(browser, module, number):
    response = browser.post(
        reverse("learning:step", args=[module.pk, number]), {"statement_id": str(uuid.uuid4())}
    )
    assert response.status_code == 302


def queries(browser, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200, url
    return len(captured)


# --- The learner's progress, read with SQL compiled once ------------------------------------


def test_the_one_query_step_state_matches_the_summary_rows_and_is_the_learners_own(
    association, module
):
    amina, bruno = learner_in(association), learner_in(association)
    browser = signed_in(amina)
    for number in range(1, len(module.steps) + 1):
        complete_step(browser, module, number)
    complete_step(signed_in(bruno), module, 1)
    ActivityProgress.objects.filter(
        learner=amina, activity_iri=module.step_iri(module.steps[0].id)
    ).update(is_validated_by_trainer=True)
    ModuleProgress.objects.filter(learner=amina, module_iri=module.iri).update(
        completed_at="2026-01-05T10:00:00Z"
    )

    for learner in (amina, bruno):
        progress, rows = selectors.module_state(learner, module)
        state = selectors.module_step_state(learner, module.iri)
        assert state.module_done == bool(progress and progress.completed_at)
        assert state.steps == {
            iri: (row.status, row.is_validated_by_trainer) for iri, row in rows.items()
        }
    assert selectors.module_step_state(amina, module.iri).module_done
    assert not selectors.module_step_state(bruno, module.iri).module_done
    assert len(selectors.module_step_state(bruno, module.iri).steps) == 1
    nobody = selectors.module_step_state(learner_in(association), module.iri)
    assert nobody.steps == {} and not nobody.module_done


def test_mon_parcours_rows_in_one_query_match_the_plain_querysets(association, catalogue):
    amina, bruno = learner_in(association), learner_in(association)
    modules = list(catalogue)[:3]
    browser = signed_in(amina)
    for each in modules:
        complete_step(browser, each, 1)
    complete_step(signed_in(bruno), modules[0], 1)
    paths = list(LearningPathPage.objects.live()[:2])
    for path in paths:
        PathEnrollment.objects.create(learner=amina, path=path)
    ModuleProgress.objects.filter(learner=amina, module=modules[1]).update(
        completed_at="2026-01-05T10:00:00Z"
    )

    rows, enrolled = selectors.my_path_rows(amina)
    # The same rows read the plain way: the learner's modules, most recently used first.
    plain = list(
        ModuleProgress.objects.filter(learner=amina, module__isnull=False).order_by("-updated_at")
    )
    assert [row.module_id for row in rows] == [row.module_id for row in plain]
    assert [(r.completed_at, r.steps_completed, r.steps_total) for r in rows] == [
        (r.completed_at, r.steps_completed, r.steps_total) for r in plain
    ]
    plain_paths = PathEnrollment.objects.filter(learner=amina).values_list("path_id", flat=True)
    assert enrolled == set(plain_paths) == {p.pk for p in paths}
    bruno_rows, bruno_paths = selectors.my_path_rows(bruno)
    assert [row.module_id for row in bruno_rows] == [modules[0].pk] and bruno_paths == set()


# --- The module as the step page needs it, cached per content version -----------------------


def test_the_cached_module_summary_is_what_the_page_gives(module):
    summary = selectors.module_live_summary(module.pk)
    assert (summary.pk, summary.title, summary.iri) == (module.pk, module.title, module.iri)
    assert summary.live_revision_id == module.live_revision_id
    assert summary.step_iris == tuple(module.step_iri(step.id) for step in module.steps)
    assert summary.urls[1] == reverse("learning:step", args=[module.pk, 1])
    assert summary.urls[-1] == reverse("learning:outcome_end", args=[module.pk])
    assert selectors.module_live_summary(module.pk) is summary  # no query, no unpickling


def test_an_unpublished_module_is_not_served_from_the_cache(association, module):
    browser = signed_in(learner_in(association))
    url = reverse("learning:step", args=[module.pk, 1])
    assert browser.get(url).status_code == 200
    ModulePage.objects.get(pk=module.pk).unpublish()
    assert browser.get(url).status_code == 404


def test_a_new_step_shows_at_once_after_publication(association, module):
    browser = signed_in(learner_in(association))
    total = len(module.steps)
    assert (
        f"Étape 1 sur {total}"
        in browser.get(reverse("learning:step", args=[module.pk, 1])).content.decode()
    )
    draft = ModulePage.objects.get(pk=module.pk)
    draft.steps.append(("explanation", module.steps[0].value))
    draft.save_revision().publish()
    page = browser.get(reverse("learning:step", args=[module.pk, total + 1]))
    assert page.status_code == 200
    assert f"Étape {total + 1} sur {total + 1}" in page.content.decode()


def test_the_learner_pages_cost_few_queries(association, module):
    """The session (the database sessions of the test settings; the user comes from the cache
    after the first request, lms/accounts/backends.py), then the learner's own rows in one
    query; the catalogue's view restrictions come with its remembered route."""
    browser = signed_in(learner_in(association))
    complete_step(browser, module, 1)
    step = reverse("learning:step", args=[module.pk, 2])
    for url in (step, reverse("learning:my_path"), "/catalogue/"):
        browser.get(url)
    assert queries(browser, step) == 2
    assert queries(browser, reverse("learning:my_path")) == 2
    assert queries(browser, "/catalogue/") == 1


# --- The content version, read once per request ----------------------------------------------


def test_the_content_version_is_read_once_per_request_and_again_at_the_next():
    before = content_version()
    request_started.send(sender=None)
    try:
        assert content_version() == before
        cache.set(VERSION_KEY, before + 5)  # another process published meanwhile
        assert content_version() == before  # one version for the whole page
        bump_content_version()  # a change made by this request shows in it at once
        bumped = content_version()
        assert bumped > before + 5
    finally:
        request_finished.send(sender=None)
    assert content_version() == bumped
    cache.set(VERSION_KEY, bumped + 1)
    assert content_version() == bumped + 1  # outside a request: read every time


def test_requests_within_a_second_share_a_reading_and_this_process_changes_show_at_once(
    monkeypatch,
):
    from courses import caching

    clock = [1000.0]
    monkeypatch.setattr(caching.time, "monotonic", lambda: clock[0])

    def in_a_request():
        request_started.send(sender=None)
        try:
            return content_version()
        finally:
            request_finished.send(sender=None)

    first = in_a_request()
    cache.set(VERSION_KEY, first + 7)  # another process published
    clock[0] += 0.5
    assert in_a_request() == first  # the reading of half a second ago
    clock[0] += 0.6
    assert in_a_request() == first + 7  # a second later: read again
    bump_content_version()  # this process publishes: its next request sees it at once
    assert in_a_request() > first + 7


def test_shared_content_is_built_again_under_a_new_version():
    built = []

    def build():
        built.append(1)
        return ("value", len(built))

    first = shared_content(content_key("test-shared"), build)
    assert shared_content(content_key("test-shared"), build) is first
    assert len(built) == 1
    bump_content_version()
    assert shared_content(content_key("test-shared"), build) == ("value", 2)


# --- The cached site chrome: per-visit parts stay per visit ---------------------------------


def forms_tokens(page: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))


def test_the_chrome_forms_carry_each_visitors_own_token_and_address(association, module):
    amina, bruno = signed_in(learner_in(association)), signed_in(learner_in(association))
    step = reverse("learning:step", args=[module.pk, 2])
    someone = signed_in(learner_in(association))
    someone.get(step)  # renders and caches the chrome and the step frames
    someone.get(reverse("learning:my_path"))
    first = amina.get(step)
    second = bruno.get("/mon-parcours/?vue=1")
    for response in (first, second):
        page = response.content.decode()
        # The header's sign-out form, the footer's language form (and the player's text
        # size form) all carry the token the page's own context gave.
        assert forms_tokens(page) >= {str(response.context["csrf_token"])}
        assert MARK not in page
    assert forms_tokens(first.content.decode()).isdisjoint(forms_tokens(second.content.decode()))
    assert f'name="next" value="{step}"' in first.content.decode()
    assert 'name="next" value="/mon-parcours/?vue=1"' in html.unescape(
        second.content.decode().replace("&amp;", "&")
    )
    assert step not in second.content.decode().split("<footer")[1]


def test_the_chrome_follows_the_visitors_roles(association, client, catalogue):
    learner = signed_in(learner_in(association))
    assert "Mon parcours" in learner.get("/catalogue/").content.decode()
    anonymous = client.get("/catalogue/").content.decode()
    assert "Mon parcours" not in anonymous and "Se connecter" in anonymous


def test_a_session_opened_by_a_trainer_shows_its_banner_to_that_learner_only(association, module):
    amina, bruno = signed_in(learner_in(association)), signed_in(learner_in(association))
    url = reverse("learning:my_path")
    bruno.get(url)  # the chrome is cached
    session = amina.session
    session["assisted_by"] = "Fatou Formatrice"
    session.save()
    assert "Fatou Formatrice" in amina.get(url).content.decode()
    assert "Fatou Formatrice" not in bruno.get(url).content.decode()


def test_mon_parcours_signs_show_each_modules_own_status(association, catalogue):
    learner = learner_in(association)
    browser = signed_in(learner)
    started, other, finished = list(catalogue)[:3]
    for each in (started, other, finished):
        complete_step(browser, each, 1)
    ModuleProgress.objects.filter(learner=learner, module=finished).update(
        completed_at="2026-01-05T10:00:00Z"
    )
    page = browser.get(reverse("learning:my_path")).content.decode()
    # Without the Listen button, whose text for the voice says the whole page again.
    page = html.unescape(re.sub(r'<p class="listen-bar".*?</p>', "", page, flags=re.DOTALL))
    doing, done = page.split("Ce que j'ai fait")
    # The finished module under "What I have done" with the "done online" sign (no trainer
    # validated it), the other one waiting with the "started" sign, whichever card was
    # rendered first.
    assert finished.title in done and "Fait en ligne" in done and "Commencé" not in done
    # Two modules under way: listed under "My modules", each with the "started" sign.
    assert started.title in doing and other.title in doing and doing.count("Commencé") == 2
