"""Each kind of step has one template, named by its block, and the module page uses it."""

import re

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import get_template, render_to_string
from wagtail.documents.models import Document

from courses.blocks import STEP_KINDS, StepBlock
from courses.languages import lang_attribute
from courses.step_kinds import StepNav


def test_every_step_block_names_its_one_template_and_its_button():
    assert set(STEP_KINDS) == set(StepBlock().child_blocks)
    for name, kind in STEP_KINDS.items():
        assert kind.template == f"blocks/{name}.html"
        get_template(kind.template)
        assert kind.nav in StepNav
    # Only the kinds the learner answers are checked before they move on.
    assert {name for name, kind in STEP_KINDS.items() if kind.graded} == {
        "quiz",
        "practice_form",
        "practice_inbox",
        "practice_itsme",
        "practice_eid",
        "practice_login",
    }
    assert STEP_KINDS["h5p"].nav == StepNav.LINK


def test_there_is_no_second_set_of_step_templates():
    templates = settings.BASE_DIR / "templates"
    for name in STEP_KINDS:
        assert not (templates / "learning" / "steps" / f"{name}.html").exists(), name


@pytest.mark.django_db
def test_the_module_page_shows_each_step_with_the_players_template(client, catalogue):
    module = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")
    page = client.get(module.url).content.decode()
    language = module.locale.language_code
    for number, step in enumerate(module.steps, start=1):
        if step.block_type == "h5p":
            continue  # its frame's address is signed for the visit
        expected = render_to_string(
            STEP_KINDS[step.block_type].template,
            {
                "value": step.value,
                "self": step.value,
                "number": number,
                "content_language": language,
                "content_lang": lang_attribute(language),
            },
        )
        assert expected in page, step.block_type
    # Shown to be looked at: nothing on it can be answered.
    assert page.count("<fieldset disabled>") == len(module.steps)
    assert re.search(r'id="step-title-1"', page)
    # Its H5P step's frame is loaded by the host script, as in the player.
    assert page.count("js/h5p-host.js") == 1


@pytest.mark.django_db
def test_a_video_step_renders_with_its_captions_in_the_editors_language():
    video = Document.objects.create(title="v", file=ContentFile(b"v", name="film.mp4"))
    captions = Document.objects.create(title="c", file=ContentFile(b"c", name="film.vtt"))
    steps = StepBlock().to_python(
        [
            {
                "type": "video",
                "value": {
                    "title": "Regarder",
                    "video": video.pk,
                    "captions": captions.pk,
                    "text": "Un film court.",
                },
            }
        ]
    )
    step = steps[0]
    html = step.render_as_block(
        {"number": 3, "content_language": "nl-be", "content_lang": lang_attribute("nl-be")}
    )
    assert '<h1 id="step-title-3" class="step__title" lang="nl-be">Regarder</h1>' in html
    assert f'src="{video.url}"' in html and f'src="{captions.url}" srclang="nl-be"' in html
    assert '<p class="step__text" lang="nl-be">Un film court.</p>' in html
