"""Reads shared by account views: associations to find, sign-in cards and their events."""

from django.db.models import Q, QuerySet

from .models import Association, SignInCard, SignInEvent, User


def cards_active() -> QuerySet[SignInCard]:
    """Sign-in cards that still work, with their learner; a view narrows by token, code or
    learner (the card is the credential: who may use it is the card sign-in's rule)."""
    return SignInCard.objects.filter(is_active=True).select_related("learner")


def sign_in_events_for_learner(learner: User, *, limit: int = 10) -> QuerySet[SignInEvent]:
    """The learner's latest sign-in events, newest first."""
    return SignInEvent.objects.filter(card__learner=learner)[:limit]


def associations_listed() -> QuerySet[Association]:
    return Association.objects.filter(is_listed_publicly=True).order_by("municipality", "name")


def associations_near(query: str, *, limit: int = 5) -> tuple[list[Association], bool]:
    """Associations matching a postcode or municipality; otherwise the nearest postcodes.

    Belgian postcodes grow roughly with distance (1000 Brussels, 4000 Liège, 6000
    Charleroi), so when nothing matches exactly the closest numbers are a fair guess.
    Returns the associations and whether they matched exactly.
    """
    query = query.strip()
    listed = associations_listed()
    if not query:
        return list(listed), True
    exact = list(listed.filter(Q(postcode__startswith=query) | Q(municipality__icontains=query)))
    if exact or not query.isdigit():
        return exact, True
    wanted = int(query)
    with_postcode = [a for a in listed if a.postcode.isdigit()]
    with_postcode.sort(key=lambda association: abs(int(association.postcode) - wanted))
    return with_postcode[:limit], False
