"""Template tags for catalogue cards and for the language of editors' text."""

from django import template
from django.core.cache import cache
from django.utils.safestring import mark_safe

from courses.caching import CONTENT_CACHE_SECONDS, content_key
from courses.h5p.origin import frame_sandbox, frame_url
from courses.languages import in_language, lang_attribute

register = template.Library()

# Exactly what `{% image picture width-96 preserve-svg alt="" %}` writes.
_CARD_PICTURE = template.Template(
    '{% load wagtailimages_tags %}{% image picture width-96 preserve-svg alt="" %}'
)


@register.simple_tag
def card_picture(picture):
    """A card's small picture, its <img> tag cached per picture and content version.

    Finding a rendition costs a query (or a prefetch) and some work for each card; the
    tag it makes is the same for everyone until the picture is edited, which changes the
    content version (courses/apps.py).
    """
    if not picture:
        return ""
    key = content_key("card-picture", picture.pk)
    html = cache.get(key)
    if html is None:
        html = _CARD_PICTURE.render(template.Context({"picture": picture}))
        cache.set(key, html, CONTENT_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 (written by Wagtail's image tag above)


@register.simple_tag
def content_lang(language: str):
    """` lang="…"` for an element showing editors' text in another language than the page's."""
    return lang_attribute(language)


@register.filter
def in_lang(text: str, language: str):
    """`{{ text|in_lang:language }}`: the text, in a <span lang> if its language differs."""
    return in_language(text, language)


@register.simple_tag
def h5p_frame_url(package_id: int) -> str:
    """The address of an H5P package's player frame (on the player's own host if set)."""
    return frame_url(package_id)


@register.simple_tag
def h5p_frame_sandbox() -> str:
    """The sandbox attribute of an H5P player frame (courses/h5p/origin.py says why)."""
    return frame_sandbox()
