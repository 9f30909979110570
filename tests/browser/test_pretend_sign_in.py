"""The pretend sign-in steps walked as a learner on the smallest phone with the largest text:
each one answered wrong, then right, graded by the server, scanned by axe."""

import pytest
from playwright.sync_api import expect

from courses.models import ModulePage
from lms.learning.models import Statement

from .conftest import axe_violations, screenshot
from .test_learner import current_step, new_learner, sign_in_with_card

pytestmark = pytest.mark.browser


def step_address(slug: str, kind: str, *, trap: bool = False) -> tuple[str, str]:
    module = ModulePage.objects.get(slug=slug, locale__language_code="fr-be")
    for number, step in enumerate(module.steps, start=1):
        if step.block_type == kind and (
            kind != "practice_itsme" or step.value["started_by_learner"] is not trap
        ):
            return f"/apprendre/{module.pk}/etape/{number}/", module.step_iri(step.id)
    raise AssertionError(f"no {kind} in {slug}")


def check(step) -> None:
    step.get_by_role("button", name="Vérifier").click()


def verdicts_of(learner, iri: str) -> list[bool]:
    return list(
        Statement.objects.filter(learner=learner, object_iri=iri)
        .order_by("timestamp")
        .values_list("success", flat=True)
    )


def assert_seen(page, name: str) -> None:
    screenshot(page, f"pretend-{name}")
    assert axe_violations(page) == [], name


def test_each_pretend_sign_in_step_walked_wrong_then_right_on_a_small_phone(browser, demo_server):
    card = new_learner("Josiane")
    context = browser.new_context(
        viewport={"width": 320, "height": 568},
        locale="fr-BE",
        base_url=demo_server.url,
        bypass_csp=True,  # axe-core is injected as a script the page's own policy refuses
    )
    context.route(lambda url: not url.startswith(demo_server.url), lambda route: route.abort())
    context.add_cookies([{"name": "pasapas_text_size", "value": "larger", "url": demo_server.url}])
    page = context.new_page()
    try:
        sign_in_with_card(page, card.token, "2468")

        # itsme, a request the learner started: confirm, then a 5-digit code.
        address, iri = step_address("installer-et-utiliser-itsme", "practice_itsme")
        page.goto(address)
        step = current_step(page)
        code = step.get_by_label("Votre code itsme (5 chiffres)")
        expect(code).to_be_hidden()  # it opens once "Confirmer" is chosen
        step.get_by_label("Confirmer").check()
        code.fill("12")
        check(step)
        expect(step.locator('[data-item-wrong="1"]')).to_be_visible()
        expect(step.get_by_role("link", name="Suivant")).to_be_hidden()
        assert_seen(page, "itsme-wrong")
        code.fill("13579")
        check(step)
        expect(step.locator('[data-item-right="0"]')).to_be_visible()
        expect(step.locator('[data-item-wrong="1"]')).to_be_hidden()
        expect(step.get_by_role("link", name="Suivant")).to_be_visible()

        # itsme, a trap: confirming is wrong, refusing is right.
        address, trap_iri = step_address("installer-et-utiliser-itsme", "practice_itsme", trap=True)
        page.goto(address)
        step = current_step(page)
        step.get_by_label("Confirmer").check()
        step.get_by_label("Votre code itsme (5 chiffres)").fill("24680")
        check(step)
        expect(step.locator('[data-item-wrong="0"]')).to_be_visible()
        step.get_by_label("Refuser").check()
        check(step)
        expect(step.locator('[data-item-right="0"]')).to_be_visible()
        assert_seen(page, "itsme-trap-right")

        # eID: the identity card on the login page, the card in the reader, a PIN.
        eid_address, eid_iri = step_address("utiliser-le-lecteur-de-carte-eid", "practice_eid")
        page.goto(eid_address)
        step = current_step(page)
        step.get_by_label("itsme", exact=True).check()
        expect(step.locator(".pretend-reader")).to_be_hidden()
        check(step)
        expect(step.locator('[data-item-wrong="0"]')).to_be_visible()
        step.get_by_label("Carte d'identité (eID) et lecteur de carte").check()
        pin = step.get_by_label("Votre code PIN (4 chiffres)")
        expect(pin).to_be_hidden()  # it opens once the card is in the reader
        step.get_by_label("Mettre la carte dans le lecteur, la puce en premier").check()
        pin.fill("1234")
        check(step)
        expect(step.locator("[data-verdict-success]")).to_be_visible()
        expect(step.get_by_role("link", name="Suivant")).to_be_visible()
        assert_seen(page, "eid-right")

        # The login page: the way that fits the situation (no smartphone: the eID card).
        address, login_iri = step_address("se-connecter-a-un-service-public", "practice_login")
        page.goto(address)
        step = current_step(page)
        step.get_by_label("itsme", exact=True).check()
        check(step)
        expect(step.locator('[data-item-wrong="0"]')).to_be_visible()
        assert_seen(page, "login-wrong")
        step.get_by_label("Carte d'identité (eID) et lecteur de carte").check()
        check(step)
        expect(step.locator('[data-item-right="0"]')).to_be_visible()
        expect(step.get_by_role("link", name="Suivant")).to_be_visible()

        # Offline, the answer waits in the browser: the PIN's digits are not kept.
        page.goto(eid_address)
        step = current_step(page)
        context.set_offline(True)
        step.get_by_label("Carte d'identité (eID) et lecteur de carte").check()
        step.get_by_label("Mettre la carte dans le lecteur, la puce en premier").check()
        step.get_by_label("Votre code PIN (4 chiffres)").fill("9753")
        check(step)
        queued = page.evaluate("() => JSON.parse(localStorage.getItem('pasapas-queue'))")
        assert [item["fields"].get("code") for item in queued] == ["0000"]
        context.set_offline(False)
        page.evaluate("() => window.dispatchEvent(new Event('online'))")
        # The message once sent, not the offline one, which says "sera envoyé plus tard".
        expect(page.locator("[data-connection-status]")).to_contain_text("La connexion est revenue")
    finally:
        context.close()
    # Graded and recorded by the server, in order; no typed code stored.
    for each in (iri, trap_iri, login_iri):
        assert verdicts_of(card.learner, each) == [False, True], each
    assert verdicts_of(card.learner, eid_iri) == [False, True, True]  # the last one sent on return
    stored = Statement.objects.filter(learner=card.learner)
    assert not any(code in str(s.response) for s in stored for code in ("13579", "24680", "1234"))
