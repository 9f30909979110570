"""The demo's groups: who is in which, the path each follows, their weekly sessions, and what
each learner does there (activity.py), written table by table."""

import random
from dataclasses import dataclass
from datetime import time, timedelta

from django.db.models import Exists, Max, OuterRef

from courses.models import stable_uuid
from lms.accounts.models import Association
from lms.bulk_rows import rows_write
from lms.learning.models import PathEnrollment, Statement
from lms.learning.services import statements_store
from lms.logbook.models import Attendance, Group, TrainingSession

from .activity import LearnerPlay
from .context import Context, DemoSession, Person, aware

SLOTS = [(time(9, 30), time(12, 0)), (time(13, 30), time(16, 0))]
WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi"]
GROUP_SIZE = 12
GROUP_FIELDS = [
    "id",
    "association_id",
    "name",
    "learning_path_id",
    "usual_starts_at",
    "usual_ends_at",
    "is_active",
    "created_at",
]
SESSION_FIELDS = [
    "id",
    "uuid",
    "association_id",
    "group_id",
    "held_on",
    "starts_at",
    "ends_at",
    "place",
    "note",
    "created_at",
    "updated_at",
]


@dataclass(frozen=True)
class GroupPlan:
    association: Association
    association_index: int
    index: int
    name: str
    members: list[Person]
    existing_pk: int | None = None  # a demo group already there, without sessions


def groups_plan(associations: list[Association], people: list[Person]) -> list[GroupPlan]:
    """The groups still to build: each association's learners, by groups of about 12.

    Each group follows a path and meets once a week (`groups_build`). A group that has
    sessions was built whole by an earlier run (all of this is one transaction): it is left
    as is. A demo group without any (its sessions were deleted) is filled again.
    """
    groups = Group.objects.filter(association__in=associations).annotate(
        has_sessions=Exists(TrainingSession.objects.filter(group=OuterRef("pk")))
    )
    built, empty = set(), {}
    for pk, association_id, name, has_sessions in groups.values_list(
        "pk", "association_id", "name", "has_sessions"
    ):
        if has_sessions:
            built.add((association_id, name))
        else:
            empty[(association_id, name)] = pk
    plans = []
    for association_index, association in enumerate(associations):
        members = people[association_index :: len(associations)]
        for group_index in range(max(1, len(members) // GROUP_SIZE)):
            chunk = members[group_index * GROUP_SIZE : (group_index + 1) * GROUP_SIZE]
            name = f"Groupe {WEEKDAYS[group_index % 5]} {group_index // 5 + 1}"
            if chunk and (association.pk, name) not in built:
                plans.append(
                    GroupPlan(
                        association,
                        association_index,
                        group_index,
                        name,
                        chunk,
                        empty.get((association.pk, name)),
                    )
                )
    return plans


def _next_id(model) -> int:
    return (model.objects.aggregate(last=Max("pk"))["last"] or 0) + 1


def groups_build(plans: list[GroupPlan], context: Context) -> None:
    """Groups, their sessions, attendance, statements and progress, written table by table.

    Groups and sessions get their ids here (the next free ones; the build holds the only
    write transaction), so every row can be written in bulk without reading ids back.
    """
    created_at = aware(context.start, time(9, 0))
    next_group_id, session_id = _next_id(Group), _next_id(TrainingSession)
    groups, group_trainers, group_learners, enrollments, refilled = [], [], [], [], []
    sessions, session_trainers, session_modules, plays = [], [], [], []
    for plan in plans:
        path = (
            context.paths[(plan.index + plan.association_index) % len(context.paths)]
            if context.paths
            else None
        )
        association = plan.association
        trainers = context.trainers_for[association.pk]
        # The group meets at the same hours every week: its usual slot.
        slot = SLOTS[plan.index % 2]
        if plan.existing_pk is None:
            group_id = next_group_id
            next_group_id += 1
            groups.append(
                (
                    group_id,
                    association.pk,
                    plan.name,
                    path.pk if path else None,
                    slot[0],
                    slot[1],
                    True,
                    created_at,
                )
            )
            group_trainers += [(group_id, trainer.pk) for trainer in trainers]
            group_learners += [(group_id, person.pk) for person in plan.members]
        else:
            # Its people may still be linked to it: add only the missing links.
            group_id = plan.existing_pk
            refilled.append((group_id, trainers, plan.members, slot))
        modules = context.modules_by_path.get(path.pk, []) if path else []
        if path and plan.existing_pk is None:
            enrollments += [
                (person.pk, path.pk, aware(person.joined_on, time(10, 0)))
                for person in plan.members
            ]
        day = context.start + timedelta(days=(plan.index % 5) - context.start.weekday() + 7)
        week = 0
        group_sessions = []
        while day < context.today:
            module = modules[min(week // 3, len(modules) - 1)] if modules else None
            session = DemoSession(
                session_id,
                stable_uuid("demo-session", association.slug, plan.name, day.isoformat()),
                day,
                aware(day, slot[0]),
            )
            sessions.append(
                (
                    session.pk,
                    session.uuid,
                    association.pk,
                    group_id,
                    day,
                    slot[0],
                    slot[1],
                    association.street_address,
                    "",
                    created_at,
                    created_at,
                )
            )
            session_trainers.append((session.pk, trainers[0].pk))
            if module:
                session_modules.append((session.pk, module.pk))
            group_sessions.append((session, module))
            session_id += 1
            day += timedelta(days=7)
            week += 1
        # Who finishes their path goes on with the next one.
        following = (
            context.paths[(context.paths.index(path) + 1) % len(context.paths)]
            if path and len(context.paths) > 1
            else None
        )
        plays.append((plan, group_sessions, modules, trainers[0], following))

    rows_write(Group, GROUP_FIELDS, groups)
    rows_write(Group.trainers.through, ["group_id", "user_id"], group_trainers)
    rows_write(Group.learners.through, ["group_id", "user_id"], group_learners)
    for group_id, trainers, members, slot in refilled:
        Group.objects.filter(pk=group_id).update(usual_starts_at=slot[0], usual_ends_at=slot[1])
        group = Group.objects.get(pk=group_id)
        group.trainers.add(*[trainer.pk for trainer in trainers])
        group.learners.add(*[person.pk for person in members])
        if group.learning_path_id:
            PathEnrollment.objects.bulk_create(
                [PathEnrollment(learner_id=p.pk, path_id=group.learning_path_id) for p in members],
                ignore_conflicts=True,
            )
    rows_write(PathEnrollment, ["learner_id", "path_id", "enrolled_at"], enrollments)
    rows_write(TrainingSession, SESSION_FIELDS, sessions)
    rows_write(
        TrainingSession.trainers.through, ["trainingsession_id", "user_id"], session_trainers
    )
    rows_write(
        TrainingSession.modules.through, ["trainingsession_id", "modulepage_id"], session_modules
    )

    attendances, statements, later_enrollments = [], [], []
    for plan, group_sessions, modules, lead, following in plays:
        rng = random.Random(f"demo/{context.seed}/{plan.association.slug}/{plan.index}")
        for person in plan.members:
            learner = LearnerPlay(
                rng, person, plan.association.pk, lead.pk, modules, following, context
            )
            for session, module in group_sessions:
                if learner.attends(session.held_on):
                    attendances.append((session.pk, person.pk))
                    learner.session_work(session, module)
            # Each learner's statements in the order they happened: progress follows it.
            statements += sorted(learner.statements, key=lambda statement: statement.timestamp)
            later_enrollments += learner.enrollments
    rows_write(PathEnrollment, ["learner_id", "path_id", "enrolled_at"], later_enrollments)
    rows_write(Attendance, ["session_id", "learner_id"], attendances)
    # Through the one writer of learning records, as the site stores them: the statements
    # and the progress that follows from them (its signal retires the cached figures).
    statements_store(
        [Statement(**statement._asdict()) for statement in statements],
        steps_by_module={
            module.iri: module.steps_total
            for modules in context.modules_by_path.values()
            for module in modules
        },
    )
