"""Which programmes and frozen reports a person may read: the impact app's part of the funnel.

Built on lms/accounts/access.py's people and funders; views, the API and selectors fetch
programmes and frozen reports only through these functions. "Reader" is whoever may read
impact figures: a funder (every association of the programmes they finance) or a
coordinator (their own associations, in the programmes that include them). A missing and a
forbidden object answer the same: PermissionDenied.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from lms.accounts.access import associations_for_coordinator, one_or_denied
from lms.accounts.models import Association, Role, User

from .models import FrozenReport, Programme


def programmes_for_funder(user: User) -> QuerySet[Programme]:
    """Programmes financed by the funders the user belongs to."""
    return (
        Programme.objects.filter(funder__members=user)
        .select_related("funder")
        .prefetch_related("associations")
    )


def programmes_for_coordinator(user: User) -> QuerySet[Programme]:
    """Programmes that include an association the user coordinates."""
    return (
        Programme.objects.filter(
            associations__memberships__user=user,
            associations__memberships__role=Role.COORDINATOR,
            associations__memberships__is_active=True,
        )
        .distinct()
        .select_related("funder")
        .prefetch_related("associations")
    )


def programme_scopes_for_reader(user: User) -> list[tuple[Programme, list[Association]]]:
    """Each programme the user may read, with the associations they may see in it.

    Funders see every association of their programmes; coordinators only their own
    association(s), within programmes that include them. Newest programmes first.
    """
    scopes: dict[int, tuple[Programme, list[Association]]] = {}
    for programme in programmes_for_funder(user):
        scopes[programme.pk] = (programme, list(programme.associations.all()))
    coordinated = set(associations_for_coordinator(user).values_list("pk", flat=True))
    if coordinated:
        for programme in programmes_for_coordinator(user):
            if programme.pk not in scopes:
                mine = [a for a in programme.associations.all() if a.pk in coordinated]
                scopes[programme.pk] = (programme, mine)
    return sorted(
        scopes.values(), key=lambda scope: (-scope[0].starts_on.toordinal(), scope[0].name)
    )


def programme_scope_get_for_reader(
    user: User, programme_id: int
) -> tuple[Programme, list[Association], bool]:
    """The programme, the associations the user may see in it, and whether that is all."""
    for programme, allowed in programme_scopes_for_reader(user):
        if programme.pk == programme_id:
            return programme, allowed, set(allowed) == set(programme.associations.all())
    raise PermissionDenied


def frozen_reports_for_reader(user: User, programme_id: int | None = None):
    """Frozen reports the user may read: those of an association they may see, and the
    whole programme's when they may see all of it (of one programme, or of every one)."""
    visible = Q(pk__in=[])
    for programme, allowed in programme_scopes_for_reader(user):
        if programme_id is not None and programme.pk != programme_id:
            continue
        scope = Q(association_id__in=[a.pk for a in allowed])
        if set(allowed) == set(programme.associations.all()):
            scope |= Q(association__isnull=True)
        visible |= Q(programme=programme) & scope
    return FrozenReport.objects.filter(visible).select_related("programme", "association")


def frozen_report_get_for_reader(user: User, report_id: int) -> FrozenReport:
    return one_or_denied(frozen_reports_for_reader(user), report_id)
