"""Consents: what a learner agreed to, with which words, and when; given and withdrawn here.

With the Consent model, in accounts: the registration form (lms/logbook) records the first
consent and the learner's page shows them, and both sit below lms/privacy, whose screen
records or withdraws one.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Association, Consent, ConsentPurpose, LearnerProfile, User
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


def _iso(value) -> str | None:
    return value.isoformat() if value else None


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
