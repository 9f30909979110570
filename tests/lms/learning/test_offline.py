"""The server's side of the offline worker: its script, the offline page, the per-session
key the learner's pages carry, and the sign-out that clears what the browser kept.

The worker itself is walked in a real browser: tests/browser/test_offline.py.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from lms.accounts.sign_out import CLEAR_SITE_DATA
from lms.learning.offline import OFFLINE_KEY_HEADER
from lms.learning.submissions import ANSWERED_KINDS
from tests.factories import AssociationFactory, learner_in

pytestmark = pytest.mark.django_db
PLAYER_JS = Path(settings.BASE_DIR) / "static" / "js" / "player.js"


@pytest.fixture
def module(catalogue):
    return catalogue.get(slug="utiliser-un-ecran-tactile")


def signed_in_learner(client):
    learner = learner_in(AssociationFactory())
    client.force_login(learner)
    return learner


def test_the_worker_is_served_from_the_root_and_always_checked_again(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b'addEventListener("fetch"' in body
    # The site's policy lets the page start it.
    assert "worker-src 'self'" in response["Content-Security-Policy"]
    # Asked again at each visit: unchanged, it costs no body.
    again = client.get("/sw.js", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_the_offline_page_is_the_same_for_everyone_in_their_language(client):
    response = client.get(reverse("learning:offline"), HTTP_ACCEPT_LANGUAGE="nl-BE")
    assert response.status_code == 200
    assert response["Content-Language"] == "nl-be"
    assert "Geen internet" in response.content.decode()
    learner = signed_in_learner(client)
    page = client.get(reverse("learning:offline"), HTTP_ACCEPT_LANGUAGE="fr-BE").content.decode()
    assert "Pas d&#x27;internet" in page or "Pas d'internet" in page
    assert learner.public_name not in page
    assert "csrfmiddlewaretoken" not in page  # no form: a sign-out offline cannot work


def test_a_learners_pages_carry_a_key_of_their_session_alone(module):
    first, second = Client(), Client()
    signed_in_learner(first)
    signed_in_learner(second)
    step = reverse("learning:step", args=[module.pk, 1])
    key = first.get(step)[OFFLINE_KEY_HEADER]
    assert re.fullmatch(r"[0-9a-f]{24}", key)
    assert first.get(reverse("learning:my_path"))[OFFLINE_KEY_HEADER] == key
    assert key not in first.session.session_key
    assert second.get(step)[OFFLINE_KEY_HEADER] != key
    # Signed out and in again, the same person gets a new key: nothing kept before is used.
    first.post(reverse("accounts:logout"))
    signed_in_learner(first)
    assert first.get(step)[OFFLINE_KEY_HEADER] != key
    # Pages that are not the learner's carry none.
    assert OFFLINE_KEY_HEADER not in first.get(reverse("learning:offline"))


def test_the_player_registers_the_worker_and_the_sign_in_page_makes_it_forget(client, module):
    signed_in_learner(client)
    page = client.get(reverse("learning:step", args=[module.pk, 1])).content.decode()
    assert 'data-offline="keep"' in page and 'data-worker="/sw.js"' in page
    client.post(reverse("accounts:logout"))
    assert 'data-offline="forget"' in client.get(reverse("accounts:login")).content.decode()


def test_signing_out_clears_what_the_browser_kept(client):
    signed_in_learner(client)
    response = client.post(reverse("accounts:logout"))
    assert response["Clear-Site-Data"] == CLEAR_SITE_DATA == '"cache", "storage"'


def test_ending_a_session_a_trainer_opened_clears_it_too(client):
    signed_in_learner(client)
    response = client.post(reverse("accounts:assisted_end"))
    assert response["Clear-Site-Data"] == CLEAR_SITE_DATA


def test_other_pages_leave_the_browser_alone(client, module):
    signed_in_learner(client)
    assert "Clear-Site-Data" not in client.get(reverse("learning:step", args=[module.pk, 1]))
    assert "Clear-Site-Data" not in client.get(reverse("accounts:login"))


def test_every_graded_kind_is_also_graded_on_the_device():
    """Without a connection the page grades an answer itself (player.js LOCAL_GRADES); a
    graded kind it does not know would open "Next" whatever the answer."""
    source = PLAYER_JS.read_text()
    graders = re.search(r"const LOCAL_GRADES = \{(.*?)\n  \};", source, re.S).group(1)
    known = set(re.findall(r"^    (\w+)\(", graders, re.M))
    assert known == ANSWERED_KINDS
