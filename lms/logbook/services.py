"""Writes of the trainer logbook: learners, groups, in-person sessions and validations."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string

from courses.models import ModulePage
from lms.accounts.consents import consent_give
from lms.accounts.languages import language_supported
from lms.accounts.models import (
    Association,
    ConsentPurpose,
    LearnerProfile,
    Membership,
    Role,
    User,
)
from lms.accounts.names import person_name_clean
from lms.accounts.services import audit_record
from lms.learning.models import PathEnrollment, Verb
from lms.learning.services import (
    Result,
    StatementConflict,
    StoreStatus,
    statement_build,
    statements_store,
)

from .models import Attendance, Group, TrainingSession
from .signals import learners_merged


class HelpLevel:
    """How the learner showed the skill: the step from DigComp level 1 to 2 funders follow."""

    ALONE = "alone"
    LITTLE_HELP = "little_help"
    LOT_OF_HELP = "lot_of_help"
    ALL = (ALONE, LITTLE_HELP, LOT_OF_HELP)


def _profile_snapshot(user: User, profile: LearnerProfile) -> dict:
    return {
        "display_name": user.display_name,
        "preferred_language": user.preferred_language,
        "family_name": profile.family_name,
        "year_of_birth": profile.year_of_birth,
        "gender": profile.gender,
        "postcode": profile.postcode,
        "first_language": profile.first_language,
        "situations": profile.situations,
        "consent_given_at": profile.consent_given_at.isoformat()
        if profile.consent_given_at
        else None,
    }


@transaction.atomic
def learner_create(
    *,
    association: Association,
    display_name: str,
    created_by: User,
    consent: bool = False,
    preferred_language: str = "",
    **profile_fields,
) -> User:
    """A learner from a first name or nickname; every other fact is optional.

    `preferred_language`: the language of their screens at every sign-in ("" for the
    device's own).
    """
    language = language_supported(preferred_language)
    if preferred_language and not language:
        raise ValueError(f"Not a language of the interface: {preferred_language!r}")
    # Names in one written form, whoever calls (forms clean them too, for their messages).
    display_name = person_name_clean(display_name)
    if profile_fields.get("family_name"):
        profile_fields["family_name"] = person_name_clean(profile_fields["family_name"])
    learner = User(
        username=f"a-{get_random_string(10).lower()}",
        display_name=display_name,
        first_name=display_name[:150],
        password=make_password(None),
        preferred_language=language,
    )
    learner.save()
    Membership.objects.create(
        user=learner, association=association, role=Role.LEARNER, joined_on=timezone.localdate()
    )
    profile = LearnerProfile.objects.create(user=learner, **profile_fields)
    if consent:
        # The consent record (wording version, who recorded it) also fills the profile's date.
        consent_give(
            learner=learner,
            purpose=ConsentPurpose.LEARNING_RECORDS,
            by=created_by,
            association=association,
        )
        profile.refresh_from_db()
    audit_record(
        actor=created_by,
        action="learner_create",
        obj=learner,
        association=association,
        after=_profile_snapshot(learner, profile),
    )
    return learner


@transaction.atomic
def group_create(
    *,
    association: Association,
    name: str,
    learning_path,
    trainers: list[User],
    by: User,
    usual_starts_at: time | None = None,
    usual_ends_at: time | None = None,
) -> Group:
    """A group; `usual_starts_at` and `usual_ends_at` (both or neither) are the hours it
    usually meets at, which a new session of the group starts from."""
    group = Group(
        association=association,
        name=name,
        learning_path=learning_path,
        usual_starts_at=usual_starts_at,
        usual_ends_at=usual_ends_at,
    )
    group.full_clean(exclude=["association", "learning_path"])
    group.save()
    group.trainers.set(trainers)
    audit_record(
        actor=by,
        action="group_create",
        obj=group,
        association=association,
        after={
            "name": name,
            "learning_path": getattr(learning_path, "pk", None),
            "trainers": [t.pk for t in trainers],
            "usual_starts_at": usual_starts_at.isoformat() if usual_starts_at else None,
            "usual_ends_at": usual_ends_at.isoformat() if usual_ends_at else None,
        },
    )
    return group


@transaction.atomic
def group_learners_add(*, group: Group, learners: list[User], by: User) -> None:
    """Put learners in a group; they follow the group's learning path from now on."""
    group.learners.add(*learners)
    if group.learning_path_id:
        PathEnrollment.objects.bulk_create(
            [
                PathEnrollment(learner=learner, path_id=group.learning_path_id)
                for learner in learners
            ],
            ignore_conflicts=True,
        )
    audit_record(
        actor=by,
        action="group_learners_add",
        obj=group,
        association=group.association,
        after={"learners": [learner.pk for learner in learners]},
    )


def _session_snapshot(session: TrainingSession) -> dict:
    return {
        "held_on": session.held_on.isoformat(),
        "starts_at": session.starts_at.isoformat(),
        "ends_at": session.ends_at.isoformat(),
        "place": session.place,
        "group": session.group_id,
        "note": session.note,
        "trainers": sorted(session.trainers.values_list("pk", flat=True)),
        "modules": sorted(session.modules.values_list("pk", flat=True)),
        "present": sorted(session.attendances.values_list("learner_id", flat=True)),
    }


@transaction.atomic
def session_log(
    *,
    association: Association,
    by: User,
    held_on: date,
    starts_at: time,
    ends_at: time,
    place: str = "",
    group: Group | None = None,
    modules: list[ModulePage] = (),
    present: list[User] = (),
    note: str = "",
    session: TrainingSession | None = None,
) -> TrainingSession:
    """Create a session, or correct one; every correction keeps its before and after."""
    before = _session_snapshot(session) if session else None
    if session is None:
        session = TrainingSession(association=association)
    session.group = group
    session.held_on, session.starts_at, session.ends_at = held_on, starts_at, ends_at
    session.place, session.note = place, note
    session.full_clean(exclude=["association"])
    session.save()
    session.trainers.add(by)
    session.modules.set(modules)
    present_ids = {learner.pk for learner in present}
    # Erased people are no longer in the trainer's list, but they were there: their
    # attendance stays, or correcting an old session would lower the hours reported.
    session.attendances.exclude(learner_id__in=present_ids).exclude(
        learner__erased_at__isnull=False
    ).delete()
    Attendance.objects.bulk_create(
        [Attendance(session=session, learner_id=pk) for pk in present_ids], ignore_conflicts=True
    )
    audit_record(
        actor=by,
        action="session_update" if before else "session_create",
        obj=session,
        association=association,
        before=before,
        after=_session_snapshot(session),
    )
    return session


@dataclass(frozen=True)
class Validation:
    learner: User
    module: ModulePage
    step_id: str
    help_level: str
    note: str = ""


@transaction.atomic
def validations_record(*, session: TrainingSession, by: User, validations: list[Validation]) -> int:
    """Record what each learner showed in person, as statements with the trainer as instructor."""
    moment = timezone.make_aware(datetime.combine(session.held_on, session.ends_at))
    now = timezone.now()
    statements = []
    for validation in validations:
        if validation.help_level not in HelpLevel.ALL:
            raise ValueError(validation.help_level)
        object_iri = validation.module.step_iri(validation.step_id)
        # One id per learner, step, session and level: saving the form again stores nothing,
        # and a corrected level is a new statement next to the first.
        statement_id = uuid.uuid5(
            session.uuid, f"{validation.learner.pk}/{object_iri}/{validation.help_level}"
        )
        statements.append(
            statement_build(
                statement_id=statement_id,
                learner=validation.learner,
                verb=Verb.VALIDATED,
                object_iri=object_iri,
                object_kind="checkpoint",
                module=validation.module,
                result=Result(
                    success=True,
                    completion=True,
                    response={"help": validation.help_level, "note": validation.note},
                ),
                association=session.association,
                session_uuid=session.uuid,
                instructor=by,
                timestamp=moment,
                timestamp_is_trusted=True,
                now=now,
            )
        )
    # One call for the whole form: the writer locks the learners in the order of their
    # ids, so two trainers validating the same people cannot deadlock each other.
    stored = statements_store(
        statements,
        steps_by_module={v.module.iri: len(v.module.steps) for v in validations},
    )
    if any(result.status == StoreStatus.CONFLICT for result in stored):
        raise StatementConflict(
            ", ".join(
                str(statement.pk)
                for statement, result in zip(statements, stored, strict=True)
                if result.status == StoreStatus.CONFLICT
            )
        )
    created = sum(result.status == StoreStatus.STORED for result in stored)
    if created:
        audit_record(
            actor=by,
            action="validations_record",
            obj=session,
            association=session.association,
            after={
                "validations": [
                    [v.learner.pk, v.module.pk, v.step_id, v.help_level] for v in validations
                ]
            },
        )
    return created


@transaction.atomic
def learner_join(*, card, association: Association, by: User) -> User:
    """A learner with a card from another association joins this one.

    The caller has checked the learner's secret: typing it is their consent. Their record
    and progress come along, since they are one person with one learning record.
    """
    learner = card.learner
    _membership, created = Membership.objects.get_or_create(
        user=learner,
        association=association,
        role=Role.LEARNER,
        defaults={"joined_on": timezone.localdate()},
    )
    if created:
        audit_record(
            actor=by,
            action="learner_join",
            obj=learner,
            association=association,
            after={"from_card_of": card.association_id},
        )
    return learner


@transaction.atomic
def learner_merge(*, keep: User, duplicate: User, by: User, association: Association) -> User:
    """Merge a duplicate record into the one kept, without losing any statement.

    Statements move to the kept person under the kept pseudonym, so figures count one
    person; progress is then rebuilt from the statements.
    """
    from lms.accounts.models import SignInCard
    from lms.learning.models import ActivityProgress, ModuleProgress, Statement
    from lms.learning.progress import progress_rebuild

    if keep.pk == duplicate.pk:
        raise ValueError("A record cannot be merged into itself.")
    moved = Statement.objects.filter(learner=duplicate).update(
        learner=keep, learner_pseudonym=keep.pseudonym
    )
    for attendance in Attendance.objects.filter(learner=duplicate):
        if Attendance.objects.filter(session_id=attendance.session_id, learner=keep).exists():
            attendance.delete()
        else:
            attendance.learner = keep
            attendance.save(update_fields=["learner"])
    for membership in Membership.objects.filter(user=duplicate):
        Membership.objects.get_or_create(
            user=keep,
            association=membership.association,
            role=membership.role,
            defaults={"joined_on": membership.joined_on},
        )
    for group in Group.objects.filter(learners=duplicate):
        group.learners.add(keep)
    for enrollment in PathEnrollment.objects.filter(learner=duplicate):
        PathEnrollment.objects.get_or_create(learner=keep, path=enrollment.path)
    SignInCard.objects.filter(learner=duplicate).update(is_active=False, revoked_at=timezone.now())
    ActivityProgress.objects.filter(learner=duplicate).delete()
    ModuleProgress.objects.filter(learner=duplicate).delete()
    audit_record(
        actor=by,
        action="learner_merge",
        obj=keep,
        association=association,
        before={"duplicate": duplicate.pk, "duplicate_name": duplicate.public_name},
        after={"kept": keep.pk, "statements_moved": moved},
    )
    duplicate.delete()
    progress_rebuild(learner_ids=[keep.pk])
    learners_merged.send(sender=None, keep=keep, duplicate=duplicate)
    return keep


@transaction.atomic
def trainer_add(
    *, association: Association, username: str, display_name: str, password: str, by: User
) -> User:
    """A coordinator gives a colleague a trainer account in the association."""
    trainer = User.objects.filter(username=username).first()
    display_name = person_name_clean(display_name)
    if trainer is None:
        trainer = User(username=username, display_name=display_name, first_name=display_name[:150])
        trainer.set_password(password)
        trainer.save()
    Membership.objects.update_or_create(
        user=trainer,
        association=association,
        role=Role.TRAINER,
        defaults={"joined_on": timezone.localdate(), "is_active": True},
    )
    audit_record(
        actor=by,
        action="trainer_add",
        obj=trainer,
        association=association,
        after={"username": username},
    )
    return trainer


@transaction.atomic
def trainer_deactivate(*, association: Association, trainer: User, by: User) -> None:
    Membership.objects.filter(user=trainer, association=association, role=Role.TRAINER).update(
        is_active=False
    )
    audit_record(actor=by, action="trainer_deactivate", obj=trainer, association=association)
