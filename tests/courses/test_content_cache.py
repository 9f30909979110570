"""The content version that keys every cached catalogue fragment (courses/caching.py)."""

import datetime
import time
import uuid

import pytest
from django.core.cache.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.caching import LOCAL_VERSION_SECONDS, content_version
from courses.models import ThemePage
from lms.accounts.models import Association
from lms.impact.models import LearnerMonth

pytestmark = pytest.mark.django_db


def test_publishing_a_page_starts_a_new_version(catalogue):
    before = content_version()
    theme = ThemePage.objects.live().first()
    theme.save_revision().publish()
    assert content_version() != before


def test_unpublishing_and_moving_start_a_new_version(catalogue):
    module = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")
    before = content_version()
    module.move(
        ThemePage.objects.live().exclude(pk=module.get_parent().pk).first(), pos="last-child"
    )
    moved = content_version()
    assert moved != before
    module.refresh_from_db()
    module.unpublish()
    assert content_version() != moved


def test_deleting_a_page_of_any_kind_starts_a_new_version(catalogue):
    before = content_version()
    catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail").specific.delete()
    deleted_module = content_version()
    assert deleted_module != before
    ThemePage.objects.live().first().delete()  # and the modules under it
    assert content_version() != deleted_module


def test_deleting_rows_of_other_models_does_not_load_them():
    """No receiver listens to every model's deletes: Django deletes with one statement."""
    LearnerMonth.objects.create(
        association=Association.objects.create(name="A", slug="a"),
        pseudonym=uuid.uuid4(),
        month=datetime.date(2026, 1, 1),
    )
    with CaptureQueriesContext(connection) as queries:
        LearnerMonth.objects.all().delete()
    assert [query["sql"].split()[0] for query in queries] == ["DELETE"]


def test_a_per_process_cache_does_not_keep_a_version_long(monkeypatch):
    """Another process never hears of a change made here: its version runs out instead."""
    before = content_version()
    later = time.time() + LOCAL_VERSION_SECONDS + 1
    monkeypatch.setattr(locmem.time, "time", lambda: later)
    monkeypatch.setattr(time, "time_ns", lambda: int(later * 1e9))
    assert content_version() != before
