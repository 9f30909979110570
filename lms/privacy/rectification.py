"""Rectification: a coordinator or trainer corrects a learner's name or profile, audited."""

from django.db import transaction

from lms.accounts.models import Association, LearnerProfile, User
from lms.accounts.names import person_name_clean
from lms.accounts.services import audit_record

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
