"""Shared fixtures: the starter catalogue, loaded once per test database."""

import pytest
from django.core.management import call_command


@pytest.fixture
def catalogue(db):
    """The competence frameworks and the starter catalogue from fixtures/."""
    call_command("load_catalogue", verbosity=0)
    from courses.models import ModulePage

    return ModulePage.objects.live()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Browser tests share one committed demo database, so they run after all the others."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
