"""The player asks each step's kind what its button does (courses/step_kinds.py)."""

import re

import pytest
from django.urls import reverse

from courses.blocks import STEP_KINDS
from lms.learning.submissions import ANSWERED_KINDS
from tests.factories import AssociationFactory, learner_in

pytestmark = pytest.mark.django_db

SECTION = re.compile(
    r'<section class="step"[^>]*data-kind="([a-z_0-9]+)"([^>]*)>(.*?)</section>', re.S
)


def test_the_kinds_checked_before_moving_on_are_those_graded_on_the_server():
    assert {name for name, kind in STEP_KINDS.items() if kind.graded} == ANSWERED_KINDS


@pytest.mark.parametrize(
    "slug", ["reconnaitre-une-arnaque-par-e-mail", "utiliser-un-ecran-tactile"]
)
def test_each_steps_button_is_the_one_its_kind_names(client, catalogue, slug):
    module = catalogue.get(slug=slug)
    client.force_login(learner_in(AssociationFactory()))
    page = client.get(reverse("learning:step", args=[module.pk, 1])).content.decode()
    sections = SECTION.findall(page)
    assert [kind for kind, _attributes, _body in sections] == [s.block_type for s in module.steps]
    for kind, attributes, body in sections:
        graded = STEP_KINDS[kind].graded
        assert ("data-graded" in attributes) is graded, kind
        assert ("data-check" in body) is graded, kind  # "Check" first, then "Next"
        # H5P reports by itself: its Next is a link, never a form's submit button.
        next_is_submit = re.search(r'<button class="button step-nav__next" type="submit">', body)
        assert bool(next_is_submit) is (STEP_KINDS[kind].nav == "submit"), kind
