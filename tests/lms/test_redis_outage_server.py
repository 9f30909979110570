"""A running server keeps serving while its Redis is stopped, and serves nothing stale after.

One gunicorn server (production settings) over a copy of the test database and a
redis-server of this test's own (tests/lms/redis_server.py), never the shared one.
- Redis stopped (a crash): no 5xx, the learner stays signed in, every statement is stored
  once; Redis started again (empty): the same.
- Redis paused (a network cut: it keeps its keys): a person who signs out meanwhile stays
  signed out once Redis answers again, even with a kept copy of the session cookie.
"""

import time
import uuid

import pytest

from tests.lms.databases import PROJECT, child_environment, migrated_database
from tests.lms.redis_server import running_redis
from tests.lms.test_scale_out import (
    DISPLAY_NAME,
    HOST,
    PASSWORD,
    SECRET_KEY,
    SETTINGS,
    Browser,
    Server,
    connection_to,
    learner_create,
    sign_in,
)

MODULE_SLUG = "reconnaitre-une-arnaque-par-e-mail"


def module_id(alias: str) -> int:
    from courses.models import ModulePage

    # The French page: its Dutch translation shares the slug.
    return ModulePage.objects.using(alias).get(slug=MODULE_SLUG, locale__language_code="fr-be").pk


def statements_stored(alias: str, ids: list[str]) -> tuple[int, int]:
    """How many of `ids` are stored, and how many statements the learner has in all."""
    from lms.learning.models import Statement

    mine = Statement.objects.using(alias).filter(learner__username="fatou")
    return mine.filter(pk__in=ids).count(), mine.count()


def health(browser: Browser, server: Server) -> str:
    status, _location, text = browser.send(server, "GET", "/sante/")
    assert status == 200, text
    return text


def wait_for_health(browser: Browser, server: Server, expected: str, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if health(browser, server).startswith(expected):
            return
        time.sleep(0.1)
    pytest.fail(f"/sante/ never said {expected!r}")


class Learner:
    """A signed-in learner going through a module's first step, again and again."""

    def __init__(self, server: Server, module: int):
        self.server, self.module = server, module
        self.browser = Browser()
        self.sent: list[str] = []

    def visit(self) -> list[int]:
        """Mon parcours, then one statement sent twice (the phone that lost the answer)."""
        status, location, text = self.browser.send(self.server, "GET", "/mon-parcours/")
        assert status != 200 or DISPLAY_NAME in text  # still signed in as herself
        statuses = [302 if location.startswith("/connexion/") else status]
        statement_id = str(uuid.uuid4())
        for _copy in range(2):
            status, _location, _text = self.browser.send(
                self.server,
                "POST",
                f"/apprendre/{self.module}/etape/1/",
                {"statement_id": statement_id},
            )
            statuses.append(status)
        self.sent.append(statement_id)
        return statuses


@pytest.mark.django_db  # the server runs over a copy of the test database
def test_a_server_serves_through_a_redis_outage_and_nothing_stale_after(
    django_db_setup, django_db_blocker, tmp_path
):
    (tmp_path / "outage_settings.py").write_text(SETTINGS)
    with running_redis(tmp_path) as redis, migrated_database("redis_outage", tmp_path) as db:
        environment = child_environment(
            **db,
            DJANGO_SETTINGS_MODULE="outage_settings",
            PYTHONPATH=f"{tmp_path}:{PROJECT}",
            SECRET_KEY=SECRET_KEY,
            ALLOWED_HOSTS=HOST,
            REDIS_URL=redis.url,
            REDIS_TIMEOUT_SECONDS="0.5",
            RATELIMIT_PROXY_COUNT="1",
            TASKS_BACKEND="immediate",
            MEDIA_ROOT=str(tmp_path / "media"),
        )
        server = Server("redis-outage", environment, tmp_path)
        try:
            with connection_to(db, django_db_blocker) as alias:
                learner_create(alias)
                module = module_id(alias)
            server.wait_until_ready(time.monotonic() + 90)
            amina = Learner(server, module)
            assert sign_in(amina.browser, server, "fatou", PASSWORD)[0] == 302
            assert amina.visit() == [200, 302, 302]
            assert redis.client().dbsize() > 0  # her session, the content version...

            # 1. Redis stops: every page is served, from the database.
            redis.stop()
            during = [status for _visit in range(5) for status in amina.visit()]
            assert during == [200, 302, 302] * 5
            wait_for_health(amina.browser, server, "degraded")
            # Started again, empty, as a replaced Redis is.
            redis.start()
            wait_for_health(amina.browser, server, "ok")
            assert amina.visit() == [200, 302, 302]

            # 2. Redis cut off (its keys kept) while Awa signs out.
            awa = Browser()
            assert sign_in(awa, server, "awa", PASSWORD)[0] == 302
            assert awa.send(server, "GET", "/mon-parcours/")[0] == 200
            awa_session = awa.cookies["sessionid"]
            redis.pause()
            try:
                assert awa.send(server, "POST", "/deconnexion/")[0] == 302
                assert amina.visit() == [200, 302, 302]
                wait_for_health(amina.browser, server, "degraded")
            finally:
                redis.resume()
            assert redis.client().exists(
                f"pasapas:1:django.contrib.sessions.cached_db{awa_session}"
            )
            wait_for_health(amina.browser, server, "ok")
            awa.cookies["sessionid"] = awa_session  # as if the cookie had been kept
            status, location, _text = awa.send(server, "GET", "/mon-parcours/")
            assert (status, location.split("?")[0]) == (302, "/connexion/")
            assert amina.visit() == [200, 302, 302]

            with connection_to(db, django_db_blocker) as alias:
                # Each sent twice, each stored once.
                assert statements_stored(alias, amina.sent) == (9, 9)
        finally:
            server.stop()
            server.wait_stopped()
        assert " 500 " not in server.log.read_text()
