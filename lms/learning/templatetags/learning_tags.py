"""Small template filters for the module player."""

from django import template

register = template.Library()


@register.filter
def split_choices(text: str) -> list[str]:
    """The choices of a pretend-form list, typed by the editor as 'a|b|c'."""
    return [choice.strip() for choice in (text or "").split("|") if choice.strip()]


@register.filter
def index(items, position: int):
    """items[position], or None when there is no such item."""
    try:
        return items[position]
    except (IndexError, TypeError, KeyError):
        return None
