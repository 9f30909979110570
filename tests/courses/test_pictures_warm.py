"""A published page's pictures get their renditions in the background (courses/pictures.py),
so the first visitor after a publication does not wait for them (issue 20)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.images import get_image_model
from wagtail.models import Page

from courses.models import ModulePage
from courses.pictures import ANSWER_PICTURE, CARD_PICTURE, SPECS, STEP_PICTURE, page_pictures

pytestmark = pytest.mark.django_db
Rendition = get_image_model().get_rendition_model()
IMAGE_TAG = re.compile(r"{%\s*image\s+(.+?)\s*%}")


def template_specs() -> set[str]:
    """The filter spec of every `{% image %}` the site's templates write."""
    specs = set()
    for path in (Path(settings.BASE_DIR) / "templates").rglob("*.html"):
        for arguments in IMAGE_TAG.findall(path.read_text()):
            words = arguments.split()[1:]  # after the picture's expression
            words = words[: words.index("as")] if "as" in words else words
            specs.add("|".join(word for word in words if "=" not in word))
    return specs


def test_every_picture_the_templates_show_is_warmed():
    assert template_specs() == set(SPECS)


def publish_all_with_pictures(django_capture_on_commit_callbacks) -> int:
    published = 0
    with django_capture_on_commit_callbacks(execute=True):
        for page in Page.objects.live().specific():
            if getattr(page, "picture", None) is not None:
                page.save_revision().publish()
                published += 1
    return published


def first_visit(client, path: str):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    made = [q for q in queries if q["sql"].startswith('INSERT INTO "wagtailimages_rendition"')]
    return len(queries), len(made)


@pytest.mark.parametrize("warm", [True, False])
def test_the_first_visit_after_a_publication_makes_no_rendition(
    client, catalogue, settings, django_capture_on_commit_callbacks, warm
):
    settings.PICTURES_WARM_ON_PUBLISH = warm
    Rendition.objects.all().delete()
    assert publish_all_with_pictures(django_capture_on_commit_callbacks) > 10

    queries, made = first_visit(client, "/catalogue/")
    if warm:
        # The task ran when each publication was committed: every card's rendition exists.
        assert made == 0
        # What is left is the catalogue's own first render after a change (routes, the
        # site and its settings, the pages and their pictures): bounded, whatever the size.
        assert queries <= 30, queries
    else:
        # Without it, this visitor waits for each card's rendition to be made.
        assert made > 10
        assert queries > 40
    # Either way the next visitor gets the cached page.
    assert first_visit(client, "/catalogue/") == (0, 0)


def test_a_module_s_step_and_answer_pictures_are_found(catalogue):
    picture = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail").specific.picture
    steps = [
        ("explanation", {"title": "Une image", "text": "Texte", "image": picture}),
        (
            "quiz",
            {
                "question": "Laquelle ?",
                "image": picture,
                "answers": [
                    {"text": "A", "image": picture, "is_correct": True, "feedback": ""},
                    {"text": "B", "image": None, "is_correct": False, "feedback": ""},
                ],
            },
        ),
    ]
    found = page_pictures(ModulePage(picture=picture, steps=steps))
    assert [spec for _picture, spec in found] == [
        CARD_PICTURE,
        STEP_PICTURE,
        STEP_PICTURE,
        ANSWER_PICTURE,
    ]
    assert {found_picture.pk for found_picture, _spec in found} == {picture.pk}
