"""{% listen %}…{% endlisten %}: one "Listen" button that reads the screen part it wraps."""

from django import template
from django.template.base import token_kwargs
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from courses.listening import html_for_listening
from courses.voice import voice_language, voice_signature

register = template.Library()


def _listen_html(content: str, *, language: str, recording: str, on_tap: bool) -> str:
    language = voice_language(language or get_language() or "fr")
    context = {
        "content": mark_safe(content),  # noqa: S308 (HTML this site rendered)
        "listen_language": language,
        "recording": recording or "",
    }
    if on_tap:
        context["listen_source"] = reverse("voice:screen_text")
    else:
        text = html_for_listening(content, language)
        context["listen_text"] = text
        context["listen_signature"] = voice_signature(text, language)
    return render_to_string("components/listen.html", context)


def listen_render(content: str, *, language: str = "", recording: str = "") -> str:
    """`content` (rendered HTML) with its Listen button (templates/components/listen.html),
    for views whose HTML is put together at each visit outside a template (Mon parcours).

    Its words are not written for listening here: the button fetches them when the learner
    taps (voice:screen_text renders the page again and reads this part), so a visit costs no
    more than the wrapping. The view's URL name must be in settings.LISTEN_ON_TAP_PAGES.
    """
    return _listen_html(content, language=language, recording=recording, on_tap=True)


class ListenNode(template.Node):
    def __init__(self, nodelist, options):
        self.nodelist = nodelist
        self.options = options

    def render(self, context):
        content = self.nodelist.render(context)
        options = {name: value.resolve(context) for name, value in self.options.items()}
        return _listen_html(
            content,
            language=options.get("language") or "",
            recording=options.get("recording") or "",
            on_tap=bool(options.get("on_tap")),
        )


@register.tag
def listen(parser, token):
    """Wraps a screen's readable part; its words (icons' labels included, written for
    listening by courses/listening.py) are what the button reads.

    Options: language= (the content's, default the interface's), recording= (the URL of
    an editor's recording of this part, played first), on_tap=True (its words fetched when
    the learner taps, see listen_render).
    """
    bits = token.split_contents()[1:]
    options = token_kwargs(bits, parser)
    if bits:
        raise template.TemplateSyntaxError(
            "{% listen %} takes only language=, recording= and on_tap="
        )
    nodelist = parser.parse(("endlisten",))
    parser.delete_first_token()
    return ListenNode(nodelist, options)
