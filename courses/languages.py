"""Which language a piece of the catalogue is written in, said to browsers (WCAG 3.1.2).

A module not yet translated shows in its own language (French, for the starter catalogue)
inside an interface in Dutch or English: each element that shows the editors' text then
carries its own `lang`, so that a screen reader and the read-aloud voice pronounce it in
the right language. Nothing is added when the text is in the interface's language.
"""

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language


def _primary(code: str) -> str:
    return (code or "").lower().replace("_", "-").split("-")[0]


def differs_from_interface(language: str) -> bool:
    """Whether text in `language` needs its own `lang` in a page of the current language."""
    return bool(language) and _primary(language) != _primary(get_language() or "")


def lang_attribute(language: str) -> SafeString:
    """` lang="…"` to put in an element's start tag, or nothing."""
    if not differs_from_interface(language):
        return mark_safe("")
    return format_html(' lang="{}"', language)


def in_language(text: str, language: str) -> SafeString:
    """The text escaped, wrapped in a <span lang> when it is not in the interface's language."""
    if not differs_from_interface(language):
        return format_html("{}", text)
    return format_html('<span lang="{}">{}</span>', language, text)
