"""Template tags for every page of the site."""

from functools import cache

from django import template
from django.templatetags.static import static

register = template.Library()


@register.simple_tag
def static_url(path: str) -> str:
    """`{% static path %}`, looked up once per process.

    A page shows twenty icons or more, each a `{% static %}` of the same sprite; with the
    manifest storage every look-up costs as much as a small query. The manifest does not
    change while a process runs (a deployment restarts it), so neither does the answer.
    """
    return _static(path)


@cache
def _static(path: str) -> str:
    return static(path)
