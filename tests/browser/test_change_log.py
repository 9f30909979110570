"""The demo coordinator reads the change log on a tablet: sentences first, raw values on demand."""

import datetime

import pytest
from playwright.sync_api import expect

from lms.accounts.models import Association, User
from lms.logbook.models import Group
from lms.logbook.services import Validation, session_log, validations_record

from .conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser

NNBSP = "\u202f"


def test_the_coordinator_reads_the_change_log_as_sentences_on_a_tablet(new_page):
    tilleuls = Association.objects.get(slug="les-tilleuls")
    trainer = User.objects.get(username="formateur")
    group = Group.objects.filter(association=tilleuls, learning_path__isnull=False).first()
    learners = list(group.learners.filter(erased_at__isnull=True).order_by("pk")[:2])
    module = group.learning_path.path_modules.first().module.specific
    checkpoint = next(step for step in module.steps if step.block_type == "checkpoint")
    # A date no other test logs a session on.
    session = session_log(
        association=tilleuls,
        by=trainer,
        held_on=datetime.date(2026, 10, 14),
        starts_at=datetime.time(9, 30),
        ends_at=datetime.time(12),
        group=group,
        modules=[module],
        present=learners,
    )
    validations_record(
        session=session,
        by=trainer,
        validations=[Validation(learners[0], module, checkpoint.id, "alone")],
    )

    page = new_page("tablet")
    page.set_viewport_size({"width": 820, "height": 1180})
    sign_in(page, "coordinateur")
    page.goto("/formateur/journal/")
    expect(page.get_by_role("heading", name="Historique des modifications")).to_be_visible()
    logged = (
        f"Thomas a noté la séance du 14 octobre 2026{NNBSP}: 2 présent·es, module {module.title}"
    )
    entry = page.locator(".audit-log__entry").filter(has_text=logged)
    expect(entry).to_be_visible()
    validated = page.locator(".audit-log__entry").filter(
        has_text="Thomas a noté 1 validation à la séance du 14 octobre 2026"
    )
    expect(
        validated.get_by_text(
            f"Validations{NNBSP}: {learners[0].public_name} – Seul·e ({module.title})"
        )
    ).to_be_visible()
    # The raw values wait behind "Détails", closed: no ids on the page a person first sees.
    raw = entry.get_by_role("rowheader", name="Présence")
    expect(raw).to_be_hidden()
    screenshot(page, "change-log-tablet")
    assert axe_violations(page) == []

    entry.get_by_text("Détails").click()
    expect(raw).to_be_visible()
    ids = ", ".join(str(learner.pk) for learner in learners)
    expect(entry.get_by_role("cell", name=ids, exact=True)).to_be_visible()
    screenshot(page, "change-log-tablet-details")
    assert axe_violations(page) == []
