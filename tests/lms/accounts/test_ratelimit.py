"""Rate limits on sign-in: fixed windows in the shared cache, per client address and per target."""

import os
import uuid
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import include, path
from django.utils import translation

from lms.accounts.ratelimit import (
    Rate,
    attempt_failed,
    client_ip,
    ratelimit,
    ratelimit_hit,
    ratelimit_reset,
)
from lms.accounts.views import SignInView
from tests.factories import UserFactory

REDIS_TEST_URL = "redis://127.0.0.1:6379/15"
NOW = 1_800_000_000.0  # the start of a 60-second window: 1_800_000_000 is divisible by 60


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_hits_within_the_rate_are_allowed_and_the_next_one_is_refused():
    rate = Rate(count=3, seconds=60)
    checks = [ratelimit_hit(scope="t", key="a", rate=rate, now=NOW + i) for i in range(4)]
    assert [check.allowed for check in checks] == [True, True, True, False]
    assert [check.count for check in checks] == [1, 2, 3, 4]
    assert checks[-1].retry_after_seconds == 57


def test_a_new_window_starts_a_new_count():
    rate = Rate(count=1, seconds=60)
    assert ratelimit_hit(scope="t", key="a", rate=rate, now=NOW).allowed
    assert not ratelimit_hit(scope="t", key="a", rate=rate, now=NOW + 59).allowed
    assert ratelimit_hit(scope="t", key="a", rate=rate, now=NOW + 60).allowed


def test_keys_and_scopes_are_counted_apart():
    rate = Rate(count=1, seconds=60)
    assert ratelimit_hit(scope="t", key="a", rate=rate, now=NOW).allowed
    assert ratelimit_hit(scope="t", key="b", rate=rate, now=NOW).allowed
    assert ratelimit_hit(scope="u", key="a", rate=rate, now=NOW).allowed
    assert not ratelimit_hit(scope="t", key="a", rate=rate, now=NOW).allowed


def test_a_reset_forgets_the_current_windows_hits():
    rate = Rate(count=1, seconds=60)
    ratelimit_hit(scope="t", key="a", rate=rate, now=NOW)
    ratelimit_reset(scope="t", key="a", rate=rate, now=NOW + 1)
    assert ratelimit_hit(scope="t", key="a", rate=rate, now=NOW + 2).allowed


def test_the_cache_never_holds_the_username_in_clear():
    ratelimit_hit(scope="password", key="amina.secret", rate=Rate(count=5, seconds=60))
    assert not any("amina" in key for key in cache._cache)


def test_ipv6_clients_are_grouped_by_their_64_block_and_ipv4_kept_whole():
    factory = RequestFactory()
    one = factory.get("/", REMOTE_ADDR="2001:db8:1:2::10")
    two = factory.get("/", REMOTE_ADDR="2001:db8:1:2:ffff::1")
    assert client_ip(one) == client_ip(two) == "2001:db8:1:2::/64"
    assert client_ip(factory.get("/", REMOTE_ADDR="192.0.2.7")) == "192.0.2.7"
    assert client_ip(factory.get("/", REMOTE_ADDR="::ffff:192.0.2.7")) == "192.0.2.7"


def test_forwarded_addresses_count_only_behind_a_trusted_proxy(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.7"
    )
    assert client_ip(request) == "10.0.0.1"
    settings.RATELIMIT_PROXY_COUNT = 1
    assert client_ip(request) == "192.0.2.7"


# --- The decorator on a view ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """No window may end in the middle of a test."""
    monkeypatch.setattr("lms.accounts.ratelimit.time", SimpleNamespace(time=lambda: NOW + 1))


@ratelimit(
    scope="test-sign-in",
    per_ip=Rate(count=4, seconds=900),
    per_target=Rate(count=2, seconds=900),
    target=lambda request: request.POST.get("username"),
)
def sign_in(request):
    if request.POST.get("password") == "right":
        return HttpResponse("welcome")
    attempt_failed(request)  # as a wrong password does
    return HttpResponse("form")


def post(username: str = "", ip: str = "192.0.2.1", password: str = "wrong", **extra):
    request = RequestFactory().post(
        "/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra
    )
    return sign_in(request)


def test_a_view_refuses_one_target_tried_too_often_from_anywhere():
    assert post("Amina", ip="192.0.2.1").status_code == 200
    assert post("amina ", ip="192.0.2.2").status_code == 200
    response = post("AMINA", ip="192.0.2.3")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900
    assert post("thomas", ip="192.0.2.3").status_code == 200


def test_a_view_refuses_one_address_trying_many_targets():
    statuses = [post(f"person{i}", ip="192.0.2.9").status_code for i in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert post("person9", ip="192.0.2.10").status_code == 200


def test_only_failures_count_towards_either_limit():
    """A class signing in one after the other from the association's one address."""
    statuses = [post(f"person{i}", ip="192.0.2.9", password="right").status_code for i in range(9)]
    assert statuses == [200] * 9
    for _again in range(3):
        assert post("amina", password="right").status_code == 200
    assert [post("amina").status_code for _try in range(3)] == [200, 200, 429]


def test_the_refusal_is_a_translated_message():
    for i in range(4):
        post(f"p{i}")
    with translation.override("fr-be"):
        response = post("p9")
    assert response.status_code == 429
    assert "Trop d'essais" in response.content.decode()


def test_reading_the_page_is_never_limited():
    for i in range(4):
        post(f"p{i}")
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1")
    assert sign_in(request).status_code == 200


# --- Shared between processes through Redis ----------------------------------------------


def redis_cache(prefix: str) -> RedisCache:
    """A cache client of its own, with its own connection pool, as another process has."""
    return RedisCache(REDIS_TEST_URL, {"KEY_PREFIX": prefix})


def test_two_cache_clients_on_redis_share_one_counter():
    prefix = f"pasapas-test-{uuid.uuid4().hex}"
    first, second = redis_cache(prefix), redis_cache(prefix)
    try:
        first.get("ping")
    except Exception as error:  # redis-py raises its own ConnectionError subclasses
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_TEST_URL} is required on CI: {error}")
        pytest.skip(f"Redis is not reachable at {REDIS_TEST_URL} ({error}); CI is unset")
    assert first._cache._get_connection_pool(write=True) is not second._cache._get_connection_pool(
        write=True
    )
    rate = Rate(count=3, seconds=60)
    try:
        counts = [
            ratelimit_hit(scope="shared", key="k", rate=rate, cache=client, now=NOW).count
            for client in (first, second, first, second)
        ]
        assert counts == [1, 2, 3, 4]
        assert not ratelimit_hit(scope="shared", key="k", rate=rate, cache=second, now=NOW).allowed
    finally:
        ratelimit_reset(scope="shared", key="k", rate=rate, cache=first, now=NOW)


# --- The real sign-in view, as views.py wraps it -----------------------------------------

urlpatterns = [
    path("connexion-limitee/", SignInView.as_view(), name="limited_sign_in"),
    path("", include("lms.urls")),
]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_sign_in_page_refuses_an_eleventh_password_for_one_username(client):
    user = UserFactory(username="thomas")
    for _attempt in range(10):
        response = client.post("/connexion-limitee/", {"username": "thomas", "password": "x"})
        assert response.status_code == 200
    response = client.post("/connexion-limitee/", {"username": "thomas", "password": "demo"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/connexion-limitee/").status_code == 200
    user.refresh_from_db()
    assert user.last_login is None


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_sign_in_page_refuses_a_21st_password_from_one_address(client):
    statuses = [
        client.post("/connexion-limitee/", {"username": f"p{i}", "password": "x"}).status_code
        for i in range(21)
    ]
    assert statuses == [200] * 20 + [429]


def sign_in_as(client, username, password, address="192.0.2.1"):
    return client.post(
        "/connexion-limitee/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_trainer_signing_in_often_is_never_locked_out(client):
    """Before: the 11th sign-in of the day, right password or not, answered 429."""
    UserFactory(username="formateur", password="demo")
    for _day in range(12):
        response = sign_in_as(client, "formateur", "demo")
        assert response.status_code == 302
        client.post("/deconnexion/")
    assert sign_in_as(client, "formateur", "wrong").status_code == 200


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_an_association_address_signs_in_a_whole_class(client):
    """Before: the 21st sign-in from one address answered 429, successes counted."""
    for number in range(25):
        UserFactory(username=f"apprenant{number}", password="demo")
    statuses = []
    for number in range(25):
        statuses.append(sign_in_as(client, f"apprenant{number}", "demo").status_code)
        client.post("/deconnexion/")
    assert statuses == [302] * 25


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_failures_from_elsewhere_do_not_lock_a_person_out_of_their_own_browser(client):
    from django.test import Client

    UserFactory(username="formateur", password="demo")
    assert sign_in_as(client, "formateur", "demo").status_code == 302  # the trainer's browser
    client.post("/deconnexion/")

    attacker = Client()
    statuses = [
        sign_in_as(attacker, "formateur", "guess", f"198.51.100.{n}").status_code for n in range(11)
    ]
    assert statuses == [200] * 10 + [429]  # locked for everyone else...
    assert sign_in_as(Client(), "formateur", "demo").status_code == 429

    # ...but not on the browser that signed in as that person before,
    assert sign_in_as(client, "formateur", "demo").status_code == 302
    client.post("/deconnexion/")
    # where its own failures still count, for that browser alone.
    statuses = [sign_in_as(client, "formateur", "typo").status_code for _try in range(11)]
    assert statuses == [200] * 10 + [429]
    # A forged or foreign cookie is no way past the lock.
    stranger = Client()
    stranger.cookies["pasapas_known"] = "formateur"
    assert sign_in_as(stranger, "formateur", "demo").status_code == 429


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_username_written_differently_is_the_same_person_for_sign_in_and_limits(client):
    user = UserFactory(username="Formateur", password="demo")
    for spelling in ("formateur", " FORMATEUR ", "\uff46\uff4f\uff52\uff4d\uff41teur"):
        response = sign_in_as(client, spelling, "demo")
        assert response.status_code == 302, spelling
        assert client.session["_auth_user_id"] == str(user.pk)
        client.post("/deconnexion/")

    from django.test import Client

    spellings = ["formateur", "Formateur", " formateur", "FORMATEUR ", "\uff26ormateur"] * 2
    statuses = [
        sign_in_as(Client(), name, "wrong", f"198.51.100.{n}").status_code
        for n, name in enumerate([*spellings, "formateur"])
    ]
    assert statuses == [200] * 10 + [429]
