"""The personal data accounts holds: people, profiles, cards, consents, the audit trail.

Registered with lms/personal_data.py when the app is ready; lms/privacy reads it.
"""

from django.apps import apps
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from lms.personal_data import PersonalData, Processing, personal_data_provider

from .models import AuditEntry, Consent, LearnerProfile, SignInCard, SignInEvent, User

RETENTION_LEARNERS = _(
    "Until the person asks to be erased, or after %(days)s days without any activity: "
    "then the data is anonymised automatically."
)


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


def _about_learner(learner: User) -> Q:
    """Audit entries whose object is the person or one of their consents."""
    consent_ids = [str(pk) for pk in learner.consents.values_list("pk", flat=True)]
    return Q(object_type=User._meta.label, object_id=str(learner.pk)) | Q(
        object_type=Consent._meta.label, object_id__in=consent_ids
    )


def audit_entries_about(learner: User) -> QuerySet[AuditEntry]:
    """Audit entries whose object is the person or one of their consents."""
    return (
        AuditEntry.objects.filter(_about_learner(learner))
        .select_related("actor", "association")
        .order_by("at")
    )


@personal_data_provider
class AccountsData(PersonalData):
    processings = (
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
            key="consents",
            name=_("Consents"),
            purpose=_("Prove what each learner agreed to, with which words, and when."),
            legal_basis=_("Legal obligation to prove consent (GDPR art. 7.1)."),
            people=_("Learners; the staff who recorded the consent."),
            recipients=_("Trainers and coordinators of the association."),
            retention=_(
                "As long as the person is known; after erasure they no longer name anyone."
            ),
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
            legal_basis=_(
                "Legal obligation of security and accountability (GDPR art. 5.2 and 32)."
            ),
            people=_("Learners and staff."),
            recipients=_("Coordinators of the association; the site administrators."),
            retention=_(
                "As long as the site runs; when a learner is erased, the values about them are "
                "removed from it."
            ),
            models={"accounts.AuditEntry": ("actor", "object_id", "before", "after", "at")},
        ),
    )
    model_labels = {"accounts.SignInEvent": _("sign-in event")}
    field_labels = {
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
        "association": _("association"),
        "session_data": _("session data"),
        "pseudonym": _("pseudonym"),
        "owner": _("person who asked"),
    }
    not_personal = {
        "accounts.Association": "an association's public address and phone, not a person's",
    }

    def export(self, learner: User) -> dict:
        """Card secrets, tokens and short codes are left out: they are keys, not facts
        about the person."""
        profile = LearnerProfile.objects.filter(user=learner).first()
        return {
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
                for card in learner.sign_in_cards.select_related("association").order_by(
                    "created_at"
                )
            ],
            "sign_in_events": [
                {"kind": event.kind, "at": _iso(event.at)}
                for event in SignInEvent.objects.filter(card__learner=learner).order_by("at")
            ],
            "audit": [_entry(entry) for entry in audit_entries_about(learner)],
        }

    def erase(self, learner: User, *, by, now) -> dict[str, int]:
        """Cards and their events, the profile, open consents (withdrawn: the rows stay as
        proof of what was agreed, now about nobody), memberships (inactive, kept for the
        figures) and the values the audit trail recorded about the person. The account's
        own fields are emptied by lms/privacy/erasure.py, last."""
        SignInCard.objects.filter(learner=learner).delete()  # their events go with them
        LearnerProfile.objects.filter(user=learner).delete()
        Consent.objects.filter(learner=learner, withdrawn_at=None).update(
            withdrawn_at=now, withdrawn_by=by
        )
        learner.memberships.update(is_active=False)
        AuditEntry.objects.filter(_about_learner(learner)).update(
            before=None, after={"erased": True}
        )
        if apps.is_installed("wagtail.users"):
            apps.get_model("wagtailusers", "UserProfile").objects.filter(user=learner).delete()
        return {}

    def active_since(self, since) -> list:
        return [
            Exists(
                SignInEvent.objects.filter(
                    card__learner=OuterRef("pk"),
                    kind=SignInEvent.Kind.SUCCESS,
                    at__gte=since,
                )
            )
        ]
