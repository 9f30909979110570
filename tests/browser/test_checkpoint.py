"""“Montrez à votre formateur”: the learner's phone says it waits, the trainer's tablet validates."""

import re
import uuid

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from lms.learning.models import ActivityProgress, ProgressStatus, Verb
from lms.learning.services import Result, statement_record
from lms.logbook.models import Group
from tests.factories import learner_in

from .conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser
LEARNER_SIZE = {"width": 390, "height": 844}
TRAINER_SIZE = {"width": 820, "height": 1180}


def assert_accessible(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name


def wait_until(page, condition, *, timeout_ms: int = 15000) -> None:
    """Poll a condition on the database while the page's script sends its statements."""
    waited = 0
    while not condition():
        assert waited < timeout_ms, "the condition never held"
        page.wait_for_timeout(100)
        waited += 100


def test_a_checkpoint_waits_for_the_trainer_until_they_validate_it(new_page):
    group = Group.objects.get(association__slug="les-tilleuls", name="Groupe lundi 1")
    module = group.learning_path.path_modules.order_by("sort_order").first().module.specific
    learner = learner_in(group.association, username="yasmina-point", display_name="Yasmina")
    group.learners.add(learner)
    steps = list(module.steps)
    number = next(n for n, step in enumerate(steps, start=1) if step.block_type == "checkpoint")
    checkpoint_iri = module.step_iri(steps[number - 1].id)
    # Every other step done online already (as the player would record them).
    for step in steps:
        if step.block_type != "checkpoint":
            statement_record(
                statement_id=uuid.uuid4(),
                learner=learner,
                verb=Verb.ANSWERED if step.block_type in ("quiz", "h5p") else Verb.COMPLETED,
                object_iri=module.step_iri(step.id),
                object_kind=step.block_type,
                module=module,
                result=Result(success=True, completion=True, score_scaled=1.0),
                association=group.association,
            )

    # The learner, on a phone: the step says it waits for the trainer, and Next goes on.
    phone = new_page("phone")
    phone.set_viewport_size(LEARNER_SIZE)
    sign_in(phone, "yasmina-point")
    phone.goto(reverse("learning:step", args=[module.pk, number]))
    step = phone.locator(f"#etape-{number}")
    expect(step.get_by_text("Cette étape attend votre formateur.")).to_be_visible()
    expect(step.get_by_text("Vous pouvez continuer maintenant.")).to_be_visible()
    assert_accessible(phone, "learner-checkpoint-waiting")
    step.get_by_role("button", name="Suivant").click()
    expect(step).to_be_hidden()  # moved on
    wait_until(
        phone,
        lambda: ActivityProgress.objects.filter(
            learner=learner, activity_iri=checkpoint_iri, status=ProgressStatus.AWAITING_TRAINER
        ).exists(),
    )
    phone.goto(reverse("learning:my_path"))
    expect(phone.get_by_text("En attente du formateur").first).to_be_visible()
    expect(phone.locator(".status--done")).to_have_count(0)  # neither done nor validated
    assert_accessible(phone, "learner-my-path-waiting")

    # The trainer, on a tablet: the matrix says who waits, the session validates.
    tablet = new_page("tablet")
    tablet.set_viewport_size(TRAINER_SIZE)
    sign_in(tablet, "formateur")
    tablet.goto(reverse("logbook:group", args=[group.pk]))
    row = tablet.get_by_role("row", name="Yasmina")
    expect(row.get_by_text("En attente du formateur")).to_be_visible()
    assert_accessible(tablet, "trainer-matrix-waiting")
    tablet.get_by_role("link", name="Noter une séance").first.click()
    # The name comes first, then what tells homonyms apart (year of birth, card, ...).
    tablet.get_by_role("checkbox", name=re.compile(r"^Yasmina ")).check()
    tablet.get_by_role("button", name="Continuer", exact=True).click()
    tablet.get_by_role("radiogroup", name="Yasmina").get_by_role(
        "radio", name="Avec un peu d'aide"
    ).first.check()
    tablet.get_by_role("button", name="Enregistrer la séance").click()
    expect(tablet.get_by_text("Séance enregistrée")).to_be_visible()
    row = tablet.get_by_role("row", name="Yasmina")
    expect(row.get_by_text("Validé par le formateur")).to_be_visible()
    expect(row.get_by_text("En attente du formateur")).to_have_count(0)
    assert_accessible(tablet, "trainer-matrix-validated")

    # Back on the phone: validated, and the step says so.
    phone.goto(reverse("learning:my_path"))
    expect(phone.get_by_text("Validé par le formateur").first).to_be_visible()
    expect(phone.get_by_text("En attente du formateur")).to_have_count(0)
    assert_accessible(phone, "learner-my-path-validated")
    phone.goto(reverse("learning:step", args=[module.pk, number]))
    expect(
        phone.locator(f"#etape-{number}").get_by_text("Votre formateur a validé cette étape.")
    ).to_be_visible()
