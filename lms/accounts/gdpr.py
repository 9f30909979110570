"""GDPR for coordinators: a learner's data export, rectification, erasure, consents, register.

Erasure keeps an anonymous tombstone rather than deleting the person's row; see
`learner_erase` for why. The register of processing activities is declared here, in code,
next to the functions that move personal data, and a test checks it names every model that
holds some.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .access import (
    STAFF_ROLES,
    associations_for_staff,
    coordinated_associations,
)
from .models import (
    Association,
    AuditEntry,
    Consent,
    ConsentPurpose,
    LearnerProfile,
    Membership,
    Role,
    SignInCard,
    SignInEvent,
    User,
)
from .names import person_name_clean
from .services import audit_record

# The words read to the learner when a consent is recorded; a new wording gets a new version,
# and each consent keeps the version the learner heard.
CONSENT_WORDING_VERSION = "2026-11"
CONSENT_WORDINGS = {
    ConsentPurpose.LEARNING_RECORDS: _(
        "We keep what you learn here, to help you and to follow your progress. "
        "Funders only see figures, never your name."
    ),
    ConsentPurpose.PHOTOS: _(
        "We may take photos during the sessions. We only use them for the association."
    ),
    ConsentPurpose.CONTACT: _("Your trainer may call you or send you a message about the lessons."),
}
REGISTRATION_WORDING = "registration-form"

# Fields of the learner's identity and profile a coordinator or trainer may rectify.
USER_FIELDS = ("display_name", "preferred_language")
PROFILE_FIELDS = (
    "family_name",
    "year_of_birth",
    "gender",
    "postcode",
    "first_language",
    "situations",
)


# --- Who may act ---------------------------------------------------------------------------


def learner_association_for(user: User, learner: User) -> Association | None:
    """The association through which the user works with this learner (for the audit)."""
    membership = (
        Membership.objects.filter(
            user=learner, role=Role.LEARNER, association__in=associations_for_staff(user)
        )
        .select_related("association")
        .order_by("joined_on")
        .first()
    )
    return membership.association if membership else None


# --- Export --------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _entry(entry: AuditEntry) -> dict:
    return {
        "at": _iso(entry.at),
        "action": entry.action,
        "by": entry.actor.public_name if entry.actor else None,
        "association": entry.association.name if entry.association else None,
        "before": entry.before,
        "after": entry.after,
    }


def learner_data_export(learner: User) -> dict:
    """Everything held about the person, as a JSON-ready dict (no secrets, no other person's data).

    Card secrets, tokens and short codes are left out: they are keys, not facts about the
    person. Trainers who validated a step are not named: that is their data, not the learner's.
    """
    from lms.learning.models import ModuleProgress, PathEnrollment, Statement, Verb
    from lms.logbook.models import Attendance, Group

    profile = LearnerProfile.objects.filter(user=learner).first()
    statements = list(
        Statement.objects.filter(learner=learner).select_related("module", "association")
    )
    return {
        "format": "pasapas-learner-export/1",
        "exported_at": _iso(timezone.now()),
        "account": {
            "username": learner.username,
            "display_name": learner.display_name,
            "first_name": learner.first_name,
            "last_name": learner.last_name,
            "email": learner.email,
            "preferred_language": learner.preferred_language,
            "pseudonym": str(learner.pseudonym),
            "date_joined": _iso(learner.date_joined),
            "last_login": _iso(learner.last_login),
            "is_active": learner.is_active,
        },
        "profile": {
            "family_name": profile.family_name,
            "year_of_birth": profile.year_of_birth,
            "gender": profile.gender,
            "postcode": profile.postcode,
            "first_language": profile.first_language,
            "situations": profile.situations,
            "consent_given_at": _iso(profile.consent_given_at),
        }
        if profile
        else None,
        "memberships": [
            {
                "association": m.association.name,
                "role": m.role,
                "joined_on": _iso(m.joined_on),
                "is_active": m.is_active,
            }
            for m in learner.memberships.select_related("association").order_by("joined_on")
        ],
        "groups": [
            {"name": g.name, "association": g.association.name}
            for g in Group.objects.filter(learners=learner).select_related("association")
        ],
        "consents": [
            {
                "purpose": c.purpose,
                "wording_version": c.wording_version,
                "given_at": _iso(c.given_at),
                "withdrawn_at": _iso(c.withdrawn_at),
                "association": c.association.name if c.association else None,
            }
            for c in learner.consents.select_related("association").order_by("given_at")
        ],
        "sign_in_cards": [
            {
                "association": card.association.name,
                "created_at": _iso(card.created_at),
                "is_active": card.is_active,
                "revoked_at": _iso(card.revoked_at),
                "locked_until": _iso(card.locked_until),
            }
            for card in learner.sign_in_cards.select_related("association").order_by("created_at")
        ],
        "sign_in_events": [
            {"kind": event.kind, "at": _iso(event.at)}
            for event in SignInEvent.objects.filter(card__learner=learner).order_by("at")
        ],
        "statements": [
            {
                "id": str(s.id),
                "verb": s.verb,
                "activity": s.object_iri,
                "module": s.module.title if s.module else s.module_iri,
                "association": s.association.name if s.association else None,
                "score_scaled": s.score_scaled,
                "success": s.success,
                "completion": s.completion,
                "response": s.response,
                "duration_seconds": s.duration_seconds,
                "timestamp": _iso(s.timestamp),
            }
            for s in statements
        ],
        "validations": [
            {
                "module": s.module.title if s.module else s.module_iri,
                "activity": s.object_iri,
                "help": (s.response or {}).get("help"),
                "note": (s.response or {}).get("note", ""),
                "on": _iso(timezone.localdate(s.timestamp)),
            }
            for s in statements
            if s.verb == Verb.VALIDATED
        ],
        "progress": [
            {
                "module": p.module.title if p.module else p.module_iri,
                "steps_completed": p.steps_completed,
                "steps_total": p.steps_total,
                "started_at": _iso(p.started_at),
                "completed_at": _iso(p.completed_at),
            }
            for p in ModuleProgress.objects.filter(learner=learner).select_related("module")
        ],
        "learning_paths": [
            {"path": e.path.title, "enrolled_at": _iso(e.enrolled_at)}
            for e in PathEnrollment.objects.filter(learner=learner).select_related("path")
        ],
        "attendances": [
            {
                "date": _iso(a.session.held_on),
                "starts_at": _iso(a.session.starts_at),
                "ends_at": _iso(a.session.ends_at),
                "place": a.session.place,
                "association": a.session.association.name,
                "group": a.session.group.name if a.session.group else None,
            }
            for a in Attendance.objects.filter(learner=learner)
            .select_related("session__association", "session__group")
            .order_by("session__held_on", "session__starts_at")
        ],
        "audit": [_entry(entry) for entry in audit_entries_about(learner)],
    }


def audit_entries_about(learner: User) -> QuerySet[AuditEntry]:
    """Audit entries whose object is the person or one of their consents."""
    consent_ids = [str(pk) for pk in learner.consents.values_list("pk", flat=True)]
    return (
        AuditEntry.objects.filter(
            Q(object_type=User._meta.label, object_id=str(learner.pk))
            | Q(object_type=Consent._meta.label, object_id__in=consent_ids)
        )
        .select_related("actor", "association")
        .order_by("at")
    )


# --- Rectification -------------------------------------------------------------------------


def _identity_snapshot(learner: User, profile: LearnerProfile | None) -> dict:
    snapshot = {name: getattr(learner, name) for name in USER_FIELDS}
    # No profile yet reads as an empty one, so saving an empty form changes nothing.
    profile = profile or LearnerProfile()
    for name in PROFILE_FIELDS:
        snapshot[name] = getattr(profile, name)
    return snapshot


def learner_identity(learner: User) -> dict:
    """The values the rectification form starts from."""
    return _identity_snapshot(learner, LearnerProfile.objects.filter(user=learner).first())


@transaction.atomic
def learner_rectify(
    *, learner: User, by: User, association: Association | None, **changes
) -> list[str]:
    """Correct the learner's name or profile; the audit keeps only what changed, before and after.

    Returns the names of the fields that changed; saving the same values again changes
    nothing and records nothing.
    """
    unknown = set(changes) - set(USER_FIELDS) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"Not rectifiable here: {sorted(unknown)}")
    learner = User.objects.select_for_update().get(pk=learner.pk)
    if learner.erased_at:
        raise ValueError("This person's data was erased.")
    profile = LearnerProfile.objects.filter(user=learner).first()
    before = _identity_snapshot(learner, profile)
    wanted = {**before, **changes}
    wanted["display_name"] = person_name_clean(wanted.get("display_name") or "")
    if not wanted["display_name"]:
        raise ValueError("A learner needs a first name or nickname.")
    if wanted.get("family_name"):
        wanted["family_name"] = person_name_clean(wanted["family_name"])
    changed = [name for name in wanted if wanted[name] != before[name]]
    if not changed:
        return []
    if "display_name" in changed:
        learner.display_name = wanted["display_name"]
        learner.first_name = wanted["display_name"][:150]
        learner.save(update_fields=["display_name", "first_name"])
    if "preferred_language" in changed:
        learner.preferred_language = wanted["preferred_language"]
        learner.save(update_fields=["preferred_language"])
    profile_changes = {name: wanted[name] for name in changed if name in PROFILE_FIELDS}
    if profile_changes:
        if profile is None:
            profile = LearnerProfile(user=learner)
        for name, value in profile_changes.items():
            setattr(profile, name, value)
        profile.full_clean(exclude=["user", "consent_recorded_by"])
        profile.save()
    audit_record(
        actor=by,
        action="learner_update",
        obj=learner,
        association=association,
        before={name: before[name] for name in changed},
        after={name: wanted[name] for name in changed},
    )
    return changed


# --- Consents ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentState:
    purpose: str
    label: str
    wording: str
    given_at: datetime | None
    wording_version: str = ""
    history: list = field(default_factory=list)

    @property
    def is_given(self) -> bool:
        return self.given_at is not None


def consents_for(learner: User) -> list[ConsentState]:
    """Per purpose: whether the learner agrees now, since when, and the past consents."""
    rows = list(learner.consents.select_related("recorded_by", "withdrawn_by"))
    profile = LearnerProfile.objects.filter(user=learner).first()
    states = []
    for purpose in ConsentPurpose:
        mine = [row for row in rows if row.purpose == purpose]
        current = next((row for row in mine if row.withdrawn_at is None), None)
        given_at = current.given_at if current else None
        version = current.wording_version if current else ""
        # The registration form still writes its consent on the profile only.
        if (
            current is None
            and purpose == ConsentPurpose.LEARNING_RECORDS
            and profile
            and profile.consent_given_at
        ):
            given_at, version = profile.consent_given_at, REGISTRATION_WORDING
        states.append(
            ConsentState(
                purpose=purpose.value,
                label=purpose.label,
                wording=CONSENT_WORDINGS[purpose],
                given_at=given_at,
                wording_version=version,
                history=[row for row in mine if row.withdrawn_at is not None],
            )
        )
    return states


def _consent_snapshot(consent: Consent) -> dict:
    return {
        "learner": consent.learner_id,
        "purpose": consent.purpose,
        "wording_version": consent.wording_version,
        "given_at": _iso(consent.given_at),
        "withdrawn_at": _iso(consent.withdrawn_at),
    }


@transaction.atomic
def consent_give(
    *, learner: User, purpose: str, by: User | None, association: Association | None
) -> Consent:
    """Record that the learner agrees to `purpose` now; agreeing twice keeps the first record."""
    purpose = ConsentPurpose(purpose)
    # One writer at a time per learner: two clicks make one consent, not a constraint error.
    User.objects.select_for_update().filter(pk=learner.pk).first()
    current = Consent.objects.filter(learner=learner, purpose=purpose, withdrawn_at=None).first()
    if current is not None:
        return current
    now = timezone.now()
    consent = Consent.objects.create(
        learner=learner,
        association=association,
        purpose=purpose,
        wording_version=CONSENT_WORDING_VERSION,
        given_at=now,
        recorded_by=by,
    )
    if purpose == ConsentPurpose.LEARNING_RECORDS:
        # The profile's field is what imports, exports and the registration form read.
        LearnerProfile.objects.filter(user=learner, consent_given_at__isnull=True).update(
            consent_given_at=now, consent_recorded_by=by
        )
    audit_record(
        actor=by,
        action="consent_give",
        obj=consent,
        association=association,
        after=_consent_snapshot(consent),
    )
    return consent


@transaction.atomic
def consent_withdraw(
    *, learner: User, purpose: str, by: User | None, association: Association | None
) -> int:
    """The learner no longer agrees to `purpose`; withdrawing twice changes nothing."""
    purpose = ConsentPurpose(purpose)
    now = timezone.now()
    withdrawn = 0
    for consent in Consent.objects.select_for_update().filter(
        learner=learner, purpose=purpose, withdrawn_at=None
    ):
        before = _consent_snapshot(consent)
        consent.withdrawn_at, consent.withdrawn_by = now, by
        consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
        audit_record(
            actor=by,
            action="consent_withdraw",
            obj=consent,
            association=association,
            before=before,
            after=_consent_snapshot(consent),
        )
        withdrawn += 1
    if purpose == ConsentPurpose.LEARNING_RECORDS:
        profile = LearnerProfile.objects.filter(user=learner, consent_given_at__isnull=False)
        legacy = profile.first()
        if legacy is not None:
            profile.update(consent_given_at=None, consent_recorded_by=None)
            if not withdrawn:
                audit_record(
                    actor=by,
                    action="consent_withdraw",
                    obj=learner,
                    association=association,
                    before={"consent_given_at": _iso(legacy.consent_given_at)},
                    after={"consent_given_at": None},
                )
                withdrawn = 1
    return withdrawn


# --- Erasure -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    already_erased: bool
    statements_kept: int = 0
    attendances_kept: int = 0
    completions_kept: int = 0


class ErasureRefused(Exception):
    """The person also works here or funds programmes: their account is not a learner's."""


def _works_here(learner: User) -> bool:
    return (
        learner.is_staff
        or learner.is_superuser
        or learner.memberships.filter(role__in=STAFF_ROLES).exists()
        or learner.funders.exists()
    )


@transaction.atomic
def learner_erase(
    *, learner: User, by: User | None, association: Association | None = None, reason: str = ""
) -> Erasure:
    """Remove everything that identifies the learner, in one transaction; retrying is harmless.

    Why a tombstone and not a deleted row: attendances and module completions belong to
    the person's row (CASCADE), and the impact figures count people by pseudonym through
    them (attendance learner-hours, people reached, completions). Deleting the row would
    silently take those hours and completions out of the live figures, as if the sessions
    had been emptier. So the row stays, stripped of every identifying field, unable to sign
    in, out of every list, and its pseudonym (a random number nobody can link to the
    person any more) keeps counting once. Statements keep `learner_pseudonym` and lose
    `learner`; frozen reports are stored figures and never change. What the live figures
    lose is the person's profile: their age band, gender, area and situation become unknown.

    Removed: names, e-mail, language, password, profile, sign-in cards and their events,
    groups, learning-path choices, per-step progress, trainers' free-text notes in
    validations, open consents (withdrawn; the rows stay as proof of what was agreed,
    now about nobody) and the values recorded about them in the audit trail.
    Kept, anonymous: statements, attendances, module completions, inactive memberships
    (which association and since when, for the figures).
    """
    from lms.learning.models import ActivityProgress, ModuleProgress, PathEnrollment, Statement
    from lms.learning.models import Verb as StatementVerb
    from lms.logbook.models import Attendance, Group

    learner = User.objects.select_for_update().get(pk=learner.pk)
    if learner.erased_at is not None:
        return Erasure(already_erased=True)
    if _works_here(learner):
        raise ErasureRefused(learner.pk)
    now = timezone.now()

    # Trainers' notes are free text about the person; the help level the figures use stays.
    for statement in Statement.objects.filter(
        learner=learner, verb=StatementVerb.VALIDATED, response__isnull=False
    ):
        if isinstance(statement.response, dict) and statement.response.get("note"):
            statement.response = {**statement.response, "note": ""}
            statement.save(update_fields=["response"])
    statements_kept = Statement.objects.filter(learner=learner).update(learner=None)

    SignInCard.objects.filter(learner=learner).delete()  # their events go with them
    LearnerProfile.objects.filter(user=learner).delete()
    Group.learners.through.objects.filter(user=learner).delete()
    PathEnrollment.objects.filter(learner=learner).delete()
    ActivityProgress.objects.filter(learner=learner).delete()
    Consent.objects.filter(learner=learner, withdrawn_at=None).update(
        withdrawn_at=now, withdrawn_by=by
    )
    learner.memberships.update(is_active=False)
    consent_ids = [str(pk) for pk in learner.consents.values_list("pk", flat=True)]
    AuditEntry.objects.filter(
        Q(object_type=User._meta.label, object_id=str(learner.pk))
        | Q(object_type=Consent._meta.label, object_id__in=consent_ids)
    ).update(before=None, after={"erased": True})
    if apps.is_installed("wagtail.users"):
        apps.get_model("wagtailusers", "UserProfile").objects.filter(user=learner).delete()

    learner.username = f"erased-{learner.pk}"
    learner.first_name = learner.last_name = learner.display_name = ""
    learner.email = learner.preferred_language = ""
    learner.set_unusable_password()  # also ends every open session of theirs
    learner.is_active = False
    learner.last_login = None
    learner.erased_at = now
    learner.save()

    erasure = Erasure(
        already_erased=False,
        statements_kept=statements_kept,
        attendances_kept=Attendance.objects.filter(learner=learner).count(),
        completions_kept=ModuleProgress.objects.filter(
            learner=learner, completed_at__isnull=False
        ).count(),
    )
    if association is None:
        first = learner.memberships.order_by("joined_on").first()
        association = first.association if first else None
    after = {
        "statements_kept": erasure.statements_kept,
        "attendances_kept": erasure.attendances_kept,
        "completions_kept": erasure.completions_kept,
    }
    if reason:
        after["reason"] = reason
    audit_record(
        actor=by, action="learner_erase", obj=learner, association=association, after=after
    )
    return erasure


# --- Retention -----------------------------------------------------------------------------


def learners_inactive(*, days: int, now: datetime | None = None) -> QuerySet[User]:
    """Learners with no statement, attendance or sign-in for more than `days` days.

    Someone who works in an association or funds programmes is never listed: their
    account is not only a learner's. Already erased learners are not listed either.
    """
    from lms.learning.models import Statement
    from lms.logbook.models import Attendance

    since = (now or timezone.now()) - timedelta(days=days)
    return (
        User.objects.filter(memberships__role=Role.LEARNER, erased_at__isnull=True)
        .filter(date_joined__lt=since, is_staff=False, is_superuser=False)
        .filter(Q(last_login__isnull=True) | Q(last_login__lt=since))
        .exclude(memberships__role__in=STAFF_ROLES)
        .exclude(funders__isnull=False)
        .exclude(Exists(Statement.objects.filter(learner=OuterRef("pk"), timestamp__gte=since)))
        .exclude(
            Exists(
                Attendance.objects.filter(
                    learner=OuterRef("pk"), session__held_on__gte=timezone.localdate(since)
                )
            )
        )
        .exclude(
            Exists(
                SignInEvent.objects.filter(
                    card__learner=OuterRef("pk"),
                    kind=SignInEvent.Kind.SUCCESS,
                    at__gte=since,
                )
            )
        )
        .distinct()
        .order_by("pk")
    )


def retention_days() -> int:
    return int(getattr(settings, "LEARNER_RETENTION_DAYS", 1095))


# --- Audit trail ---------------------------------------------------------------------------


def audit_entries_for_coordinator(user: User, *, learner_id: int | None = None):
    """The audit trail of the associations the user coordinates (everything for superusers)."""
    entries = AuditEntry.objects.select_related("actor", "association").order_by("-at", "-pk")
    if not user.is_superuser:
        entries = entries.filter(association__in=coordinated_associations(user))
    if learner_id is not None:
        entries = entries.filter(object_type=User._meta.label, object_id=str(learner_id))
    return entries


AUDIT_ACTIONS = {
    "learner_create": _("Learner registered"),
    "learner_update": _("Learner's data corrected"),
    "learner_export": _("Learner's data exported"),
    "learner_erase": _("Learner's data erased"),
    "learner_join": _("Learner joined with their card"),
    "learner_merge": _("Two records merged"),
    "consent_give": _("Consent recorded"),
    "consent_withdraw": _("Consent withdrawn"),
    "group_create": _("Group created"),
    "group_learners_add": _("Learners added to a group"),
    "session_create": _("Session logged"),
    "session_update": _("Session corrected"),
    "validations_record": _("Validations recorded"),
    "trainer_add": _("Trainer added"),
    "trainer_deactivate": _("Trainer switched off"),
    "transfer_import": _("File imported"),
    "transfer_export": _("List downloaded"),
    "xapi_export": _("Learning records downloaded (xAPI)"),
    "api_token_create": _("Access key created"),
    "api_token_revoke": _("Access key revoked"),
}


# --- Register of processing activities ----------------------------------------------------


@dataclass(frozen=True)
class Processing:
    """One processing activity (GDPR art. 30): why, on what basis, who sees it, how long."""

    key: str
    name: str
    purpose: str
    legal_basis: str
    people: str
    recipients: str
    retention: str
    # model label -> the fields of that model that hold personal data
    models: dict[str, tuple[str, ...]]


RETENTION_LEARNERS = _(
    "Until the person asks to be erased, or after %(days)s days without any activity: "
    "then the data is anonymised automatically."
)

PROCESSING_REGISTER: tuple[Processing, ...] = (
    Processing(
        key="accounts",
        name=_("Accounts and signing in"),
        purpose=_("Let each person sign in: learners with a card, staff with a password."),
        legal_basis=_(
            "Legitimate interest of the association (GDPR art. 6.1.f): the training the "
            "person asked for."
        ),
        people=_("Learners, trainers, coordinators, funders, editors."),
        recipients=_("Trainers and coordinators of the person's associations."),
        retention=RETENTION_LEARNERS,
        models={
            "accounts.User": (
                "username",
                "first_name",
                "last_name",
                "display_name",
                "email",
                "preferred_language",
                "password",
                "last_login",
                "date_joined",
                "pseudonym",
            ),
            "accounts.Membership": ("user", "association", "role", "joined_on"),
            "accounts.Funder": ("members",),
            "accounts.SignInCard": (
                "learner",
                "created_by",
                "pin_hash",
                "picture_hash",
                "failed_attempts",
                "locked_until",
            ),
            "accounts.SignInEvent": ("card", "kind", "by", "at"),
            "sessions.Session": ("session_data",),
            # Background jobs (lms/accounts/jobs.py), being added in parallel: who asked.
            "accounts.Job": ("owner",),
        },
    ),
    Processing(
        key="profile",
        name=_("Learner profile for anonymous figures"),
        purpose=_(
            "Show funders who is reached (age band, gender, area, situation), only as "
            "figures about several people."
        ),
        legal_basis=_(
            "Consent of the learner (GDPR art. 6.1.a; art. 9.2.a for a disability). "
            "Every field may stay empty."
        ),
        people=_("Learners."),
        recipients=_(
            "Trainers and coordinators of the learner's associations. Funders see only "
            "figures counting at least %(min)s people."
        ),
        retention=RETENTION_LEARNERS,
        models={
            "accounts.LearnerProfile": (
                "user",
                "family_name",
                "year_of_birth",
                "gender",
                "postcode",
                "first_language",
                "situations",
                "consent_given_at",
                "consent_recorded_by",
            ),
        },
    ),
    Processing(
        key="learning",
        name=_("Learning records and progress"),
        purpose=_(
            "Keep what each learner did and learned, so their progress is never lost and "
            "follows them from one association to another."
        ),
        legal_basis=_("Consent of the learner (GDPR art. 6.1.a), recorded on their record."),
        people=_("Learners; the trainers who validate a step."),
        recipients=_(
            "The learner; trainers and coordinators of their associations. Funders see "
            "only anonymous figures."
        ),
        retention=_(
            "As long as the person is known. After erasure the statements stay under a "
            "pseudonym that nobody can link to the person, so published figures stay true."
        ),
        models={
            "learning.Statement": (
                "learner",
                "learner_pseudonym",
                "response",
                "score_raw",
                "score_scaled",
                "success",
                "duration_seconds",
                "association",
                "instructor",
                "timestamp",
            ),
            "learning.ActivityProgress": ("learner", "first_response", "best_score_scaled"),
            "learning.ModuleProgress": ("learner", "started_at", "completed_at"),
            "learning.PathEnrollment": ("learner", "path", "enrolled_at"),
            # Summaries of the statements for the impact figures, under the same pseudonym.
            "impact.LearnerMonth": ("pseudonym", "association", "month", "active_days"),
            "impact.LearnerAreaMonth": ("pseudonym", "association", "month", "area"),
            "impact.OutcomePair": ("pseudonym", "before", "after", "answered_on"),
            "impact.PathCompletion": ("pseudonym", "path_id", "completed_on"),
            "impact.ModuleValidation": ("pseudonym", "first_on", "help"),
            "impact.RollupStale": ("pseudonym",),
        },
    ),
    Processing(
        key="logbook",
        name=_("Trainer logbook: groups, sessions, attendance"),
        purpose=_("Organise the in-person sessions and know who came."),
        legal_basis=_("Legitimate interest of the association (GDPR art. 6.1.f)."),
        people=_("Learners and trainers."),
        recipients=_("Trainers and coordinators of the association."),
        retention=RETENTION_LEARNERS,
        models={
            "logbook.Group": ("trainers", "learners"),
            "logbook.TrainingSession": ("trainers", "note"),
            "logbook.Attendance": ("learner", "session"),
        },
    ),
    Processing(
        key="consents",
        name=_("Consents"),
        purpose=_("Prove what each learner agreed to, with which words, and when."),
        legal_basis=_("Legal obligation to prove consent (GDPR art. 7.1)."),
        people=_("Learners; the staff who recorded the consent."),
        recipients=_("Trainers and coordinators of the association."),
        retention=_("As long as the person is known; after erasure they no longer name anyone."),
        models={
            "accounts.Consent": (
                "learner",
                "purpose",
                "given_at",
                "recorded_by",
                "withdrawn_at",
                "withdrawn_by",
            ),
        },
    ),
    Processing(
        key="audit",
        name=_("Audit trail"),
        purpose=_("Know who changed a person's data, when, and what it was before and after."),
        legal_basis=_("Legal obligation of security and accountability (GDPR art. 5.2 and 32)."),
        people=_("Learners and staff."),
        recipients=_("Coordinators of the association; the site administrators."),
        retention=_(
            "As long as the site runs; when a learner is erased, the values about them are "
            "removed from it."
        ),
        models={"accounts.AuditEntry": ("actor", "object_id", "before", "after", "at")},
    ),
    Processing(
        key="impact",
        name=_("Reports to funders"),
        purpose=_("Give funders figures about a closed period that do not change afterwards."),
        legal_basis=_("Legitimate interest of the association and its funders (GDPR art. 6.1.f)."),
        people=_("The staff member who closed the report. The figures name nobody."),
        recipients=_("The programme's funders and the association's coordinators."),
        retention=_("As long as the programme's reports must be kept."),
        models={
            "impact.FrozenReport": ("created_by",),
            # Lets a funder's or coordinator's own tools read the anonymous figures.
            "impact.ApiToken": ("user", "name", "last_used_at"),
        },
    ),
    Processing(
        key="editing",
        name=_("Writing the catalogue"),
        purpose=_("Know who wrote, changed or published a module, and let editors work together."),
        legal_basis=_("Legitimate interest of the publisher (GDPR art. 6.1.f)."),
        people=_("Editors and administrators."),
        recipients=_("Editors and administrators."),
        retention=_("As long as the page or file exists."),
        models={
            "wagtailcore.Page": ("owner", "locked_by"),
            "wagtailcore.Revision": ("user",),
            "wagtailcore.PageLogEntry": ("user",),
            "wagtailcore.ModelLogEntry": ("user",),
            "wagtailcore.Comment": ("user", "resolved_by"),
            "wagtailcore.CommentReply": ("user",),
            "wagtailcore.PageSubscription": ("user",),
            "wagtailcore.WorkflowState": ("requested_by",),
            "wagtailcore.TaskState": ("finished_by",),
            "wagtailcore.UploadedFile": ("uploaded_by_user",),
            "wagtailcore.APIToken": ("user",),
            "wagtailimages.Image": ("uploaded_by_user",),
            "wagtaildocs.Document": ("uploaded_by_user",),
            "wagtailusers.UserProfile": ("user",),
            "wagtailadmin.EditingSession": ("user",),
            "wagtailadmin.FormState": ("user",),
            "admin.LogEntry": ("user",),
            "courses.H5PPackage": ("uploaded_by",),
        },
    ),
)

# Models whose field names look personal but describe organisations, not people.
NOT_PERSONAL = {
    "accounts.Association": "an association's public address and phone, not a person's",
    "cms.SiteSettings": "the site's public contact address, shown on every page",
}


# Names for models and fields that do not name themselves (Django's default is the English
# attribute name), so the register reads in the person's language.
MODEL_LABELS = {
    "accounts.SignInEvent": _("sign-in event"),
    "learning.ActivityProgress": _("progress per step"),
    "learning.ModuleProgress": _("progress per module"),
    "learning.PathEnrollment": _("learning path followed"),
    "wagtailcore.UploadedFile": _("uploaded file"),
    "wagtailcore.PageSubscription": _("page subscription"),
    "wagtailadmin.EditingSession": _("editing session"),
    "wagtailadmin.FormState": _("form being filled in"),
    # impact's working tables: named here for the register, as they read to a coordinator.
    "impact.LearnerMonth": _("learner active in a month"),
    "impact.LearnerAreaMonth": _("learner's area in a month"),
    "impact.OutcomePair": _("answers before and after"),
    "impact.PathCompletion": _("learning path finished"),
    "impact.ModuleValidation": _("module validated by a trainer"),
    "impact.RollupStale": _("figures to count again"),
}
FIELD_LABELS = {
    "learner": _("learner"),
    "user": _("person"),
    "created_by": _("created by"),
    "pin_hash": _("secret code (encrypted)"),
    "picture_hash": _("picture code (encrypted)"),
    "failed_attempts": _("failed tries"),
    "locked_until": _("locked until"),
    "card": _("card"),
    "kind": _("kind"),
    "by": _("by"),
    "at": _("when"),
    "actor": _("who"),
    "object_id": _("what"),
    "before": _("before"),
    "after": _("after"),
    "learner_pseudonym": _("pseudonym"),
    "response": _("answer"),
    "score_raw": _("score"),
    "score_scaled": _("score out of 1"),
    "success": _("succeeded"),
    "duration_seconds": _("duration"),
    "association": _("association"),
    "instructor": _("trainer"),
    "first_response": _("first answer"),
    "best_score_scaled": _("best score"),
    "started_at": _("started on"),
    "completed_at": _("finished on"),
    "path": _("learning path"),
    "enrolled_at": _("since"),
    "session": _("training session"),
    "uploaded_by": _("uploaded by"),
    "uploaded_by_user": _("uploaded by"),
    "requested_by": _("requested by"),
    "finished_by": _("finished by"),
    "resolved_by": _("resolved by"),
    "session_data": _("session data"),
    "last_used_at": _("last used on"),
    "pseudonym": _("pseudonym"),
    "owner": _("person who asked"),
    "month": _("month"),
    "active_days": _("active days"),
    "area": _("area"),
    "answered_on": _("answered on"),
    "path_id": _("learning path"),
    "completed_on": _("finished on"),
    "first_on": _("first validated on"),
    "help": _("help needed"),
}


def _register_field_label(model, name: str) -> str:
    label = str(model._meta.get_field(name).verbose_name)
    # A field without its own verbose name shows its attribute name: use ours instead.
    if label == name.replace("_", " ") and name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    # In a list after a colon: lower case, as our own labels are ("Verrouillé par" in Wagtail).
    return label[:1].lower() + label[1:]


@dataclass(frozen=True)
class RegisterRow:
    key: str
    name: str
    purpose: str
    legal_basis: str
    people: str
    recipients: str
    retention: str
    models: list[tuple[str, str, list[str]]]  # (label, verbose name, field verbose names)


def register_rows() -> list[RegisterRow]:
    """The register as shown: texts in the current language, models' and fields' own names."""
    values = {"days": retention_days(), "min": settings.IMPACT_MIN_COUNT}

    def fill(text) -> str:
        return str(text) % values if "%(" in str(text) else str(text)

    rows = []
    for processing in PROCESSING_REGISTER:
        models = []
        for label, names in processing.models.items():
            try:
                model = apps.get_model(label)
            except LookupError:
                continue  # an optional app that is not installed here
            fields = [_register_field_label(model, name) for name in names]
            models.append((label, str(MODEL_LABELS.get(label, model._meta.verbose_name)), fields))
        rows.append(
            RegisterRow(
                key=processing.key,
                name=fill(processing.name),
                purpose=fill(processing.purpose),
                legal_basis=fill(processing.legal_basis),
                people=fill(processing.people),
                recipients=fill(processing.recipients),
                retention=fill(processing.retention),
                models=models,
            )
        )
    return rows


# --- Readable versions: the printable export and the audit page ---------------------------


def learner_export_record(*, learner: User, by: User, association: Association | None, kind: str):
    """An export is a disclosure of personal data: it goes into the audit trail too."""
    audit_record(
        actor=by,
        action="learner_export",
        obj=learner,
        association=association,
        after={"format": kind},
    )


def _when(value: str | None, *, with_time: bool = True) -> str:
    from django.utils.formats import date_format

    if not value:
        return "–"
    parsed = datetime.fromisoformat(value)
    if isinstance(parsed, datetime) and "T" in value:
        parsed = timezone.localtime(parsed) if timezone.is_aware(parsed) else parsed
        return date_format(parsed, "SHORT_DATETIME_FORMAT" if with_time else "SHORT_DATE_FORMAT")
    return date_format(parsed.date(), "SHORT_DATE_FORMAT")


def _yes_no(value) -> str:
    from django.utils.translation import gettext

    if value is None:
        return "–"
    return gettext("yes") if value else gettext("no")


def _choice(choices, value) -> str:
    return str(dict(choices).get(value, value or "–"))


def _changes(value) -> str:
    if not value:
        return "–"
    if value == ERASED_MARK:
        return str(_("Values removed when the person was erased."))
    if isinstance(value, dict):
        return "; ".join(
            f"{field_label(k)}: {_short(v)}" for k, v in value.items() if k not in HIDDEN_KEYS
        )
    return _short(value)


# What the audit keeps in place of the values, once the person is erased.
ERASED_MARK = {"erased": True}
# The subject of the entry already says who it is about.
HIDDEN_KEYS = {"learner"}
AUDIT_KEYS = {
    "statements_kept": _("Learning records kept, without a name"),
    "attendances_kept": _("Attendances kept, without a name"),
    "completions_kept": _("Finished modules kept, without a name"),
    "reason": _("Reason"),
    "format": _("Format"),
    "retention": _("no activity for too long"),
}


def field_label(name: str) -> str:
    """A field's own name in the current language, for the audit trail's before and after."""
    if name in AUDIT_KEYS:
        return str(AUDIT_KEYS[name])
    for model in (User, LearnerProfile, Consent):
        try:
            return capfirst(str(model._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            pass
    return name


@dataclass(frozen=True)
class Section:
    title: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def learner_data_sections(data: dict) -> list[Section]:
    """The export as titled sections in the current language, for the printable page."""
    from django.utils.translation import gettext

    from lms.learning.models import Verb

    from .models import Gender, Situation

    account = data["account"]
    sections = [
        Section(
            gettext("Account"),
            fields=[
                (gettext("Username"), account["username"]),
                (gettext("First name or nickname"), account["display_name"] or "–"),
                (gettext("E-mail address"), account["email"] or "–"),
                (gettext("Preferred language"), account["preferred_language"] or "–"),
                (gettext("Pseudonym used in figures"), account["pseudonym"]),
                (gettext("Registered on"), _when(account["date_joined"])),
                (gettext("Last sign-in with a password"), _when(account["last_login"])),
            ],
        )
    ]
    profile = data["profile"]
    sections.append(
        Section(
            gettext("Profile"),
            fields=[
                (gettext("Family name"), profile["family_name"] or "–"),
                (gettext("Year of birth"), str(profile["year_of_birth"] or "–")),
                (gettext("Gender"), _choice(Gender.choices, profile["gender"])),
                (gettext("Postcode"), profile["postcode"] or "–"),
                (gettext("First language"), profile["first_language"] or "–"),
                (
                    gettext("Situation"),
                    ", ".join(_choice(Situation.choices, s) for s in profile["situations"]) or "–",
                ),
                (gettext("Agreed when registered"), _when(profile["consent_given_at"])),
            ],
        )
        if profile
        else Section(gettext("Profile"), fields=[(gettext("Profile"), gettext("None"))])
    )
    tables = [
        (
            gettext("Associations"),
            [gettext("Association"), gettext("Role"), gettext("Since"), gettext("Active")],
            [
                [
                    m["association"],
                    _choice(Role.choices, m["role"]),
                    _when(m["joined_on"]),
                    _yes_no(m["is_active"]),
                ]
                for m in data["memberships"]
            ],
        ),
        (
            gettext("Groups"),
            [gettext("Group"), gettext("Association")],
            [[g["name"], g["association"]] for g in data["groups"]],
        ),
        (
            gettext("Consents"),
            [gettext("For what"), gettext("Given on"), gettext("Withdrawn on")],
            [
                [
                    _choice(ConsentPurpose.choices, c["purpose"]),
                    _when(c["given_at"]),
                    _when(c["withdrawn_at"]),
                ]
                for c in data["consents"]
            ],
        ),
        (
            gettext("Sign-in cards"),
            [gettext("Association"), gettext("Made on"), gettext("Works")],
            [
                [c["association"], _when(c["created_at"]), _yes_no(c["is_active"])]
                for c in data["sign_in_cards"]
            ],
        ),
        (
            gettext("Sign-ins with the card"),
            [gettext("When"), gettext("What")],
            [
                [_when(e["at"]), _choice(SignInEvent.Kind.choices, e["kind"])]
                for e in data["sign_in_events"]
            ],
        ),
        (
            gettext("Sessions attended"),
            [gettext("Date"), gettext("Time"), gettext("Place"), gettext("Association")],
            [
                [
                    _when(a["date"]),
                    f"{a['starts_at'][:5]}–{a['ends_at'][:5]}",
                    a["place"] or "–",
                    a["association"],
                ]
                for a in data["attendances"]
            ],
        ),
        (
            gettext("Progress"),
            [gettext("Module"), gettext("Steps done"), gettext("Finished on")],
            [
                [
                    p["module"],
                    f"{p['steps_completed']} / {p['steps_total']}",
                    _when(p["completed_at"]),
                ]
                for p in data["progress"]
            ],
        ),
        (
            gettext("Shown to a trainer"),
            [gettext("Date"), gettext("Module"), gettext("How"), gettext("Note")],
            [
                [_when(v["on"]), v["module"], _help_label(v["help"]), v["note"] or "–"]
                for v in data["validations"]
            ],
        ),
        (
            gettext("Learning records"),
            [gettext("When"), gettext("What"), gettext("Module"), gettext("Succeeded")],
            [
                [
                    _when(s["timestamp"]),
                    _choice(Verb.choices, s["verb"]),
                    s["module"] or "–",
                    _yes_no(s["success"]),
                ]
                for s in data["statements"]
            ],
        ),
        (
            gettext("Changes to this record"),
            [
                gettext("When"),
                gettext("What"),
                gettext("By"),
                gettext("Before"),
                gettext("After"),
            ],
            [
                [
                    _when(e["at"]),
                    str(AUDIT_ACTIONS.get(e["action"], e["action"])),
                    e["by"] or "–",
                    _changes(e["before"]),
                    _changes(e["after"]),
                ]
                for e in data["audit"]
            ],
        ),
    ]
    sections += [Section(title, headers=headers, rows=rows) for title, headers, rows in tables]
    return sections


def _help_label(value) -> str:
    from django.utils.translation import gettext

    labels = {
        "alone": gettext("Alone"),
        "little_help": gettext("With a little help"),
        "lot_of_help": gettext("With a lot of help"),
    }
    return labels.get(value, value or "–")


def _short(value) -> str:
    """One recorded value, readable: dates in the local format, yes and no, lists joined."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, list):
        text = ", ".join(map(str, value))
    elif isinstance(value, str) and len(value) > 18 and value[4:5] == "-" and "T" in value:
        try:
            text = _when(value)
        except ValueError:
            text = value
    elif isinstance(value, str) and value in AUDIT_KEYS:
        text = str(AUDIT_KEYS[value])
    else:
        text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"
