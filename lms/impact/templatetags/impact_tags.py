"""Figures as people read them, and bars without inline styles (the Content-Security-Policy
refuses style attributes)."""

from django import template
from django.utils.html import format_html

from lms.impact.exports import Hidden
from lms.impact.formats import date_text, number_text

register = template.Library()


@register.filter
def bar_width_class(percent) -> str:
    """A class for a bar's width, rounded to 5 %: 'w-35'. Empty or hidden values give 'w-0'."""
    try:
        value = float(percent)
    except (TypeError, ValueError):
        return "w-0"
    return f"w-{min(100, max(0, round(value / 5) * 5))}"


@register.filter
def figure(value) -> str:
    """ "4 872,5", "fewer than 5" or "masked*"; a text (no data, not available) as it is."""
    if isinstance(value, Hidden):
        return value.label
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number_text(value)
    return value


@register.filter
def figure_cell(value) -> str:
    """`figure`, where a masked figure links to the note that says why it is hidden."""
    if value is Hidden.MASKED:
        return format_html('<a href="#note-{}">{}</a>', value.value, value.label)
    return figure(value)


@register.filter
def day(value) -> str:
    """ "1er juin 2026": a date as the report's language writes it."""
    return date_text(value) if value else ""
