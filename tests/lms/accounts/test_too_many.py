"""When a sign-in path refuses too many tries: a plain French page, or JSON for a script."""

import pytest
from django.urls import reverse
from django.utils import translation

from lms.accounts.ratelimit import WINDOW_SECONDS

pytestmark = pytest.mark.django_db


def _exhaust(client, **headers):
    url = reverse("accounts:login")
    response = None
    for attempt in range(25):
        response = client.post(
            url, {"username": f"personne{attempt}", "password": "faux"}, **headers
        )
        if response.status_code == 429:
            return response
    raise AssertionError("the sign-in page never refused")


def test_too_many_sign_in_tries_get_a_french_page_saying_when_and_who_can_help(client):
    with translation.override("fr-be"):
        response = _exhaust(client, HTTP_ACCEPT_LANGUAGE="fr-be")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert 0 < int(response["Retry-After"]) <= WINDOW_SECONDS
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "Trop d'essais" in page
    assert "attendez" in page and "minute" in page
    assert "Votre formateur peut vous aider" in page
    assert reverse("accounts:login") in page


def test_a_script_asking_for_json_gets_json(client):
    response = _exhaust(client, HTTP_ACCEPT="application/json")
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["ok"] is False
    assert data["message"]
    assert data["retry_after_seconds"] == int(response["Retry-After"])
