"""The one funnel that decides who may see or change what: people and associations.

Views never fetch a protected object another way: they call a funnel function, which
returns a queryset limited to what the user may see, or raises PermissionDenied. The rules
for people, roles and associations live here; each app above declares the rules for its own
models in its own access module, built on these (lms/logbook/access.py: groups and
sessions; lms/impact/access.py: programmes and frozen reports), so this module imports nothing above accounts.
Names follow one pattern: `<things>_for_<role>` for a queryset, `<thing>_get_for_<role>`
for one object.
"""

import time
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .models import Association, Funder, Membership, Role, User

STAFF_ROLES = (Role.TRAINER, Role.COORDINATOR)


class Home:
    """Names of the landing pages, one per kind of person."""

    LEARNER = "learning:my_path"
    TRAINER = "logbook:workspace"
    FUNDER = "impact:dashboard"
    EDITOR = "wagtailadmin_home"


ROLES_SESSION_KEY = "pasapas_roles"
ROLES_SESSION_SECONDS = 300


def user_roles(user: User, session=None) -> set[str]:
    """Every role the user holds: association roles plus 'funder' and 'editor'.

    Pages call this on every request (navigation, access checks); the answer is kept in
    the session for a few minutes, so a learner's step page does not pay four queries.
    """
    if not user.is_authenticated:
        return set()
    cached = getattr(user, "_pasapas_roles", None)
    if cached is not None:
        return cached
    now = int(time.time())
    stored = session.get(ROLES_SESSION_KEY) if session is not None else None
    if stored and stored.get("user") == user.pk and stored.get("until", 0) > now:
        user._pasapas_roles = set(stored["roles"])
        return user._pasapas_roles
    roles = set(Membership.objects.filter(user=user, is_active=True).values_list("role", flat=True))
    if Funder.objects.filter(members=user).exists():
        roles.add("funder")
    if user.is_superuser or user.has_perm("wagtailadmin.access_admin"):
        roles.add("editor")
    user._pasapas_roles = roles
    if session is not None:
        session[ROLES_SESSION_KEY] = {
            "user": user.pk,
            "roles": sorted(roles),
            "until": now + ROLES_SESSION_SECONDS,
        }
    return roles


def home_url_name(user: User, session=None) -> str:
    """Where a person lands after signing in; people at work see their workspace first."""
    roles = user_roles(user, session)
    if roles & set(STAFF_ROLES):
        return Home.TRAINER
    if "funder" in roles:
        return Home.FUNDER
    if "editor" in roles:
        return Home.EDITOR
    return Home.LEARNER


def role_required(*roles: str):
    """View decorator: anonymous people go to the sign-in page, others need one of `roles`."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not user_roles(request.user, request.session) & set(roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def one_or_denied(queryset: QuerySet, pk: int):
    """The object of `queryset` with this id, or PermissionDenied: a missing and a forbidden
    object answer the same, so ids cannot be probed."""
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist as missing:
        raise PermissionDenied from missing


def associations_for_staff(user: User) -> QuerySet[Association]:
    """Associations where the user works as a trainer or coordinator."""
    return Association.objects.filter(
        memberships__user=user,
        memberships__role__in=STAFF_ROLES,
        memberships__is_active=True,
    ).distinct()


def associations_for_learner(user: User) -> QuerySet[Association]:
    return Association.objects.filter(
        memberships__user=user, memberships__role=Role.LEARNER, memberships__is_active=True
    ).distinct()


def people_in(associations: QuerySet[Association], *roles: str) -> QuerySet[User]:
    """People who hold one of `roles`, active, in these associations."""
    return User.objects.filter(
        memberships__role__in=roles,
        memberships__is_active=True,
        memberships__association__in=associations,
    ).distinct()


def colleagues_for_staff(user: User) -> QuerySet[User]:
    """Trainers and coordinators of the associations where the user works (the user too)."""
    return people_in(associations_for_staff(user), *STAFF_ROLES)


def learners_for_trainer(user: User) -> QuerySet[User]:
    """Learners of the associations where the user works; never anyone else."""
    return people_in(associations_for_staff(user), Role.LEARNER)


def learner_get_for_trainer(user: User, learner_id: int) -> User:
    return one_or_denied(learners_for_trainer(user), learner_id)


def association_get_for_staff(user: User, association_id: int) -> Association:
    return one_or_denied(associations_for_staff(user), association_id)


def associations_for_coordinator(user: User) -> QuerySet[Association]:
    return Association.objects.filter(
        memberships__user=user,
        memberships__role=Role.COORDINATOR,
        memberships__is_active=True,
    ).distinct()


def trainers_for_coordinator(user: User) -> QuerySet[User]:
    """Active trainers of the associations the user coordinates (the user included)."""
    return people_in(associations_for_coordinator(user), Role.TRAINER)


def trainer_memberships_for_coordinator(user: User) -> QuerySet[Membership]:
    """The trainers' active memberships in the associations the user coordinates."""
    return Membership.objects.filter(
        association__in=associations_for_coordinator(user), role=Role.TRAINER, is_active=True
    ).select_related("user", "association")


def association_get_for_coordinator(user: User, association_id: int) -> Association:
    return one_or_denied(associations_for_coordinator(user), association_id)


def is_coordinator(user: User) -> bool:
    return Membership.objects.filter(user=user, role=Role.COORDINATOR, is_active=True).exists()


def learner_get_for_coordinator(user: User, learner_id: int, *, include_erased=False) -> User:
    """A learner of an association the user coordinates; erased tombstones only if asked.

    Erasure is coordinator-only: it removes the person from every association, so it
    needs someone who answers for the association's data, not only a trainer.
    """
    learners = User.objects.filter(
        memberships__role=Role.LEARNER,
        memberships__association__in=associations_for_coordinator(user),
    )
    if not include_erased:
        learners = learners.filter(memberships__is_active=True, erased_at__isnull=True)
    return one_or_denied(learners.distinct(), learner_id)


def coordinates_learner(user: User, learner: User) -> bool:
    """Whether the user coordinates an association where this person learns."""
    return Membership.objects.filter(
        user=learner,
        role=Role.LEARNER,
        is_active=True,
        association__in=associations_for_coordinator(user),
    ).exists()
