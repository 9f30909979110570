"""The signed-in user kept in the shared cache between requests (lms/accounts/backends.py).

The test settings turn the cache on (AUTH_USER_CACHE_SECONDS) over the test process's
memory cache, which every request of a test shares as Redis is shared in production.
"""

import pytest
from django.contrib.auth import HASH_SESSION_KEY, update_session_auth_hash
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lms.accounts.backends import USER_BACKEND, UserBackend, user_cache_key
from lms.accounts.models import User
from tests.factories import AssociationFactory, learner_in

pytestmark = pytest.mark.django_db

MY_PATH = "/mon-parcours/"


@pytest.fixture
def learner():
    return learner_in(AssociationFactory(), display_name="Amina")


@pytest.fixture
def signed_in(learner):
    client = Client()
    client.force_login(learner)
    return client


def user_queries(client, url=MY_PATH) -> list[str]:
    """The queries on the user table while `client` gets `url`."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    table = User._meta.db_table
    return [q["sql"] for q in queries if f'FROM "{table}"' in q["sql"]]


def test_the_user_is_read_from_the_database_once_then_from_the_cache(signed_in):
    assert len(user_queries(signed_in)) == 1
    assert user_queries(signed_in) == []
    assert user_queries(signed_in) == []


def test_the_cache_never_holds_the_password_hash(signed_in, learner):
    signed_in.get(MY_PATH)
    values, session_auth_hash = cache.get(user_cache_key(learner.pk))
    assert learner.password not in values
    assert not any(str(value).startswith(("md5$", "pbkdf2", "argon2")) for value in values)
    # What it keeps instead is what every session of the user holds already.
    assert session_auth_hash == signed_in.session[HASH_SESSION_KEY]


def test_the_user_built_from_the_cache_is_the_user(signed_in, learner):
    signed_in.get(MY_PATH)
    user = UserBackend().get_user(learner.pk)
    for field in User._meta.concrete_fields:
        if field.attname != "password":
            assert getattr(user, field.attname) == getattr(learner, field.attname), field
    # The password is loaded from the database when something reads it.
    assert "password" not in user.__dict__
    assert user.check_password("demo")
    assert user.get_session_auth_hash() == learner.get_session_auth_hash()


def test_saving_a_user_keeps_the_password_they_have(signed_in, learner):
    signed_in.get(MY_PATH)
    user = UserBackend().get_user(learner.pk)
    user.display_name = "Amina B."
    user.save()  # the password is deferred: saved without it, not blanked
    learner.refresh_from_db()
    assert learner.display_name == "Amina B."
    assert learner.check_password("demo")


def test_a_deactivated_account_is_signed_out_at_its_next_request(signed_in, learner):
    assert signed_in.get(MY_PATH).status_code == 200  # now cached
    learner.is_active = False
    learner.save()
    response = signed_in.get(MY_PATH)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_a_deleted_account_is_signed_out_at_its_next_request(signed_in, learner):
    assert signed_in.get(MY_PATH).status_code == 200
    learner.delete()
    assert signed_in.get(MY_PATH).status_code == 302


def test_a_new_password_ends_the_other_sessions_not_the_one_that_set_it(learner, settings):
    phone, shared_pc = Client(), Client()
    phone.force_login(learner)
    shared_pc.force_login(learner)
    assert phone.get(MY_PATH).status_code == 200
    assert shared_pc.get(MY_PATH).status_code == 200  # both read the cached row

    # What a password change view does: the new hash kept in the changing session.
    request = RequestFactory().get("/")
    request.session = phone.session
    user = UserBackend().get_user(learner.pk)  # as the view's request.user, from the cache
    request.user = user
    user.set_password("a new secret")
    user.save()
    update_session_auth_hash(request, user)  # a new session key, the new hash in it
    request.session.save()
    phone.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key

    assert phone.get(MY_PATH).status_code == 200
    assert shared_pc.get(MY_PATH).status_code == 302


def test_a_change_in_a_transaction_is_forgotten_again_at_commit(
    learner, django_capture_on_commit_callbacks
):
    backend = UserBackend()
    key = user_cache_key(learner.pk)
    backend.get_user(learner.pk)
    old_row = cache.get(key)
    with django_capture_on_commit_callbacks(execute=True):
        learner.display_name = "Amina B."
        learner.save()
        assert cache.get(key) is None
        # Another process reads the row before the commit, and caches the old name.
        cache.set(key, old_row)
    assert cache.get(key) is None
    assert backend.get_user(learner.pk).display_name == "Amina B."


def test_sign_in_with_a_password_records_this_backend(learner):
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": learner.username, "password": "demo"}
    )
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == USER_BACKEND


def test_without_a_shared_cache_it_is_djangos_model_backend(signed_in, settings):
    settings.AUTH_USER_CACHE_SECONDS = 0
    assert len(user_queries(signed_in)) == 1
    assert len(user_queries(signed_in)) == 1
    assert cache.get(user_cache_key(signed_in.session["_auth_user_id"])) is None


def test_after_the_secret_key_changes_old_sessions_end_at_once(learner, settings):
    """Sessions read from the cache (`cached_db`, as with Redis) are not signed: what ends
    them when the key changes is the session hash, which must then never be checked
    against a hash cached under the old key."""
    from lms.accounts import backends

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    browser = Client()
    browser.force_login(learner)
    assert browser.get(MY_PATH).status_code == 200  # the row and its hash now cached
    settings.SECRET_KEY = "another-" + settings.SECRET_KEY  # the old one not kept
    backends._key_signature.cache_clear()
    try:
        response = browser.get(MY_PATH)
    finally:
        backends._key_signature.cache_clear()
    assert response.status_code == 302
