"""A funder on a laptop: the impact dashboard with its newer figures, scanned by axe-core."""

import datetime
import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from lms.accounts.models import Membership, Role
from lms.impact.models import Programme
from lms.learning.models import Statement, Verb

from .conftest import DEMO_TODAY, axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser


def add_outcomes_and_scores(programme: Programme, learners: int = 6) -> None:
    """Self-assessments, H5P and quiz answers with durations, for a few demo learners.

    The demo data may hold none yet: enough learners to pass the small-number threshold.
    """
    memberships = (
        Membership.objects.filter(association__in=programme.associations.all(), role=Role.LEARNER)
        .select_related("user", "association")
        .order_by("pk")[:learners]
    )
    moment = timezone.make_aware(
        datetime.datetime.combine(DEMO_TODAY - datetime.timedelta(days=7), datetime.time(10))
    )
    module_iri = "https://pasapas.example/test/modules/funder-dashboard"
    for index, membership in enumerate(memberships):

        def record(verb, minutes, membership=membership, **fields):
            Statement.objects.create(
                learner=membership.user,
                learner_pseudonym=membership.user.pseudonym,
                verb=verb,
                object_iri=f"{module_iri}/steps/{uuid.uuid4()}",
                module_iri=module_iri,
                association=membership.association,
                timestamp=moment + datetime.timedelta(minutes=minutes),
                **fields,
            )

        start = "not_yet" if index % 2 else "with_help"
        record(Verb.ASSESSED, 0, response={"phase": "start", "level": start})
        record(Verb.ASSESSED, 40, response={"phase": "end", "level": "alone"})
        record(
            Verb.ANSWERED,
            10,
            object_kind="h5p",
            is_self_reported=True,
            score_scaled=0.8,
            duration_seconds=900,
        )
        record(Verb.ANSWERED, 20, object_kind="quiz", score_scaled=0.6, duration_seconds=300)


def test_a_funder_reads_the_new_figures_on_a_laptop(new_page):
    programme = Programme.objects.filter(funder__members__username="bailleur").first()
    add_outcomes_and_scores(programme)

    page = new_page("laptop")
    sign_in(page, "bailleur")
    expect(page.get_by_role("heading", name="Impact de vos programmes")).to_be_visible()
    expect(
        page.get_by_role("heading", name="Ce que les apprenant·es disent savoir faire")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Résultats des exercices")).to_be_visible()
    expect(
        page.get_by_text(
            "Score moyen des activités interactives (H5P) : auto-déclaré "
            "(calculé dans le navigateur de l'apprenant·e)"
        )
    ).to_be_visible()
    expect(page.get_by_text("Temps d'apprentissage en ligne")).to_be_visible()
    shift = page.get_by_role("table", name="Du début à la fin d'un module")
    expect(shift.get_by_role("row", name="Pas encore → Seul·e")).to_be_visible()
    # Done alone online, waiting for a trainer, validated by a trainer: told apart.
    expect(page.get_by_text("Modules validés par un·e formateur·rice").first).to_be_visible()
    expect(
        page.get_by_text("Modules faits en ligne, en attente d'un·e formateur·rice")
    ).to_be_visible()
    completion = page.get_by_role("table", name="Comment les modules ont été terminés")
    expect(completion.get_by_role("row", name="En ligne, sans formateur·rice")).to_be_visible()
    screenshot(page, "funder-dashboard-laptop")
    assert axe_violations(page) == []


def test_a_funder_reads_hidden_figures_and_closes_a_period_once(new_page):
    page = new_page("laptop")
    sign_in(page, "bailleur")
    expect(page.get_by_role("heading", name="Impact de vos programmes")).to_be_visible()
    # Every hidden figure says which kind it is; a masked one leads to the note saying why.
    notes = page.get_by_role("heading", name="Chiffres masqués")
    if page.get_by_role("link", name="masqué*").count():
        expect(notes).to_be_visible()
        expect(page.locator("#note-masked")).to_contain_text("Il peut être petit ou grand.")
    assert page.get_by_text("< 5").count() == 0
    screenshot(page, "funder-dashboard-hidden-labels")

    page.get_by_role("link", name="Clôturer cette période").click()
    expect(page.get_by_role("heading", name="Clôturer cette période")).to_be_visible()
    screenshot(page, "funder-close-period-confirm")
    assert axe_violations(page) == []
    confirm = page.get_by_role("button", name="Oui, clôturer cette période")
    box = page.get_by_label("n’est pas encore terminée", exact=False)
    if box.count():  # the demo programme's period is still running: the box is required
        expect(box).to_have_attribute("required", "")
        box.check()
    confirm.click()
    expect(page.get_by_role("heading", name="Période clôturée")).to_be_visible()
    report_url = page.url

    page.get_by_role("link", name="Retour au tableau de bord").first.click()
    opened = page.get_by_role("link", name="Ouvrir le rapport de cette période clôturée")
    expect(opened).to_be_visible()
    assert page.get_by_role("link", name="Clôturer cette période").count() == 0
    opened.click()
    expect(page.get_by_role("heading", name="Période clôturée")).to_be_visible()
    assert page.url == report_url
    assert axe_violations(page) == []
