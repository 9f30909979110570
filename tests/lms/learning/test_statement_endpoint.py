"""The step form's POST and the batch endpoint record through the module's outline and
plain SQL: the same rows, grades, associations and answers as the page and the ORM give."""

import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from courses.models import ModulePage
from lms.learning import selectors
from lms.learning.grading import (
    practice_eid_check,
    practice_form_check,
    practice_inbox_check,
    practice_itsme_check,
    practice_login_check,
    quiz_grade,
)
from lms.learning.models import ActivityProgress, ModuleProgress, Statement
from lms.learning.submissions import module_outline, step_submission_parse, step_submit
from tests.factories import AssociationFactory, MembershipFactory, learner_in
from tests.lms.learning.step_answers import step_answers

pytestmark = pytest.mark.django_db

BATCH_URL = "/apprendre/releves/"


def signed_in(learner, **session) -> Client:
    client = Client(HTTP_ACCEPT="application/json")
    client.force_login(learner)
    if session:
        stored = client.session
        stored.update(session)
        stored.save()
    return client


def step_post(client, module, number, statement_id, fields, **extra):
    return client.post(
        reverse("learning:step", args=[module.pk, number]),
        {"statement_id": str(statement_id), **fields},
        **extra,
    )


def rows_of(learner):
    """Every progress and statement row of a learner, ids and insert times left out."""
    return (
        sorted(
            ActivityProgress.objects.filter(learner=learner).values_list(
                "activity_iri", "status", "attempts", "first_success", "best_score_scaled"
            )
        ),
        sorted(
            ModuleProgress.objects.filter(learner=learner).values_list(
                "module_iri", "steps_completed", "steps_total", "completed_at"
            ),
            key=str,
        ),
        sorted(Statement.objects.filter(learner=learner).values_list("id", flat=True)),
    )


def test_the_outline_grades_every_step_of_the_catalogue_as_the_page_does(catalogue):
    graders = {
        "quiz": lambda value, fields: quiz_grade(value, int(fields["answer"])),
        "practice_form": lambda value, fields: practice_form_check(value, list(fields.values())),
        "practice_inbox": lambda value, fields: practice_inbox_check(value, list(fields.values())),
        "practice_itsme": lambda value, fields: practice_itsme_check(
            value, fields["decision"], fields.get("code", "")
        ),
        "practice_eid": lambda value, fields: practice_eid_check(
            value, fields["method"], fields.get("card") == "inserted", fields["code"]
        ),
        "practice_login": lambda value, fields: practice_login_check(value, fields["method"]),
    }
    seen = set()
    for module in catalogue:
        outline = module_outline(module)
        assert outline.pk == module.pk and outline.iri == module.iri
        assert len(outline.steps) == len(module.steps)
        for step, block in zip(outline.steps, module.steps, strict=True):
            assert (step.id, step.kind, step.iri) == (
                block.id,
                block.block_type,
                module.step_iri(block.id),
            )
            if step.kind not in graders:
                assert step.grading is None
                continue
            seen.add(step.kind)
            for right in (True, False):
                fields = step_answers(block, right=right)
                grade = graders[step.kind]
                assert grade(step.grading, fields) == grade(block.value, fields)
    assert seen == set(graders)


def test_a_step_post_stores_the_row_the_orm_path_stores(module):
    """The plain-SQL insert writes what `statement_record` (the ORM) writes, field by field."""
    association = AssociationFactory()
    by_endpoint, by_orm = learner_in(association), learner_in(association)
    client = signed_in(by_endpoint)
    for number, block in enumerate(module.steps, start=1):
        fields = step_answers(block, right=number % 2 == 0)
        posted = uuid.uuid4()
        assert step_post(client, module, number, posted, fields).status_code == 200
        orm_id = uuid.uuid4()
        submission = step_submission_parse(fields, statement_id=orm_id)
        step_submit(
            learner=by_orm,
            module=module,
            step_index=number - 1,
            submission=submission,
            association=association,
        )
        ignored = {"id", "learner", "learner_pseudonym", "timestamp", "stored_at"}
        names = [f.attname for f in Statement._meta.concrete_fields if f.name not in ignored]
        mine = Statement.objects.filter(pk=posted).values(*names).get()
        theirs = Statement.objects.filter(pk=orm_id).values(*names).get()
        assert mine == theirs
        assert mine["association_id"] == association.pk
    (activities, modules, _ids), (orm_activities, orm_modules, _orm_ids) = (
        rows_of(by_endpoint),
        rows_of(by_orm),
    )
    assert activities == orm_activities
    assert [row[:3] for row in modules] == [row[:3] for row in orm_modules]


def test_replaying_a_step_post_adds_no_row_and_answers_as_the_first_time(module):
    learner = learner_in(AssociationFactory())
    client = signed_in(learner)
    quiz = next(n for n, s in enumerate(module.steps, 1) if s.block_type == "quiz")
    fields = step_answers(module.steps[quiz - 1])
    statement_id = uuid.uuid4()
    first = step_post(client, module, quiz, statement_id, fields)
    before = rows_of(learner)
    again = step_post(client, module, quiz, statement_id, fields)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert again.json()["statement_id"] == str(statement_id)
    assert rows_of(learner) == before
    assert ActivityProgress.objects.get(learner=learner).attempts == 1


def test_an_id_reused_for_another_step_is_a_conflict_and_stores_nothing(module):
    learner = learner_in(AssociationFactory())
    client = signed_in(learner)
    statement_id = uuid.uuid4()
    assert (
        step_post(client, module, 1, statement_id, step_answers(module.steps[0])).status_code == 200
    )
    before = rows_of(learner)
    answer = step_post(client, module, 2, statement_id, step_answers(module.steps[1]))
    assert answer.status_code == 409
    assert answer.json()["ok"] is False
    assert rows_of(learner) == before
    # Without JavaScript: back to the step, with the message.
    plain = step_post(
        client, module, 2, statement_id, step_answers(module.steps[1]), HTTP_ACCEPT="text/html"
    )
    assert plain.status_code == 302
    assert plain.url == reverse("learning:step", args=[module.pk, 2])
    assert rows_of(learner) == before


def test_another_learners_id_is_a_conflict_and_their_rows_are_untouched(module):
    association = AssociationFactory()
    owner, intruder = learner_in(association), learner_in(association)
    statement_id = uuid.uuid4()
    fields = step_answers(module.steps[0])
    assert step_post(signed_in(owner), module, 1, statement_id, fields).status_code == 200
    owners = rows_of(owner)
    stored = Statement.objects.filter(pk=statement_id).values().get()
    intruding = signed_in(intruder)
    assert step_post(intruding, module, 1, statement_id, fields).status_code == 409
    entry = {"module": module.pk, "step": 1, "statement_id": str(statement_id), "fields": fields}
    batch = intruding.post(BATCH_URL, json.dumps([entry]), content_type="application/json")
    assert batch.json()["results"][0]["status"] == "refused"
    assert rows_of(owner) == owners
    assert Statement.objects.filter(pk=statement_id).values().get() == stored
    assert rows_of(intruder) == ([], [], [])


@pytest.mark.parametrize("card", ["first", "second", "inactive", "none"])
def test_the_statement_counts_in_the_association_the_learner_works_with(module, card):
    """The association stored is the one `selectors.learner_association` names, in every case."""
    first, second, former = AssociationFactory(), AssociationFactory(), AssociationFactory()
    learner = learner_in(first)
    MembershipFactory(user=learner, association=second)
    MembershipFactory(user=learner, association=former, is_active=False)
    chosen = {"first": first, "second": second, "inactive": former, "none": None}[card]
    session = {"association_id": chosen.pk} if chosen else {}
    client = signed_in(learner, **session)
    expected = selectors.learner_association(learner, client.session)
    single, batched = uuid.uuid4(), uuid.uuid4()
    fields = step_answers(module.steps[0])
    assert step_post(client, module, 1, single, fields).status_code == 200
    entry = {"module": module.pk, "step": 1, "statement_id": str(batched), "fields": fields}
    client.post(BATCH_URL, json.dumps([entry]), content_type="application/json")
    for statement_id in (single, batched):
        stored = Statement.objects.get(pk=statement_id)
        assert stored.association_id == (expected.pk if expected else None)
    assert (expected is None) == (card == "inactive")


def test_a_new_revision_is_graded_at_once(module):
    """The outline is cached per revision: a publication changes the grading straight away."""
    learner = learner_in(AssociationFactory())
    client = signed_in(learner)
    quiz = next(n for n, s in enumerate(module.steps, 1) if s.block_type == "quiz")
    right = step_answers(module.steps[quiz - 1], right=True)
    assert step_post(client, module, quiz, uuid.uuid4(), right).json()["success"] is True
    draft = ModulePage.objects.get(pk=module.pk)
    answers = draft.steps[quiz - 1].value["answers"]
    for answer in answers:
        answer["is_correct"] = not answer["is_correct"]
    draft.save_revision().publish()
    assert step_post(client, module, quiz, uuid.uuid4(), right).json()["success"] is False


def test_an_unpublished_module_or_a_missing_step_stores_nothing(module):
    learner = learner_in(AssociationFactory())
    client = signed_in(learner)
    assert step_post(client, module, 1, uuid.uuid4(), {}).status_code == 200
    assert step_post(client, module, len(module.steps) + 1, uuid.uuid4(), {}).status_code == 404
    ModulePage.objects.get(pk=module.pk).unpublish()
    before = rows_of(learner)
    assert step_post(client, module, 1, uuid.uuid4(), {}).status_code == 404
    assert rows_of(learner) == before


def test_a_step_post_costs_a_fixed_few_queries(module, django_assert_max_num_queries):
    """The session (in the database in the test settings), then the write: lock, insert,
    progress (read and written on SQLite, one upsert each on PostgreSQL) in a savepoint.
    The user and whether the module is live come from caches once read."""
    learner = learner_in(AssociationFactory())
    client = signed_in(learner)
    step_post(client, module, 1, uuid.uuid4(), {})  # the outline is now cached
    for number in (2, 3):
        fields = step_answers(module.steps[number - 1])
        with django_assert_max_num_queries(9):
            assert step_post(client, module, number, uuid.uuid4(), fields).status_code == 200


def test_an_empty_answer_is_refused_and_stores_nothing(module):
    learner = learner_in(AssociationFactory())
    client = signed_in(learner)
    quiz = next(n for n, s in enumerate(module.steps, 1) if s.block_type == "quiz")
    answer = step_post(client, module, quiz, uuid.uuid4(), {})
    assert answer.status_code == 400
    plain = step_post(client, module, quiz, uuid.uuid4(), {}, HTTP_ACCEPT="text/html")
    assert plain.status_code == 302 and plain.url.endswith("?choix=1")
    assert rows_of(learner) == ([], [], [])
