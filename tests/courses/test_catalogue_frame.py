"""The public catalogue served from a frame rendered once (courses/models.py
CatalogueIndexPage.serve, courses/framing.py): the page Wagtail's own rendering gives, for each
kind of visitor, and a search always rendered for its visitor."""

import re
from unittest import mock

import pytest
from django.shortcuts import render
from django.test import Client
from django.urls import reverse

from courses import caching, framing, models
from courses.models import ThemePage
from tests.factories import AssociationFactory, learner_in, trainer_in

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def plain_render(request, template_name, context, *, content, key_parts, slot, own, **_token):
    """The catalogue as Page.serve renders it: the whole template with the request."""
    return render(request, template_name, {**context, **content, slot: own})


def comparable(page: str) -> str:
    return TOKEN.sub("token", page)


def frames() -> list[str]:
    return [value for key, (_until, value) in caching._objects.items() if ":page:" in key]


@pytest.fixture
def visitors(catalogue):
    association = AssociationFactory()
    learner, trainer = learner_in(association), trainer_in(association)
    browsers = {"anonymous": Client()}
    for name, person in (("learner", learner), ("trainer", trainer)):
        browsers[name] = Client()
        browsers[name].force_login(person)
    browsers["learner"].cookies["pasapas_text_size"] = "large"
    return browsers


def addresses() -> list[str]:
    theme = ThemePage.objects.live().first()
    return ["/catalogue/", f"/catalogue/?theme={theme.slug}", "/catalogue/?tous=1"]


def test_the_framed_catalogue_is_the_page_wagtail_renders(visitors):
    for name, browser in visitors.items():
        for url in addresses():
            with mock.patch.object(models, "render_framed", plain_render):
                expected = browser.get(url)
            browser.get(url)  # renders and caches the frame
            framed = browser.get(url)
            assert framed.status_code == expected.status_code == 200, (name, url)
            assert comparable(framed.content.decode()) == comparable(expected.content.decode())
            assert framing.MARK not in framed.content.decode()
    assert frames()


def test_each_kind_of_visitor_has_a_frame_of_their_own(visitors):
    for browser in visitors.values():
        browser.get("/catalogue/")  # renders and caches each frame
    pages = {
        name: browser.get("/catalogue/").content.decode() for name, browser in visitors.items()
    }
    assert 'data-text-size="large"' in pages["learner"]
    assert 'data-text-size="normal"' in pages["trainer"]
    sign_out = f'action="{reverse("accounts:logout")}"'
    assert sign_out in pages["learner"] and sign_out in pages["trainer"]
    assert sign_out not in pages["anonymous"]
    assert len(frames()) == 3  # anonymous, learner, trainer: their roles differ
    tokens = [set(TOKEN.findall(page)) for page in pages.values()]
    assert not (tokens[1] & tokens[2])


def test_a_search_is_rendered_for_its_visitor_and_never_kept(visitors):
    browser = visitors["learner"]
    page = browser.get("/catalogue/?q=%3Cb%3Eitsme").content.decode()
    assert "&lt;b&gt;itsme" in page
    assert "<b>itsme" not in page
    assert frames() == []
