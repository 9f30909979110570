"""{% listen %}…{% endlisten %}: one "Listen" button that reads the screen part it wraps."""

from django import template
from django.template.base import token_kwargs
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from courses.listening import html_for_listening
from courses.voice import voice_language, voice_signature

register = template.Library()


def listen_render(content: str, *, language: str = "", recording: str = "") -> str:
    """`content` (rendered HTML) with its Listen button (templates/components/listen.html).

    For views whose HTML is put together outside a template (Mon parcours)."""
    language = voice_language(language or get_language() or "fr")
    text = html_for_listening(content, language)
    return render_to_string(
        "components/listen.html",
        {
            "content": mark_safe(content),  # noqa: S308 (HTML this site rendered)
            "listen_text": text,
            "listen_language": language,
            "listen_signature": voice_signature(text, language),
            "recording": recording or "",
        },
    )


class ListenNode(template.Node):
    def __init__(self, nodelist, options):
        self.nodelist = nodelist
        self.options = options

    def render(self, context):
        content = self.nodelist.render(context)
        options = {name: value.resolve(context) for name, value in self.options.items()}
        return listen_render(
            content, language=options.get("language") or "", recording=options.get("recording")
        )


@register.tag
def listen(parser, token):
    """Wraps a screen's readable part; its words (icons' labels included, written for
    listening by courses/listening.py) are what the button reads.

    Options: language= (the content's, default the interface's), recording= (the URL of
    an editor's recording of this part, played first).
    """
    bits = token.split_contents()[1:]
    options = token_kwargs(bits, parser)
    if bits:
        raise template.TemplateSyntaxError("{% listen %} takes only language= and recording=")
    nodelist = parser.parse(("endlisten",))
    parser.delete_first_token()
    return ListenNode(nodelist, options)
