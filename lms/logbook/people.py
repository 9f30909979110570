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
from django.utils.translation import ngettext

from lms.accounts.names import person_name_comparable


def learner_full_name(person) -> str:
    """First name (or nickname) and family name, when the family name is known."""
    profile = _profile(person)
    family_name = profile.family_name if profile else ""
    return f"{person.public_name} {family_name}".strip()


def learner_details(
    person, *, show_association: bool = False, show_groups: bool = True
) -> list[str]:
    """Year of birth, associations, groups, end of the card code, last sign-in."""
    details = []
    profile = _profile(person)
    if profile and profile.year_of_birth:
        details.append(_("born in %(year)s") % {"year": profile.year_of_birth})
    if show_association:
        details.extend(m.association.name for m in getattr(person, "memberships_here", []))
    groups = ", ".join(group.name for group in getattr(person, "groups_here", []) if show_groups)
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


def learner_label(
    person, *, show_association: bool = False, show_groups: bool = True
) -> SafeString:
    """The name, then the details in a quieter style; safe HTML for lists and choices."""
    details = learner_details(person, show_association=show_association, show_groups=show_groups)
    return format_html(
        '<span class="person"><span class="person__name">{}</span> '
        '<span class="person__details">{}</span></span>',
        learner_full_name(person),
        " · ".join(details),
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


def group_label(group, *, with_association: bool) -> str:
    """A group's name, with its association where groups of several are listed together
    (two associations may both have a "Groupe lundi")."""
    return f"{group.name} – {group.association.name}" if with_association else group.name


HOMONYM_WARNINGS_SHOWN = 20


def import_homonym_warnings(*, new_names: list[tuple[int, str]], existing) -> list[str]:
    """For an import: the new rows whose first name an existing learner (`existing`, from
    selectors.learners_described) or another new row already has, case and accents ignored.

    `new_names` holds (row number, first name) of the rows that would create a learner.
    A warning, not an error: two people may have the same name; the trainer checks.
    """
    by_name: dict[str, list] = {}
    for person in existing:
        by_name.setdefault(person_name_comparable(person.public_name), []).append(person)
    rows_by_name: dict[str, list[int]] = {}
    for number, name in new_names:
        rows_by_name.setdefault(person_name_comparable(name), []).append(number)
    warnings = []
    for number, name in new_names:
        key = person_name_comparable(name)
        people = [
            f"{learner_full_name(p)} ({', '.join(learner_details(p))})"
            for p in by_name.get(key, [])
        ]
        other_rows = [str(other) for other in rows_by_name[key] if other != number]
        if not people and not other_rows:
            continue
        warnings.append(
            _(
                "Row %(number)s: “%(name)s” has the same first name as %(others)s. "
                "Check that it is another person."
            )
            % {
                "number": number,
                "name": name,
                "others": "; ".join(
                    people
                    + (
                        [_("row %(rows)s of the file") % {"rows": ", ".join(other_rows)}]
                        if other_rows
                        else []
                    )
                ),
            }
        )
    if len(warnings) > HOMONYM_WARNINGS_SHOWN:
        hidden = len(warnings) - HOMONYM_WARNINGS_SHOWN
        more = ngettext(
            "and %(count)s other row with a first name already known.",
            "and %(count)s other rows with a first name already known.",
            hidden,
        ) % {"count": hidden}
        warnings = [*warnings[:HOMONYM_WARNINGS_SHOWN], more]
    return warnings
