"""Reads the personal data screens share: through which association, the audit trail."""

from django.db.models import QuerySet

from lms.accounts.access import associations_for_coordinator, associations_for_staff
from lms.accounts.models import Association, AuditEntry, Membership, Role, User


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


def audit_entries_for_coordinator(
    user: User, *, learner_id: int | None = None
) -> QuerySet[AuditEntry]:
    """The audit trail of the associations the user coordinates (everything for superusers)."""
    entries = AuditEntry.objects.select_related("actor", "association").order_by("-at", "-pk")
    if not user.is_superuser:
        entries = entries.filter(association__in=associations_for_coordinator(user))
    if learner_id is not None:
        entries = entries.filter(object_type=User._meta.label, object_id=str(learner_id))
    return entries
