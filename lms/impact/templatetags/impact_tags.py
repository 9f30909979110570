"""Bars without inline styles: the Content-Security-Policy refuses style attributes."""

from django import template

register = template.Library()


@register.filter
def bar_width_class(percent) -> str:
    """A class for a bar's width, rounded to 5 %: 'w-35'. Empty or hidden values give 'w-0'."""
    try:
        value = float(percent)
    except (TypeError, ValueError):
        return "w-0"
    return f"w-{min(100, max(0, round(value / 5) * 5))}"
