"""How a learner is shown to trainers, so that two people of the same name are told apart.

Wherever a trainer or coordinator lists or picks learners, the name comes with what tells
homonyms apart: family name, year of birth, association, groups, the end of the card code and
the last sign-in. The learner rows come from selectors.learners_described().
"""

from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from lms.accounts.names import person_name_comparable


def learner_full_name(person) -> str:
    """First name (or nickname) and family name, when the family name is known."""
    profile = _profile(person)
    family_name = profile.family_name if profile else ""
    return f"{person.public_name} {family_name}".strip()


def learner_details(person, *, show_association: bool = False) -> list[str]:
    """Year of birth, associations, groups, end of the card code, last sign-in."""
    details = []
    profile = _profile(person)
    if profile and profile.year_of_birth:
        details.append(_("born in %(year)s") % {"year": profile.year_of_birth})
    if show_association:
        details.extend(m.association.name for m in getattr(person, "memberships_here", []))
    groups = ", ".join(group.name for group in getattr(person, "groups_here", []))
    if groups:
        details.append(groups)
    card_code = getattr(person, "card_code", None)
    if card_code:
        # The end of the code printed on the card: enough to tell two cards apart.
        details.append(_("card …%(end)s") % {"end": card_code[-4:]})
    if person.last_login:
        day = date_format(timezone.localtime(person.last_login), "SHORT_DATE_FORMAT")
        details.append(_("last sign-in %(day)s") % {"day": day})
    else:
        details.append(_("never signed in"))
    return details


def learner_label(person, *, show_association: bool = False) -> SafeString:
    """The name, then the details in a quieter style; safe HTML for lists and choices."""
    return format_html(
        '<span class="person"><span class="person__name">{}</span> '
        '<span class="person__details">{}</span></span>',
        learner_full_name(person),
        " · ".join(learner_details(person, show_association=show_association)),
    )


def homonym_ids(people) -> set[int]:
    """Ids of the people whose first name another of `people` also has (case and accents
    ignored), to flag them in a list."""
    by_name: dict[str, list[int]] = {}
    for person in people:
        by_name.setdefault(person_name_comparable(person.public_name), []).append(person.pk)
    return {pk for ids in by_name.values() if len(ids) > 1 for pk in ids}


def _profile(person):
    try:
        return person.learner_profile
    except ObjectDoesNotExist:
        return None
