"""The names of the picture-code pictures, translated."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

NAMES = {
    "sun": _("sun"),
    "house": _("house"),
    "tree": _("tree"),
    "cat": _("cat"),
    "car": _("car"),
    "flower": _("flower"),
    "star": _("star"),
    "fish": _("fish"),
    "apple": _("apple"),
}


@register.filter
def picture_name(key: str) -> str:
    return NAMES.get(key, key)
