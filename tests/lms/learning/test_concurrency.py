"""Concurrent writers on the statement endpoint: nothing lost, nothing counted twice.

Threads post through the real endpoint, each with its own database connection, so the
rows must be committed: these tests run in transactions of their own, on PostgreSQL only
(SQLite lets one writer in at a time, so it would prove nothing). CI runs the whole suite
again on PostgreSQL, where they run.
"""

import random
import threading
import uuid
from collections import Counter

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from courses.models import ModulePage
from lms.learning.models import ActivityProgress, ModuleProgress, Statement
from lms.learning.progress import progress_rebuild
from tests.factories import AssociationFactory, learner_in

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent writers need PostgreSQL: set DATABASE_URL=postgres://… (CI does)",
    ),
    # Serialized rollback: the flush after each test must not leave the next tests
    # without the rows the migrations made (root page, locales, content types).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 8
MODULE_SLUG = "utiliser-un-ecran-tactile"


@pytest.fixture(scope="module", autouse=True)
def _database_as_found(django_db_blocker):
    """Put back what the suite expects after this module's flushes: migrations' rows and
    the starter catalogue (tests/conftest.py loads it once per test database)."""
    yield
    from django.contrib.contenttypes.models import ContentType

    with django_db_blocker.unblock():
        if hasattr(connection, "_test_serialized_contents") and not ModulePage.objects.exists():
            connection.creation.deserialize_db_from_string(connection._test_serialized_contents)
            ContentType.objects.clear_cache()
            call_command("load_catalogue", verbosity=0)


@pytest.fixture
def module():
    # The first test finds the catalogue loaded by conftest; later ones follow a flush.
    if not ModulePage.objects.filter(slug=MODULE_SLUG, locale__language_code="fr-be").exists():
        call_command("load_catalogue", verbosity=0)
    return ModulePage.objects.live().get(slug=MODULE_SLUG, locale__language_code="fr-be")


def _form_for(step) -> dict:
    """What a learner sends to get the step right (graded on the server)."""
    if step.block_type == "quiz":
        answers = list(step.value["answers"])
        return {"answer": str(next(i for i, a in enumerate(answers) if a["is_correct"]))}
    if step.block_type == "practice_form":
        return {
            f"field-{i}": spec["expected"] or "Dupont"
            for i, spec in enumerate(step.value["fields"])
        }
    return {}


def _session_cookie(learner) -> str:
    client = Client()
    client.force_login(learner)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _post_all(jobs: list[list[tuple[str, dict]]]) -> list:
    """Each job is the list of (url, form) one thread posts, all threads starting together.

    Returns every (status, body) seen, and any exception raised in a thread.
    """
    barrier = threading.Barrier(len(jobs))
    seen = []
    lock = threading.Lock()

    def run(cookie, posts):
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = cookie
        try:
            barrier.wait(timeout=30)
            for url, form in posts:
                response = client.post(url, form, HTTP_ACCEPT="application/json")
                with lock:
                    seen.append((response.status_code, response.content[:200]))
        except Exception as error:  # reported to the test, not swallowed
            with lock:
                seen.append(("exception", repr(error)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a writer never finished"
    return seen


def _progress_rows():
    return (
        sorted(
            ActivityProgress.objects.values_list(
                "learner_id",
                "activity_iri",
                "status",
                "attempts",
                "first_success",
                "best_score_scaled",
                "completed_at",
                "updated_at",
            )
        ),
        sorted(
            ModuleProgress.objects.values_list(
                "learner_id",
                "module_iri",
                "steps_completed",
                "steps_total",
                "last_activity_iri",
                "started_at",
                "completed_at",
                "updated_at",
            )
        ),
    )


def test_the_same_statement_sent_by_eight_threads_at_once_is_stored_once(module):
    learner = learner_in(AssociationFactory())
    cookie = _session_cookie(learner)
    url = reverse("learning:step", args=[module.pk, 1])
    form = {"statement_id": str(uuid.uuid4())}

    seen = _post_all([(cookie, [(url, form)]) for _ in range(THREADS)])

    assert [status for status, _body in seen] == [200] * THREADS, seen
    assert Statement.objects.filter(pk=form["statement_id"]).count() == 1
    assert Statement.objects.count() == 1
    activity = ActivityProgress.objects.get(learner=learner)
    assert (activity.status, activity.attempts) == ("completed", 0)
    assert ModuleProgress.objects.get(learner=learner).steps_completed == 1


def test_eight_threads_sending_every_step_twice_complete_the_module_exactly_once(module):
    """Duplicates and distinct statements for the same steps, from two learners at once."""
    steps = list(module.steps)
    learners = [learner_in(AssociationFactory()) for _ in range(2)]
    plans = {}
    for learner in learners:
        # Each step answered twice (two distinct statements), each statement sent by
        # every thread of this learner: a device retrying while another tab sends too.
        plans[learner.pk] = [
            (
                reverse("learning:step", args=[module.pk, number]),
                {"statement_id": str(uuid.uuid4()), **_form_for(step)},
            )
            for number, step in enumerate(steps, start=1)
            for _copy in range(2)
        ]
    jobs = []
    shuffle = random.Random(8)
    for index in range(THREADS):
        learner = learners[index % len(learners)]
        posts = list(plans[learner.pk])
        shuffle.shuffle(posts)
        jobs.append((_session_cookie(learner), posts))

    seen = _post_all(jobs)

    assert Counter(status for status, _body in seen) == {200: THREADS * 2 * len(steps)}, [
        item for item in seen if item[0] != 200
    ]
    sent = {form["statement_id"] for plan in plans.values() for _url, form in plan}
    stored = Counter(str(pk) for pk in Statement.objects.values_list("pk", flat=True))
    assert set(stored) == sent
    assert set(stored.values()) == {1}
    # "Show your trainer" steps wait for a trainer (lms/learning/progress.py); every other
    # step is done, counted once.
    checkpoints = {module.step_iri(s.id) for s in steps if s.block_type == "checkpoint"}
    assert checkpoints
    for learner in learners:
        activities = ActivityProgress.objects.filter(learner=learner)
        assert activities.count() == len(steps)
        assert dict(activities.values_list("activity_iri", "status")) == {
            module.step_iri(s.id): "awaiting_trainer"
            if module.step_iri(s.id) in checkpoints
            else "completed"
            for s in steps
        }
        graded = activities.exclude(attempts=0)
        assert sorted(graded.values_list("attempts", flat=True)) == [2, 2]
        progress = ModuleProgress.objects.get(learner=learner)
        assert progress.steps_total == len(steps)
        assert progress.steps_completed == len(steps) - len(checkpoints)
        assert progress.completed_at is None

    # What was kept up to date while the writers raced is what the log says, in time order.
    live = _progress_rows()
    progress_rebuild()
    assert _progress_rows() == live
