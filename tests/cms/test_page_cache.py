"""The public catalogue's cached cards and the remembered page routes (cms/routing.py).

The test settings use a local-memory cache, emptied before each test (tests/conftest.py).
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Locale, Page, PageViewRestriction

from courses.models import CatalogueIndexPage, ModulePage, ThemePage
from tests.factories import AssociationFactory, learner_in

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


def cards_rendered(response) -> bool:
    return "courses/includes/catalogue_cards.html" in [t.name for t in response.templates]


@pytest.fixture
def learner_client():
    """A signed-in learner's browser, apart from the anonymous `client`."""
    browser = Client()
    browser.force_login(learner_in(AssociationFactory()))
    return browser


@pytest.mark.parametrize("url", ["/catalogue/", "/catalogue/?tous=1"])
def test_the_catalogue_takes_at_most_8_queries_for_a_learner(learner_client, catalogue, url):
    learner_client.get(url)
    assert queries(learner_client, url) <= 8


def test_the_catalogue_costs_the_same_with_more_modules(client, catalogue):
    client.get("/catalogue/?tous=1")
    before = queries(client, "/catalogue/?tous=1")
    theme = ThemePage.objects.live().first()
    model = catalogue.first()
    for number in range(3):
        theme.add_child(
            instance=ModulePage(
                title=f"Module ajouté {number}", goal="Un but.", steps=model.steps.raw_data
            )
        ).save_revision().publish()
    client.get("/catalogue/?tous=1")
    response = client.get("/catalogue/?tous=1")
    assert "Module ajouté 2" in response.content.decode()
    assert queries(client, "/catalogue/?tous=1") == before


def test_the_cards_are_rendered_once_for_everyone(client, learner_client, catalogue):
    assert cards_rendered(client.get("/catalogue/"))
    response = learner_client.get("/catalogue/")
    assert not cards_rendered(response)
    # The header is still the learner's own: their menu, their sign-out form.
    assert "Mon parcours" in response.content.decode()
    assert "Mon parcours" not in client.get("/catalogue/").content.decode()


def test_a_search_is_never_cached(client, catalogue):
    module = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")
    assert cards_rendered(client.get("/catalogue/?q=arnaque"))
    response = client.get("/catalogue/?q=arnaque")
    assert cards_rendered(response)
    assert module.title in response.content.decode()


def test_publishing_a_theme_changes_the_catalogue_at_once(client, catalogue):
    client.get("/catalogue/")
    theme = ThemePage.objects.live().first()
    theme.title = "Un thème renommé"
    theme.save_revision().publish()
    assert "Un thème renommé" in client.get("/catalogue/").content.decode()


def test_an_unpublished_module_leaves_the_catalogue_and_its_page(client, catalogue):
    module = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")
    url = module.url
    assert client.get(url).status_code == 200
    assert module.title in client.get("/catalogue/?tous=1").content.decode()
    module.unpublish()
    assert client.get(url).status_code == 404
    assert module.title not in client.get("/catalogue/?tous=1").content.decode()


def test_a_remembered_route_costs_fewer_queries_and_serves_the_same_page(client, catalogue):
    module = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")
    with CaptureQueriesContext(connection) as first:
        routed = client.get(module.url)
    with CaptureQueriesContext(connection) as second:
        remembered = client.get(module.url)
    assert routed.context["page"].pk == remembered.context["page"].pk == module.pk
    assert len(second) < len(first)


def test_a_moved_page_is_not_served_at_its_old_address(client, catalogue):
    module = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")
    old_url = module.url
    assert client.get(old_url).status_code == 200
    other_theme = ThemePage.objects.live().exclude(pk=module.get_parent().pk).first()
    module.move(other_theme, pos="last-child")
    new_url = ModulePage.objects.get(pk=module.pk).url
    assert new_url != old_url
    # Wagtail's own redirect to the new address, not the page from a remembered route.
    response = client.get(old_url)
    assert response.status_code == 301 and response.url == new_url
    assert client.get(new_url).status_code == 200


def test_view_restrictions_still_apply_to_a_remembered_route(client, catalogue):
    client.get("/catalogue/")
    catalogue_page = CatalogueIndexPage.objects.get(locale=Locale.get_default())
    PageViewRestriction.objects.create(
        page=Page.objects.get(pk=catalogue_page.pk), restriction_type=PageViewRestriction.LOGIN
    )
    response = client.get("/catalogue/")
    assert response.status_code == 302
