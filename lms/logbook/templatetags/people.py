"""A learner's name with what tells homonyms apart (lms/logbook/people.py), in templates."""

from django import template

from lms.logbook.people import learner_label

register = template.Library()


@register.filter
def person_label(person, show_association=False):
    """`{{ learner|person_label }}`; `{{ learner|person_label:True }}` adds the association."""
    return learner_label(person, show_association=bool(show_association))


@register.filter
def person_label_in_group(person):
    """In a group's own screens: the association and the group go without saying."""
    return learner_label(person, show_groups=False)
