"""Each step's server voice, made in the background when its module is published.

A learner who taps Listen then gets the stored file at once; the endpoint still makes any
audio that is missing (courses/voice_views.py), so nothing depends on this having run.
"""

import logging
from html.parser import HTMLParser

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django_tasks import task

from courses.models import ModulePage
from courses.voice import VoiceUnavailable, voice_audio_get_or_make, voice_engine_available

from .player import step_content_html

logger = logging.getLogger(__name__)


class _ListenTexts(HTMLParser):
    """The (text, language) of each Listen button in a rendered piece of page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "data-listen" in attributes and attributes.get("data-listen-text"):
            self.found.append((attributes["data-listen-text"], attributes["data-listen-language"]))


def listen_texts(html: str) -> list[tuple[str, str]]:
    parser = _ListenTexts()
    parser.feed(html)
    parser.close()
    return parser.found


@task()
def module_voice_prepare(page_id: int) -> int:
    """Makes the server voice of every step of a published module; returns how many texts."""
    page = ModulePage.objects.live().select_related("locale").filter(pk=page_id).first()
    if page is None:
        return 0
    made = 0
    # The step as a learner whose interface is in the module's language sees it: the most
    # common case. Any other is made on demand at the first tap.
    with translation.override(page.locale.language_code):
        for index in range(len(page.steps)):
            html = step_content_html(
                page, index, number=index + 1, validated=False, request=None,
                extra={"current": index + 1},
            )  # fmt: skip
            for text, language in listen_texts(html):
                try:
                    voice_audio_get_or_make(text=text, language=language)
                except VoiceUnavailable:
                    logger.warning("Server voice unavailable while publishing page %s", page_id)
                    return made
                made += 1
    return made


def module_published(sender, instance, **kwargs):
    """page_published receiver: queue the module's voice once the publication is committed."""
    if not settings.VOICE_ON_PUBLISH or not voice_engine_available():
        return
    page_id = instance.pk
    transaction.on_commit(lambda: module_voice_prepare.enqueue(page_id))
