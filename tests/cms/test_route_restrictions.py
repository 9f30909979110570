"""View restrictions remembered with a page's route (cms/routing.py, courses/caching.py).

The rows are remembered, never the decision: each visitor is still checked, and any change
to a restriction applies at the next visit. The test settings use a local-memory cache,
emptied before each test (tests/conftest.py).
"""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Locale, Page, PageViewRestriction

from courses.caching import content_version
from courses.models import CatalogueIndexPage
from tests.factories import AssociationFactory, learner_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue_page(catalogue):
    return Page.objects.get(pk=CatalogueIndexPage.objects.get(locale=Locale.get_default()).pk)


def signed_in(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def restriction_queries(browser, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200
    return sum("wagtailcore_pageviewrestriction" in q["sql"] for q in captured.captured_queries)


def test_a_remembered_route_reads_no_restriction(client, catalogue_page):
    client.get("/catalogue/")
    assert restriction_queries(client, "/catalogue/") == 0


def test_a_restriction_removed_lifts_at_once(client, catalogue_page):
    restriction = PageViewRestriction.objects.create(
        page=catalogue_page, restriction_type=PageViewRestriction.LOGIN
    )
    signed_in(learner_in(AssociationFactory())).get("/catalogue/")  # route remembered
    assert client.get("/catalogue/").status_code == 302
    restriction.delete()
    assert client.get("/catalogue/").status_code == 200


def test_a_restriction_on_an_ancestor_applies_at_once(client, catalogue_page):
    client.get("/catalogue/")
    client.get("/catalogue/")  # served from the remembered route
    PageViewRestriction.objects.create(
        page=catalogue_page.get_parent(), restriction_type=PageViewRestriction.LOGIN
    )
    assert client.get("/catalogue/").status_code == 302


def test_each_visitor_is_checked_against_the_remembered_groups(catalogue_page):
    staff, others = Group.objects.create(name="Équipe"), Group.objects.create(name="Autres")
    restriction = PageViewRestriction.objects.create(
        page=catalogue_page, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.set([staff])
    association = AssociationFactory()
    member, outsider = learner_in(association), learner_in(association)
    member.groups.add(staff)
    member_browser, outsider_browser = signed_in(member), signed_in(outsider)
    assert member_browser.get("/catalogue/").status_code == 200  # route remembered
    assert member_browser.get("/catalogue/").status_code == 200
    assert outsider_browser.get("/catalogue/").status_code == 302
    # Other groups for the restriction: the member is refused at once, the outsider let in.
    before = content_version()
    restriction.groups.set([others])
    assert content_version() > before  # the remembered rows are read again
    outsider.groups.add(others)
    assert member_browser.get("/catalogue/").status_code == 302
    assert outsider_browser.get("/catalogue/").status_code == 200


def test_a_password_restriction_asks_every_visitor_for_it(client, catalogue_page):
    client.get("/catalogue/")
    PageViewRestriction.objects.create(
        page=catalogue_page, restriction_type=PageViewRestriction.PASSWORD, password="secret"
    )
    page = client.get("/catalogue/").content.decode()
    assert 'name="password"' in page  # Wagtail's form instead of the catalogue
