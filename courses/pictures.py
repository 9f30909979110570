"""The renditions of a published page's pictures, made in the background after it is published.

A picture is shown through a rendition (a resized copy, Wagtail's `{% image %}`), made the
first time a page asks for it: on a fresh database or after a publication that brings new
pictures, the first learner to open Mon parcours or the catalogue waited for every card's
rendition to be made, 73 to 88 queries instead of 15 to 30 (issue 20). Here each published
page's pictures get their renditions as soon as the publication is committed, in a task
(run at once in the embedded default, by the worker in production), so that no visitor pays.

The filter specs are those the templates write (`{% image picture width-96 preserve-svg %}`
is "width-96|preserve-svg"); tests/courses/test_pictures_warm.py checks that every `{% image
%}` of the templates is listed here.
"""

import logging

from django.conf import settings
from django.db import transaction
from django_tasks import task
from wagtail.models import Page

logger = logging.getLogger(__name__)

# Catalogue cards (courses/includes/catalogue_cards.html and `{% card_picture %}`).
CARD_PICTURE = "width-96|preserve-svg"
# A step's picture (blocks/explanation.html and blocks/quiz.html).
STEP_PICTURE = "width-480|format-webp|preserve-svg"
# A quiz answer's picture (blocks/quiz.html).
ANSWER_PICTURE = "fill-160x120|format-webp|preserve-svg"
SPECS = (CARD_PICTURE, STEP_PICTURE, ANSWER_PICTURE)


def page_pictures(page) -> list[tuple[object, str]]:
    """(picture, filter spec) of every picture `page` shows: its card's and its steps'."""
    found = []
    picture = getattr(page, "picture", None)
    if picture is not None:
        found.append((picture, CARD_PICTURE))
    for step in getattr(page, "steps", None) or []:
        value = step.value
        if not hasattr(value, "get"):
            continue
        if value.get("image"):
            found.append((value["image"], STEP_PICTURE))
        for answer in value.get("answers") or []:
            if answer.get("image"):
                found.append((answer["image"], ANSWER_PICTURE))
    return found


def page_pictures_make(page) -> int:
    """Make the missing renditions of `page`'s pictures; how many pictures were looked at."""
    pictures = page_pictures(page)
    for picture, spec in pictures:
        try:
            picture.get_rendition(spec)
        except (OSError, ValueError) as error:
            # A missing or unreadable file: the page shows it as Wagtail does, not found.
            logger.warning("No rendition %s of picture %s: %s", spec, picture.pk, error)
    return len(pictures)


@task()
def page_pictures_warm(page_id: int) -> int:
    """The task: the renditions of a live page's pictures (0 if it is no longer live)."""
    page = Page.objects.live().filter(pk=page_id).specific().first()
    return page_pictures_make(page) if page is not None else 0


def page_published(sender, instance, **kwargs):
    """page_published receiver: queue the page's pictures once the publication is committed."""
    if not settings.PICTURES_WARM_ON_PUBLISH:
        return
    page_id = instance.pk
    transaction.on_commit(lambda: page_pictures_warm.enqueue(page_id))
