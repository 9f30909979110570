"""The content version that keys every cached catalogue fragment (courses/caching.py)."""

import time

import pytest
from django.core.cache.backends import locmem

from courses.caching import LOCAL_VERSION_SECONDS, content_version
from courses.models import ThemePage

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


def test_a_per_process_cache_does_not_keep_a_version_long(monkeypatch):
    """Another process never hears of a change made here: its version runs out instead."""
    before = content_version()
    later = time.time() + LOCAL_VERSION_SECONDS + 1
    monkeypatch.setattr(locmem.time, "time", lambda: later)
    monkeypatch.setattr(time, "time_ns", lambda: int(later * 1e9))
    assert content_version() != before
