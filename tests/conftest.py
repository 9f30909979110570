"""Shared fixtures: the starter catalogue, loaded once per test database, and an association."""

import pytest
from django.core.management import call_command


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the starter catalogue once into the test database; each test rolls back on top.

    Loading it takes seconds (pages, revisions, pictograms), far too long to repeat per test.
    """
    from django.db import connection

    with django_db_blocker.unblock():
        # Only into a test database: with no database test selected, pytest-django
        # creates none and the connection still points at the developer's own.
        if connection.settings_dict["NAME"] == connection.creation._get_test_db_name():
            call_command("load_catalogue", verbosity=0)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's first language, French.

    Django's LocaleMiddleware activates each request's language in the thread and leaves it
    there: after a test that asked for a page in Dutch, the next test's messages would be in
    Dutch too.
    """
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def catalogue(db):
    """The French modules of the starter catalogue from fixtures/ (translations are loaded too)."""
    from wagtail.models import Locale

    from courses.models import ModulePage

    return ModulePage.objects.live().filter(locale=Locale.get_default())


@pytest.fixture
def association(db):
    """An association (learners, trainers and sessions belong to one)."""
    from tests.factories import AssociationFactory

    return AssociationFactory()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests share one committed demo database, so they run after all the others."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: rate-limit counters and cached fragments."""
    from django.core.cache import cache

    from courses.caching import forget_process_memory

    cache.clear()
    forget_process_memory()  # what this process kept of that cache
