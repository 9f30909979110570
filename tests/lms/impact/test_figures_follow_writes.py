"""Every way a learning record comes in retires the funder's cached figures (issue 19, 1).

Each test reads the figures as the dashboard does (`figures_live`, through the site's real
cache), writes through the site's own HTTP endpoint, and reads them again: the figure has
moved, and equals a fresh computation. Replays add nothing and retire nothing; a record of
an association outside the programme keeps the programme's cache. The writer announces what
it stored once its transaction commits: the endpoints' commits are run as they end.
"""

import datetime
import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from courses.models import LearningPathPage
from lms.accounts.models import LearnerProfile
from lms.impact.selectors import figures_compute, figures_live
from lms.learning.models import Statement
from lms.logbook.models import Attendance
from tests.factories import (
    AssociationFactory,
    FunderFactory,
    GroupFactory,
    ProgrammeFactory,
    TrainingSessionFactory,
    learner_in,
    learners_at_a_session,
    trainer_in,
)
from tests.lms.learning.step_answers import step_answers

pytestmark = pytest.mark.django_db
BATCH_URL = reverse("learning:statements")


@pytest.fixture
def world(catalogue):
    """A programme of one association with six learners reached, and one outside it."""
    today = timezone.localdate()
    association, elsewhere = AssociationFactory(), AssociationFactory()
    programme = ProgrammeFactory(
        funder=FunderFactory(),
        starts_on=today - datetime.timedelta(days=60),
        ends_on=today + datetime.timedelta(days=300),
    )
    programme.associations.add(association)
    ProgrammeFactory(name="Someone else's").associations.add(elsewhere)
    learners_at_a_session(association, 6, day=today - datetime.timedelta(days=3))
    module = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")
    return {
        "association": association,
        "elsewhere": elsewhere,
        "programme": programme,
        "module": module,
        "newcomer": newcomer(association),
    }


def newcomer(association):
    """A learner of `association` with a profile and no record yet: not reached so far."""
    learner = learner_in(association)
    LearnerProfile.objects.create(
        user=learner, year_of_birth=1960, gender="woman", postcode="4000", first_language="fr"
    )
    return learner


def scope(world) -> dict:
    programme = world["programme"]
    return {
        "programme": programme,
        "association_ids": [world["association"].pk],
        "start": programme.starts_on,
        "end": programme.ends_on,
    }


def reached(world) -> int:
    return figures_live(**scope(world))["key_figures"]["learners"]


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT="application/json")
    client.force_login(user)
    return client


def step_number(module, kind: str) -> int:
    return next(i for i, step in enumerate(module.steps, 1) if step.block_type == kind)


def post_step(client, module, number: int, statement_id) -> dict:
    fields = step_answers(module.steps[number - 1], right=True)
    answer = client.post(
        reverse("learning:step", args=[module.pk, number]),
        {**fields, "statement_id": str(statement_id)},
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def post_batch(client, module, numbers: list[int], ids: list) -> dict:
    entries = [
        {
            "module": module.pk,
            "step": number,
            "statement_id": str(statement_id),
            "fields": step_answers(module.steps[number - 1], right=True),
        }
        for number, statement_id in zip(numbers, ids, strict=True)
    ]
    answer = client.post(BATCH_URL, json.dumps(entries), content_type="application/json")
    assert answer.status_code == 200, answer.content
    return answer.json()


def assert_moved_by_one(world, before: int):
    assert reached(world) == before + 1
    assert figures_live(**scope(world)) == figures_compute(**scope(world))


def test_a_step_answered_in_the_player_moves_the_figures(
    world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    client = signed_in(world["newcomer"])  # signing in writes the person: before reading
    before = reached(world)
    statement_id = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_step(client, world["module"], 1, statement_id)["ok"]
    assert_moved_by_one(world, before)

    # The same answer sent again (a retry): nothing stored, nothing retired.
    figures_live(**scope(world))
    count = Statement.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert post_step(client, world["module"], 1, statement_id)["ok"]
    assert callbacks == [] and Statement.objects.count() == count
    with django_assert_num_queries(0):
        figures_live(**scope(world))


def test_a_batch_of_answers_moves_the_figures_and_its_replay_adds_nothing(
    world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    module = world["module"]
    client = signed_in(world["newcomer"])  # signing in writes the person: before reading
    before = reached(world)
    numbers = list(range(1, len(module.steps) + 1))
    ids = [uuid.uuid4() for _number in numbers]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert post_batch(client, module, numbers, ids)["stored"] == len(numbers)
    assert len(callbacks) == 1  # one announcement for the whole batch
    assert_moved_by_one(world, before)

    figures_live(**scope(world))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer = post_batch(client, module, numbers, ids)
    assert answer["stored"] == 0 and answer["duplicate"] == len(numbers)
    assert callbacks == []
    with django_assert_num_queries(0):
        figures_live(**scope(world))


def test_an_h5p_result_moves_the_figures(world, django_capture_on_commit_callbacks):
    module = world["module"]
    client = signed_in(world["newcomer"])
    before = figures_live(**scope(world))
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_batch(client, module, [step_number(module, "h5p")], [uuid.uuid4()])
    assert answer["stored"] == 1
    assert Statement.objects.get(learner=world["newcomer"]).object_kind == "h5p"
    assert_moved_by_one(world, before["key_figures"]["learners"])


def test_a_self_assessment_moves_the_figures(world, django_capture_on_commit_callbacks):
    module = world["module"]
    client = Client()
    client.force_login(world["newcomer"])
    before = reached(world)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            reverse("learning:outcome_start", args=[module.pk]), {"level": "alone"}
        )
    assert answer.status_code == 302
    assert Statement.objects.get(learner=world["newcomer"]).verb == "self-assessed"
    assert_moved_by_one(world, before)


def test_a_trainers_validation_moves_the_figures(
    world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    association, learner = world["association"], world["newcomer"]
    trainer = trainer_in(association)
    path = LearningPathPage.objects.live().first()
    group = GroupFactory(association=association, learning_path=path)
    group.trainers.add(trainer)
    group.learners.add(learner)
    session = TrainingSessionFactory(
        association=association, group=group, held_on=timezone.localdate()
    )
    session.trainers.add(trainer)
    module = path.path_modules.first().module.specific
    session.modules.add(module)
    checkpoint = next(step for step in module.steps if step.block_type == "checkpoint")
    Attendance.objects.create(session=session, learner=learner)  # only those present
    client = Client()
    client.force_login(trainer)
    before = figures_live(**scope(world))
    url = reverse("logbook:session_validations", args=[session.pk])
    field = f"v-{learner.pk}-{module.pk}-{checkpoint.id}"
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(url, {field: "alone"})
    assert answer.status_code == 302
    assert Statement.objects.get(learner=learner).verb == "validated"
    # Validated alone: one more learner in the help breakdown, and nothing stale.
    after = figures_live(**scope(world))
    assert after != before
    assert after == figures_compute(**scope(world))

    # The same screen saved again stores nothing and retires nothing.
    figures_live(**scope(world))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(url, {field: "alone"})
    assert callbacks == [] and Statement.objects.filter(learner=learner).count() == 1
    with django_assert_num_queries(0):
        figures_live(**scope(world))


def test_records_of_an_association_outside_the_programme_keep_its_cache(
    world, django_capture_on_commit_callbacks, django_assert_num_queries
):
    client = signed_in(newcomer(world["elsewhere"]))  # a new person retires every figure
    figures_live(**scope(world))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert post_step(client, world["module"], 1, uuid.uuid4())["ok"]
    assert len(callbacks) == 1
    with django_assert_num_queries(0):
        figures_live(**scope(world))


def test_the_pretend_sign_in_answers_count_in_the_funders_scores(
    world, catalogue, django_capture_on_commit_callbacks, settings
):
    """itsme, eID card reader and login page: graded by the server, counted with the quizzes."""
    settings.IMPACT_MIN_COUNT = 1  # one learner answers here: show the count, not "too few"
    client = signed_in(world["newcomer"])
    before = figures_live(**scope(world))["key_figures"]
    steps = [
        (module, number)
        for module in catalogue.filter(
            slug__in=[
                "installer-et-utiliser-itsme",
                "utiliser-le-lecteur-de-carte-eid",
                "se-connecter-a-un-service-public",
            ]
        )
        for number, step in enumerate(module.steps, 1)
        if step.block_type in ("practice_itsme", "practice_eid", "practice_login")
    ]
    assert len(steps) == 4
    with django_capture_on_commit_callbacks(execute=True):
        # Two sent at once, two queued offline and sent later in a batch.
        for module, number in steps[:2]:
            assert post_step(client, module, number, uuid.uuid4())["success"] is True
        for module, number in steps[2:]:
            post_batch(client, module, [number], [uuid.uuid4()])
    after = figures_live(**scope(world))
    assert after["key_figures"]["quiz_answers"] == (before["quiz_answers"] or 0) + 4
    assert after == figures_compute(**scope(world))
