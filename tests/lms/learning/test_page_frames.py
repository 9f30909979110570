"""Learner pages served from a frame rendered once (courses/framing.py render_framed).

The frame must give the page `render` gives, with each visitor's own part, token, address
and text size, and never one learner's data in another's page. The test settings use a
local-memory cache, emptied before each test.
"""

import html
import re
import uuid
from unittest import mock

import pytest
from django.contrib import messages
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from courses import caching
from courses.cards import catalogue_cards
from courses.framing import MARK
from lms.learning import views_my_path, views_player
from lms.learning.models import ModuleProgress, PathEnrollment
from tests.factories import learner_in

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
STATEMENT = re.compile(r'name="statement_id" value="([^"]+)"')


def signed_in(learner, **cookies) -> Client:
    browser = Client()
    browser.force_login(learner)
    for name, value in cookies.items():
        browser.cookies[name] = value
    return browser


def plain_render(request, template_name, context, *, content, key_parts, slot, own, **_token):
    """What the page was before frames: the whole template rendered with the request."""
    return render(request, template_name, {**context, **content, slot: mark_safe(own)})  # noqa: S308 (ours)


def comparable(page: str) -> str:
    """The page without what differs at each visit anyway (masked token, statement ids)."""
    return STATEMENT.sub("statement", TOKEN.sub("token", page))


def pages(module) -> list[str]:
    return [
        reverse("learning:my_path"),
        reverse("learning:step", args=[module.pk, 1]),
        reverse("learning:step", args=[module.pk, 2]) + "?choix=1&x=%3Cb%3E",
    ]


def test_a_framed_page_is_the_page_render_gives(association, module):
    amina = learner_in(association, display_name="Amina")
    ModuleProgress.objects.create(
        learner=amina,
        module=module,
        module_iri=module.iri,
        steps_total=8,
        steps_completed=1,
        started_at=timezone.now(),
        updated_at=timezone.now(),
    )
    browser = signed_in(amina, pasapas_text_size="larger")
    for url in pages(module):
        with (
            mock.patch.object(views_my_path, "render_framed", plain_render),
            mock.patch.object(views_player, "render_framed", plain_render),
        ):
            expected = browser.get(url)
        browser.get(url)  # renders and caches the frame
        framed = browser.get(url)  # from the frame
        assert framed.status_code == expected.status_code == 200
        assert framed["Content-Type"] == expected["Content-Type"]
        assert comparable(framed.content.decode()) == comparable(expected.content.decode())
        assert MARK not in framed.content.decode()


def test_a_frame_holds_nothing_of_the_learner_who_rendered_it(association, module):
    amina = learner_in(association, display_name="Amina Zapata")
    ModuleProgress.objects.create(
        learner=amina,
        module=module,
        module_iri=module.iri,
        steps_total=8,
        steps_completed=3,
        started_at=timezone.now(),
        updated_at=timezone.now(),
    )
    bruno = learner_in(association, display_name="Bruno Yildiz")
    first = signed_in(amina, pasapas_text_size="larger")
    second = signed_in(bruno)
    for url in pages(module):
        mine = first.get(url).content.decode()  # renders and caches the frame
        theirs = second.get(url).content.decode()
        # The frames kept in this process (courses/caching.py keeps every cached value).
        frames = [value for key, (_until, value) in caching._objects.items() if ":page:" in key]
        assert frames
        for frame in frames:
            assert "Amina" not in frame and "Bruno" not in frame
        assert 'data-text-size="larger"' in mine
        assert 'data-text-size="normal"' in theirs
        assert set(TOKEN.findall(mine)).isdisjoint(TOKEN.findall(theirs))
        assert set(STATEMENT.findall(mine)).isdisjoint(STATEMENT.findall(theirs))
        assert "Amina" not in theirs
    url = reverse("learning:my_path")
    theirs = html.unescape(second.get(url).content.decode())
    assert "Bruno Yildiz" in theirs
    assert module.title not in theirs  # Amina's module, which Bruno never opened
    assert module.title in html.unescape(first.get(url).content.decode())


def own_part_rendered_whole(user, context):
    """The learner's part of Mon parcours as before stand-ins: the template, for them."""
    return render_to_string("learning/my_path_own.html", {**context, "user": user})


def test_the_own_part_of_mon_parcours_is_the_template_rendered_for_the_learner(association, module):
    amina = learner_in(association, display_name="<Amina> & Zoé")
    browser = signed_in(amina)
    url = reverse("learning:my_path")
    cards = catalogue_cards()
    path_id, path = next((pk, path) for pk, path in cards.paths.items() if len(path.modules) > 1)
    now = timezone.now()

    def progress(module_id, done, total, completed=False):
        ModuleProgress.objects.update_or_create(
            learner=amina,
            module_id=module_id,
            defaults={
                "module_iri": f"https://example.org/module/{module_id}",
                "steps_total": total,
                "steps_completed": done,
                "started_at": now,
                "updated_at": now,
                "completed_at": now if completed else None,
            },
        )

    shapes = [
        lambda: None,  # nothing started
        lambda: progress(module.pk, 3, 8),  # one module under way
        lambda: progress(path.modules[0], 1, 5),  # two under way
        lambda: PathEnrollment.objects.create(learner=amina, path_id=path_id),  # a path
        lambda: progress(module.pk, 8, 8, completed=True),  # one done
        lambda: [progress(pk, 4, 4, completed=True) for pk in path.modules],  # a path complete
    ]
    seen = set()
    for change in shapes:
        change()
        with mock.patch.object(views_my_path, "_my_path_own", own_part_rendered_whole):
            expected = comparable(browser.get(url).content.decode())
        browser.get(url)  # renders and caches the shape
        framed = browser.get(url).content.decode()
        assert comparable(framed) == expected
        assert MARK not in framed
        assert "&lt;Amina&gt; &amp; Zoé" in framed
        seen.add(expected)
    assert len(seen) == len(shapes)
    shapes_kept = [
        value for key, (_until, value) in caching._objects.items() if "my-path-own" in key
    ]
    assert len(shapes_kept) == len(shapes)
    assert not any("Amina" in shape for shape in shapes_kept)
    assert "attestation" in framed


def test_the_address_is_each_visits_own_and_escaped(association, module):
    browser = signed_in(learner_in(association))
    url = reverse("learning:step", args=[module.pk, 1])
    browser.get(url + "?premier=1")  # renders and caches the frame
    page = browser.get(url + "?a=1&b=2").content.decode()
    assert "premier" not in page
    # The header's, the text size form's and the footer's forms send back here.
    assert page.count(f'name="next" value="{url}?a=1&amp;b=2"') >= 2


def test_a_page_with_a_message_is_rendered_as_usual_and_the_message_shown_once(association, module):
    amina, bruno = learner_in(association), learner_in(association)
    url = reverse("learning:my_path")
    signed_in(bruno).get(url)  # a frame exists
    browser = signed_in(amina)
    request = browser.get(url).wsgi_request
    storage_key = "Message pour Amina " + uuid.uuid4().hex
    # A message as a view leaves it before a redirect: in the messages cookie.
    response = HttpResponse()
    CookieStorage(request)._store([Message(messages.INFO, storage_key)], response)
    browser.cookies["messages"] = response.cookies["messages"].value
    with_message = browser.get(url).content.decode()
    assert storage_key in with_message
    assert storage_key not in browser.get(url).content.decode()  # shown once
    assert storage_key not in signed_in(bruno).get(url).content.decode()


def test_a_session_opened_by_a_trainer_shows_its_banner_and_is_never_framed(association, module):
    amina, bruno = learner_in(association), learner_in(association)
    url = reverse("learning:step", args=[module.pk, 1])
    signed_in(bruno).get(url)
    browser = signed_in(amina)
    session = browser.session
    session["assisted_by"] = "Formatrice Zoé"
    session.save()
    assert "Formatrice Zoé" in browser.get(url).content.decode()
    assert "Formatrice Zoé" not in signed_in(bruno).get(url).content.decode()
