"""A learner's name with what tells homonyms apart (lms/logbook/people.py), in templates."""

from django import template

from lms.logbook.people import learner_label

register = template.Library()


@register.filter
def person_label(person, show_association=False):
    """`{{ learner|person_label }}`; `{{ learner|person_label:True }}` adds the association."""
    return learner_label(person, show_association=bool(show_association))
