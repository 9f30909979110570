"""Two gunicorn servers behind one host name share sessions and sign-in limits through Redis.

As behind a load balancer: both servers run the production settings over one database and
one Redis, and each request names the site's host and HTTPS, as the balancer forwards it.
A person signed in on one server is signed in on the other; signing out on one ends the
session on both; and a sign-in limit counts the tries made on both.
"""

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from lms.accounts.ratelimit import WINDOW_SECONDS
from tests.lms.databases import (
    PROJECT,
    child_environment,
    migrated_database,
)
from tests.lms.redis_server import RedisServer, running_redis

# Only read by the settings check below, which never connects to it.
SETTINGS_REDIS_URL = "redis://127.0.0.1:6379/11"
HOST = "pasapas.test"
PASSWORD = "mot-de-passe-de-test"
DISPLAY_NAME = "Fatou Deux-Serveurs"
SECRET_KEY = secrets.token_urlsafe(64)
# The servers run over a copy of the test database, which pytest-django creates when a
# test is marked django_db; the tests themselves read nothing from it.
copies_the_test_database = pytest.mark.django_db

# Production settings, but without the manifest of `collectstatic` (not run for a test)
# and with a fast password hasher (the sign-in limit needs a dozen password checks).
SETTINGS = """
from lms.settings.production import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
"""


@contextmanager
def connection_to(database: dict[str, str], django_db_blocker):
    """A Django connection to the servers' database, from this process (no third start-up)."""
    import dj_database_url
    from django.db import connections

    if "DATABASE_URL" in database:
        config = dj_database_url.parse(database["DATABASE_URL"])
    else:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": database["SQLITE_PATH"]}
    alias = "scale_out"
    connections.settings[alias] = connections.configure_settings({"default": config})["default"]
    try:
        with django_db_blocker.unblock():
            yield alias
    finally:
        if any(opened.alias == alias for opened in connections.all(initialized_only=True)):
            connections[alias].close()
            del connections[alias]
        del connections.settings[alias]


def learner_create(alias: str) -> None:
    from django.utils import timezone

    from lms.accounts.models import Association, Membership, Role, User

    association = Association.objects.using(alias).create(
        name="EPN des deux serveurs", slug="epn-deux-serveurs", postcode="1000"
    )
    user = User(username="fatou", display_name=DISPLAY_NAME)
    user.set_password(PASSWORD)  # MD5, as in the servers' SETTINGS: fast to check
    user.save(using=alias)
    Membership.objects.using(alias).create(
        user=user, association=association, role=Role.LEARNER, joined_on=timezone.localdate()
    )
    other = User(username="awa", display_name="Awa Deux-Serveurs")
    other.set_password(PASSWORD)
    other.save(using=alias)
    Membership.objects.using(alias).create(
        user=other, association=association, role=Role.LEARNER, joined_on=timezone.localdate()
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One gunicorn server (one worker) in its own process group."""

    def __init__(self, name: str, environment: dict[str, str], folder: Path):
        self.name = name
        self.environment = environment
        self.port = free_port()
        self.log = folder / f"gunicorn-{name}.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "lms.wsgi",
                    f"--bind=127.0.0.1:{self.port}",
                    "--workers=1",
                    "--timeout=60",
                ],
                cwd=PROJECT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def request(self, method: str, path: str, headers: dict[str, str], body: str = ""):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read().decode()
        finally:
            connection.close()

    def wait_until_ready(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn {self.name} stopped:\n{self.log.read_text()}")
            try:
                status, _headers, _body = self.request(
                    "GET", "/sante/", {"Host": HOST, "X-Forwarded-Proto": "https"}
                )
            except OSError:
                time.sleep(0.2)
                continue
            if status == 200:
                return
            pytest.fail(f"gunicorn {self.name} answered {status}:\n{self.log.read_text()}")
        pytest.fail(f"gunicorn {self.name} did not start in time:\n{self.log.read_text()}")

    def stop(self) -> None:
        """Ask gunicorn to stop (its master stops its worker); kill it if it takes too long."""
        if self.process.poll() is None:
            self.process.terminate()

    def wait_stopped(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                # The process group is this server's own (start_new_session).
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


class Browser:
    """Cookies and the headers a load balancer forwards, sent to whichever server is named.

    Each browser has an address of its own (TEST-NET-1): the per-address limit stays out
    of the way of the per-username one these tests count.
    """

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.address = f"192.0.2.{secrets.randbelow(250) + 1}"

    def send(self, server: Server, method: str, path: str, form: dict | None = None):
        headers = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": self.address}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = ""
        if method == "POST":
            headers["Origin"] = f"https://{HOST}"
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            body = urlencode(form or {})
        status, response_headers, text = server.request(method, path, headers, body)
        for name, value in response_headers:
            if name.lower() == "set-cookie":
                for key, morsel in SimpleCookie(value).items():
                    if morsel["max-age"] == "0" or not morsel.value:
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = morsel.value
        location = {k.lower(): v for k, v in response_headers}.get("location", "")
        return status, location, text


@pytest.fixture(scope="module")
def shared_redis(tmp_path_factory) -> RedisServer:
    """A redis-server of this module's own (not the machine's shared one, which another test
    run may be using at the same time), empty at the start."""
    with running_redis(tmp_path_factory.mktemp("scale-out-redis")) as server:
        yield server


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory, shared_redis):
    """Servers A and B over one copy of the test database and one Redis."""
    folder = tmp_path_factory.mktemp("scale-out")
    (folder / "scale_out_settings.py").write_text(SETTINGS)
    started = []
    with migrated_database("scale_out", folder) as database:
        environment = child_environment(
            **database,
            DJANGO_SETTINGS_MODULE="scale_out_settings",
            PYTHONPATH=f"{folder}:{PROJECT}",
            SECRET_KEY=SECRET_KEY,
            ALLOWED_HOSTS=HOST,
            REDIS_URL=shared_redis.url,
            RATELIMIT_PROXY_COUNT="1",
            TASKS_BACKEND="immediate",
            MEDIA_ROOT=str(folder / "media"),
        )
        try:
            started = [Server(name, environment, folder) for name in ("A", "B")]
            # The learner is created while the servers start.
            with connection_to(database, django_db_blocker) as alias:
                learner_create(alias)
            deadline = time.monotonic() + 90
            for server in started:
                server.wait_until_ready(deadline)
            yield started
        finally:
            for server in started:
                server.stop()
            for server in started:
                server.wait_stopped()


def sign_in(browser: Browser, server: Server, username: str, password: str):
    browser.send(server, "GET", "/connexion/")  # the CSRF cookie
    return browser.send(server, "POST", "/connexion/", {"username": username, "password": password})


@copies_the_test_database
def test_a_session_opened_on_one_server_is_valid_on_the_other_until_signed_out(
    servers, shared_redis
):
    a, b = servers
    browser = Browser()
    status, location, _text = sign_in(browser, a, "fatou", PASSWORD)
    assert status == 302, location
    assert location == "/accueil/"
    session_key = browser.cookies["sessionid"]
    # Sessions are cached in the shared Redis, in front of the shared database.
    assert shared_redis.client().exists(f"pasapas:1:django.contrib.sessions.cached_db{session_key}")

    status, _location, text = browser.send(b, "GET", "/mon-parcours/")
    assert status == 200
    assert DISPLAY_NAME in text

    status, _location, _text = browser.send(b, "POST", "/deconnexion/")
    assert status == 302
    browser.cookies["sessionid"] = session_key  # as if the cookie had been kept
    status, location, _text = browser.send(a, "GET", "/mon-parcours/")
    assert status == 302
    assert location.startswith("/connexion/")


@copies_the_test_database
def test_a_person_deactivated_through_one_server_is_signed_out_on_the_other(servers, shared_redis):
    """The person's row is cached in Redis between requests (lms/accounts/backends.py); the
    save that deactivates them, made by another process, forgets it for every server."""
    a, b = servers
    browser = Browser()
    assert sign_in(browser, a, "awa", PASSWORD)[0] == 302
    status, _location, text = browser.send(b, "GET", "/mon-parcours/")
    assert status == 200
    assert "Awa Deux-Serveurs" in text
    assert shared_redis.client().keys("pasapas:1:pasapas:user:*")  # kept for the next request

    # As an administrator would, from a shell on server A's machine.
    code = (
        "from lms.accounts.models import User; awa = User.objects.get(username='awa'); "
        "awa.is_active = False; awa.save()"
    )
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=PROJECT,
        env=a.environment,
        check=True,
        timeout=120,
    )
    status, location, _text = browser.send(b, "GET", "/mon-parcours/")
    assert status == 302
    assert location.startswith("/connexion/")


@copies_the_test_database
def test_a_sign_in_limit_counts_the_tries_made_on_both_servers(servers):
    a, b = servers
    for _round in range(2):  # a second round only if the 15-minute window turned meanwhile
        window = int(time.time() // WINDOW_SECONDS)
        username = f"essai-{uuid.uuid4().hex[:8]}"
        browser = Browser()
        statuses = [
            sign_in(browser, (a, b)[attempt % 2], username, "mauvais")[0] for attempt in range(12)
        ]
        if int(time.time() // WINDOW_SECONDS) == window:
            break
    # Ten tries for one username per window, whichever server receives them.
    assert statuses == [200] * 10 + [429, 429]


def test_production_caches_sessions_only_in_a_cache_every_server_shares():
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.SESSION_ENGINE, settings.CACHES['default']['BACKEND'])"
    )
    engines = {}
    for redis_url in ("", SETTINGS_REDIS_URL):
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env=child_environment(
                DJANGO_SETTINGS_MODULE="lms.settings.production",
                SECRET_KEY=SECRET_KEY,
                ALLOWED_HOSTS=HOST,
                **({"REDIS_URL": redis_url} if redis_url else {}),
            ),
            cwd=PROJECT,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        engines[redis_url] = result.stdout.split()
    # Without Redis, each process has its own memory cache: sessions stay in the database.
    assert engines[""] == [
        "django.contrib.sessions.backends.db",
        "django.core.cache.backends.locmem.LocMemCache",
    ]
    assert engines[SETTINGS_REDIS_URL] == [
        "django.contrib.sessions.backends.cached_db",
        "lms.redis_cache.RedisCache",  # Django's, reusing its redis-py clients
    ]
