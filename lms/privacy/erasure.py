"""Erasure: a learner's personal data removed in one transaction, their records kept anonymous.

Each app removes what it holds about the person (its `erase` in lms/personal_data.py) and
says what it kept without a name; the account itself becomes a tombstone, last.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from lms.accounts.access import STAFF_ROLES
from lms.accounts.models import Association, User
from lms.accounts.services import audit_record
from lms.personal_data import personal_data_providers


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
    learner = User.objects.select_for_update().get(pk=learner.pk)
    if learner.erased_at is not None:
        return Erasure(already_erased=True)
    if _works_here(learner):
        raise ErasureRefused(learner.pk)
    now = timezone.now()

    kept: dict[str, int] = {}
    for provider in personal_data_providers():
        kept.update(provider.erase(learner, by=by, now=now))

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
        statements_kept=kept.get("statements_kept", 0),
        attendances_kept=kept.get("attendances_kept", 0),
        completions_kept=kept.get("completions_kept", 0),
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
