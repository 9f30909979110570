"""A module survives a reload without a connection (the offline worker, static/js/sw.js).

The learner opens a module, loses the connection, reloads: the module is still there, the
answers given meanwhile are checked on the device and sent once when the connection returns.
After sign-out, nothing of the learner is left for the next person on a shared device.
"""

import time

import pytest
from playwright.sync_api import expect

from courses.models import ModulePage
from lms.learning.models import Statement

from .conftest import SIZES, axe_violations, screenshot
from .test_learner import current_step, expect_text, new_learner, sign_in_with_card

pytestmark = pytest.mark.browser
MODULE_SLUG = "utiliser-un-ecran-tactile"  # 4 explanations, a quiz, a pretend form, a checkpoint

# How many pages and files the worker keeps, by cache; None until the worker kept the page.
KEPT = """async () => {
  const kept = {};
  for (const name of await caches.keys()) kept[name] = (await (await caches.open(name)).keys()).length;
  return kept;
}"""


@pytest.fixture
def new_page(browser, demo_server):
    """conftest's `new_page` without its guard against requests leaving this machine: while
    any request is routed, Playwright makes the browser bypass service workers. Every
    request is recorded instead, and none may have gone elsewhere."""
    contexts, elsewhere = [], []

    def open_page(size: str = "phone"):
        width, height = SIZES[size]
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale="fr-BE",
            base_url=demo_server.url,
            bypass_csp=True,  # axe-core is injected as a script
            service_workers="allow",
        )
        context.on(
            "request",
            lambda request: (
                None
                if request.url.startswith((demo_server.url, "data:", "blob:"))
                else elsewhere.append(request.url)
            ),
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
    assert elsewhere == []


def module_page():
    return ModulePage.objects.get(slug=MODULE_SLUG, locale__language_code="fr-be")


def wait_until(page, script: str, seconds: float = 10) -> None:
    """Until the async `script` gives true in the page. Not `wait_for_function`: it takes
    the promise an async function returns for a true value and does not wait."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(script):
        assert time.monotonic() < deadline, script
        page.wait_for_timeout(200)


def wait_until_kept(page) -> dict:
    """The worker keeps the page after it loads (a message from offline.js): wait for it."""
    wait_until(
        page,
        """async () => {
          const names = await caches.keys();
          const pages = names.find((name) => name.startsWith("pasapas-pages-"));
          return pages && names.includes("pasapas-shell")
            && (await (await caches.open(pages)).keys()).length > 0
            && Boolean(await caches.match("/hors-ligne/"));
        }""",
    )
    return page.evaluate(KEPT)


def go_offline(page) -> None:
    page.context.set_offline(True)
    # The worker's own requests must fail too, or a reload would only test the network.
    assert (
        page.evaluate(
            "() => fetch('/sante/', {cache: 'no-store'}).then(() => 'reached', () => 'failed')"
        )
        == "failed"
    )


def back_online(page) -> None:
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")


def test_a_module_reloaded_offline_is_still_there_and_its_answers_arrive_once(new_page):
    module = module_page()
    card = new_learner("Odette")
    page = new_page("phone")
    sign_in_with_card(page, card.token, "2468")
    page.goto(f"/apprendre/{module.pk}/etape/1/")
    kept = wait_until_kept(page)
    assert sum(count for name, count in kept.items() if name.startswith("pasapas-pages-")) == 1
    current_step(page).get_by_role("button", name="Suivant").click()
    expect_text(current_step(page), "Étape 2 sur")
    expect(page.locator("[data-connection-status]")).to_be_hidden()
    online_count = Statement.objects.filter(learner=card.learner).count()
    assert online_count == 1

    go_offline(page)
    response = page.reload()
    assert response.from_service_worker
    expect_text(current_step(page), "Étape 2 sur")  # the step of the address, not step 1
    for number in (3, 4, 5):
        current_step(page).get_by_role("button", name="Suivant").click()
        expect_text(current_step(page), f"Étape {number} sur")
    expect(page.locator("[data-connection-status]")).to_contain_text("Pas de connexion")
    screenshot(page, "offline-reloaded-module")
    assert Statement.objects.filter(learner=card.learner).count() == online_count

    # Reopening the tab: a new page, still without a connection.
    other = page.context.new_page()
    other.goto(f"/apprendre/{module.pk}/etape/5/")
    expect_text(current_step(other), "Étape 5 sur")
    other.close()

    back_online(page)
    expect(page.locator("[data-connection-status]")).to_contain_text("La connexion est revenue")
    statements = Statement.objects.filter(learner=card.learner)
    assert statements.count() == online_count + 3
    steps = [module.step_iri(step.id) for step in module.steps]
    assert sorted(statements.values_list("object_iri", flat=True)) == sorted(steps[:4])
    # Sent again (a second "online"), nothing is stored twice.
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_timeout(500)
    assert statements.count() == online_count + 3

    # Online, the worker passes redirects through: the module opens where the learner is.
    response = page.goto(f"/apprendre/{module.pk}/")
    assert response.ok and response.from_service_worker
    assert page.url.endswith(f"/apprendre/{module.pk}/etape/5/")


def test_a_wrong_answer_offline_gets_its_feedback_and_does_not_open_next(new_page):
    module = module_page()
    quiz_number, quiz = next(
        (number, step)
        for number, step in enumerate(module.steps, start=1)
        if step.block_type == "quiz"
    )
    form_number = quiz_number + 1
    practice = module.steps[form_number - 1]
    assert practice.block_type == "practice_form"
    card = new_learner("Odilon")
    page = new_page("phone")
    sign_in_with_card(page, card.token, "2468")
    page.goto(f"/apprendre/{module.pk}/etape/{quiz_number}/")
    wait_until_kept(page)
    go_offline(page)
    page.reload()
    step = current_step(page)
    answers = quiz.value["answers"]
    wrong = next(i for i, answer in enumerate(answers) if not answer["is_correct"])
    right = next(i for i, answer in enumerate(answers) if answer["is_correct"])
    step.locator(f"input[name=answer][value='{wrong}']").check()
    step.get_by_role("button", name="Vérifier").click()
    expect_text(step, "Essayez encore")
    expect(step.get_by_role("link", name="Suivant")).to_be_hidden()
    expect(step.get_by_role("button", name="Vérifier")).to_be_visible()
    screenshot(page, "offline-quiz-wrong")
    step.locator(f"input[name=answer][value='{right}']").check()
    step.get_by_role("button", name="Vérifier").click()
    expect(step.get_by_role("link", name="Suivant")).to_be_visible()
    step.get_by_role("link", name="Suivant").click()

    # The pretend form: a wrong answer first, then the expected ones.
    step = current_step(page)
    expect_text(step, f"Étape {form_number} sur")
    fields = practice.value["fields"]
    for index, field in enumerate(fields):
        locator = step.locator(f"[name=field-{index}]")
        if field["kind"] == "choice":
            choices = field["choices"].split("|")
            locator.select_option(next(c for c in choices if c != field["expected"]))
        else:
            locator.fill("pas ça")
    step.get_by_role("button", name="Vérifier").click()
    expect(step.locator("[data-item-wrong]:visible").first).to_be_visible()
    expect(step.get_by_role("link", name="Suivant")).to_be_hidden()
    for index, field in enumerate(fields):
        locator = step.locator(f"[name=field-{index}]")
        if field["kind"] == "choice":
            locator.select_option(field["expected"] or field["choices"].split("|")[0])
        else:
            # The server's comparison forgives case and accents: so does the page's.
            locator.fill((field["expected"] or "Marie").upper())
    step.get_by_role("button", name="Vérifier").click()
    expect(step.get_by_role("link", name="Suivant")).to_be_visible()

    back_online(page)
    expect(page.locator("[data-connection-status]")).to_contain_text("La connexion est revenue")
    # The server's own verdicts are those the page showed: wrong, right, wrong, right.
    verdicts = list(
        Statement.objects.filter(learner=card.learner)
        .order_by("timestamp")
        .values_list("object_iri", "success")
    )
    quiz_iri, form_iri = module.step_iri(quiz.id), module.step_iri(practice.id)
    assert verdicts == [(quiz_iri, False), (quiz_iri, True), (form_iri, False), (form_iri, True)]


@pytest.mark.parametrize("header", ["sent", "stripped"])
def test_after_sign_out_an_offline_reload_shows_nothing_of_the_learner(new_page, header):
    """Signed out, the module kept for the learner is gone: by the Clear-Site-Data header,
    and without it (a browser that ignores it) by the worker told to forget."""
    module = module_page()
    card = new_learner("Huguette")
    page = new_page("phone")
    if header == "stripped":

        def without_header(route):
            response = route.fetch(max_redirects=0)
            headers = {k: v for k, v in response.headers.items() if k != "clear-site-data"}
            route.fulfill(response=response, headers=headers)

        page.route("**/deconnexion/", without_header)
    sign_in_with_card(page, card.token, "2468")
    page.goto(f"/apprendre/{module.pk}/etape/2/")
    wait_until_kept(page)
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/")
    if header == "stripped":
        page.unroute("**/deconnexion/")  # while a request is routed, workers are bypassed
    wait_until(
        page,
        """async () => !(await caches.keys()).some((name) => name.startsWith("pasapas-pages-"))""",
    )

    go_offline(page)
    try:
        page.goto(f"/apprendre/{module.pk}/etape/2/")
    except Exception as error:  # the browser's own offline page: no worker left
        assert "ERR_INTERNET_DISCONNECTED" in str(error)
        return
    # The worker is still there: its offline page, without the learner's module.
    expect(page.get_by_role("heading", name="Pas d'internet")).to_be_visible()
    expect(page.get_by_text("Quand internet revient, essayez encore.")).to_be_visible()
    assert page.locator("[data-offline-modules] li").count() == 0
    assert module.title not in page.content()
    assert "Huguette" not in page.content()


def test_the_offline_page_lists_the_modules_kept_on_a_small_phone_with_large_text(new_page):
    module = module_page()
    card = new_learner("Lucienne")
    page = new_page("phone")
    page.set_viewport_size({"width": 320, "height": 568})
    sign_in_with_card(page, card.token, "2468")
    page.context.add_cookies([{"name": "pasapas_text_size", "value": "larger", "url": page.url}])
    page.goto(f"/apprendre/{module.pk}/etape/1/")
    wait_until_kept(page)
    go_offline(page)
    page.goto("/mon-parcours/")
    expect(page.get_by_role("heading", name="Pas d'internet")).to_be_visible()
    link = page.get_by_role("link", name=module.title)
    expect(link).to_be_visible()
    assert page.evaluate("document.documentElement.dataset.textSize") == "larger"
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "offline-page-320-larger")
    assert axe_violations(page) == []
    link.click()
    expect_text(current_step(page), "Étape 1 sur")


def test_each_practice_kind_offline_gets_the_verdict_the_server_then_stores(new_page):
    """Wrong, then right, without a connection: "Next" stays closed after the wrong answer
    and opens after the right one; back online, the server's verdicts are the same."""
    from .test_pretend_sign_in import check, step_address, verdicts_of

    card = new_learner("Raymonde")
    page = new_page("phone")
    sign_in_with_card(page, card.token, "2468")

    def offline_at(address):
        page.context.set_offline(False)
        page.goto(address)
        page.context.set_offline(True)
        return current_step(page)

    def wrong_then_right(step, wrong, right):
        wrong()
        check(step)
        expect(step.locator("[data-item-wrong]:visible").first).to_be_visible()
        expect(step.get_by_role("link", name="Suivant")).to_be_hidden()
        right()
        check(step)
        expect(step.get_by_role("link", name="Suivant")).to_be_visible()
        expect(page.locator("[data-connection-status]")).to_contain_text("Pas de connexion")

    iris = []
    address, iri = step_address("installer-et-utiliser-itsme", "practice_itsme")
    step = offline_at(address)
    code = step.get_by_label("Votre code itsme (5 chiffres)")
    step.get_by_label("Confirmer").check()
    wrong_then_right(step, lambda: code.fill("12"), lambda: code.fill("13579"))
    iris.append(iri)

    address, iri = step_address("installer-et-utiliser-itsme", "practice_itsme", trap=True)
    step = offline_at(address)
    wrong_then_right(
        step,
        lambda: (
            step.get_by_label("Confirmer").check(),
            step.get_by_label("Votre code itsme (5 chiffres)").fill("24680"),
        ),
        lambda: step.get_by_label("Refuser").check(),
    )
    iris.append(iri)

    address, iri = step_address("utiliser-le-lecteur-de-carte-eid", "practice_eid")
    step = offline_at(address)
    wrong_then_right(
        step,
        lambda: step.get_by_label("itsme", exact=True).check(),
        lambda: (
            step.get_by_label("Carte d'identité (eID) et lecteur de carte").check(),
            step.get_by_label("Mettre la carte dans le lecteur, la puce en premier").check(),
            step.get_by_label("Votre code PIN (4 chiffres)").fill("1234"),
        ),
    )
    iris.append(iri)

    address, iri = step_address("se-connecter-a-un-service-public", "practice_login")
    step = offline_at(address)
    wrong_then_right(
        step,
        lambda: step.get_by_label("itsme", exact=True).check(),
        lambda: step.get_by_label("Carte d'identité (eID) et lecteur de carte").check(),
    )
    iris.append(iri)

    module = ModulePage.objects.get(
        slug="arnaques-par-sms-et-telephone", locale__language_code="fr-be"
    )
    number, inbox = next(
        (number, s)
        for number, s in enumerate(module.steps, start=1)
        if s.block_type == "practice_inbox"
    )
    step = offline_at(f"/apprendre/{module.pk}/etape/{number}/")

    def sort(right: bool):
        for index, message in enumerate(inbox.value["messages"]):
            scam = message["is_scam"] if right or index else not message["is_scam"]
            value = "scam" if scam else "genuine"
            step.locator(f"input[name=message-{index}][value={value}]").check()

    wrong_then_right(step, lambda: sort(False), lambda: sort(True))
    iris.append(module.step_iri(inbox.id))

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("[data-connection-status]")).to_contain_text("La connexion est revenue")
    for each in iris:
        assert verdicts_of(card.learner, each) == [False, True], each


def dots_done(step) -> list[int]:
    """The step numbers whose dot is filled in `step`'s row of progress dots."""
    return step.locator(".dots li").evaluate_all(
        "(dots) => dots.flatMap((dot, i) => dot.classList.contains('is-done') ? [i + 1] : [])"
    )


def test_dots_and_next_say_what_was_done_online_offline_and_after_an_offline_reload(new_page):
    """The page kept by the worker has the dots of the moment it was kept: after an offline
    reload, the steps done since (sent, or still queued) are still shown done, and a quiz
    answered right still has "Next" open."""
    module = module_page()
    quiz_number, quiz = next(
        (number, step)
        for number, step in enumerate(module.steps, start=1)
        if step.block_type == "quiz"
    )
    assert quiz_number > 3
    card = new_learner("Philomène")
    page = new_page("phone")
    page.set_viewport_size({"width": 320, "height": 568})
    sign_in_with_card(page, card.token, "2468")
    page.goto(f"/apprendre/{module.pk}/etape/1/")
    page.get_by_role("button", name="Très grand texte").click()
    wait_until_kept(page)  # kept with no step done
    assert dots_done(current_step(page)) == []
    # Online, a dot fills as its step is done, without a reload.
    current_step(page).get_by_role("button", name="Suivant").click()
    expect_text(current_step(page), "Étape 2 sur")
    assert dots_done(current_step(page)) == [1]

    go_offline(page)
    page.reload()
    expect_text(current_step(page), "Étape 2 sur")
    assert dots_done(current_step(page)) == [1]  # sent online, not in the page kept
    for number in range(3, quiz_number + 1):
        current_step(page).get_by_role("button", name="Suivant").click()
        expect_text(current_step(page), f"Étape {number} sur")
    step = current_step(page)
    right = next(i for i, answer in enumerate(quiz.value["answers"]) if answer["is_correct"])
    step.locator(f"input[name=answer][value='{right}']").check()
    step.get_by_role("button", name="Vérifier").click()
    expect(step.get_by_role("link", name="Suivant")).to_be_visible()
    assert dots_done(step) == list(range(1, quiz_number + 1))

    # Reloaded offline, with answers still queued: the same dots, the quiz's "Next" open.
    page.reload()
    step = current_step(page)
    expect_text(step, f"Étape {quiz_number} sur")
    assert dots_done(step) == list(range(1, quiz_number + 1))
    expect(step.get_by_role("link", name="Suivant")).to_be_visible()
    expect(step.get_by_role("button", name="Vérifier")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "offline-reloaded-quiz-320-larger")
    # The next step is not done: its "Check" is there, its "Next" closed.
    step.get_by_role("link", name="Suivant").click()
    step = current_step(page)
    expect_text(step, f"Étape {quiz_number + 1} sur")
    expect(step.get_by_role("button", name="Vérifier")).to_be_visible()
    expect(step.get_by_role("link", name="Suivant")).to_be_hidden()
    assert dots_done(step) == list(range(1, quiz_number + 1))
    screenshot(page, "offline-reloaded-dots")

    back_online(page)
    expect(page.locator("[data-connection-status]")).to_contain_text("La connexion est revenue")
    # Online, the server's own dots say the same.
    page.goto(f"/apprendre/{module.pk}/etape/{quiz_number}/")
    step = current_step(page)
    assert dots_done(step) == list(range(1, quiz_number + 1))
    # The quiz done opens on "Next"; changing the answer brings "Check" back, to practise.
    expect(step.get_by_role("link", name="Suivant")).to_be_visible()
    step.locator("input[name=answer]").first.check()
    expect(step.get_by_role("button", name="Vérifier")).to_be_visible()
    expect(step.get_by_role("link", name="Suivant")).to_be_hidden()

    # Signed out: the next person on this device sees none of it.
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion/")
    assert page.evaluate("localStorage.getItem('pasapas-done')") is None
    other = new_learner("Prudence")
    sign_in_with_card(page, other.token, "2468")
    page.goto(f"/apprendre/{module.pk}/etape/2/")
    assert dots_done(current_step(page)) == []


def test_an_h5p_step_offline_says_it_needs_internet_and_the_other_steps_work(new_page):
    """The H5P frame's opaque origin is controlled by no service worker: offline it would
    show the browser's error page. The step says instead that it needs internet; "Next"
    moves on as it does online, the other steps work, and the activity loads once the
    connection is back."""
    module = ModulePage.objects.get(
        slug="reconnaitre-une-arnaque-par-e-mail", locale__language_code="fr-be"
    )
    kinds = [step.block_type for step in module.steps]
    h5p_number = kinds.index("h5p") + 1
    text_number = kinds.index("explanation") + 1
    card = new_learner("Ursuline")
    page = new_page("phone")
    page.set_viewport_size({"width": 320, "height": 568})
    sign_in_with_card(page, card.token, "2468")
    page.goto(f"/apprendre/{module.pk}/etape/{text_number}/")
    wait_until_kept(page)  # kept with the normal text size

    go_offline(page)
    # Chosen offline, the largest text size stays for the pages the worker shows.
    page.get_by_role("button", name="Très grand texte").click()
    response = page.goto(f"/apprendre/{module.pk}/etape/{h5p_number}/")
    assert response.from_service_worker
    step = current_step(page)
    expect_text(step, f"Étape {h5p_number} sur")
    note = step.locator("[data-h5p-offline]")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Cette activité a besoin d'internet.")
    expect(note.get_by_role("img", name="Un téléphone sans internet")).to_be_visible()
    frame = step.locator("iframe[data-h5p-frame]")
    expect(frame).to_be_hidden()
    assert frame.get_attribute("src") is None  # never pointed at the network
    assert page.evaluate("document.documentElement.dataset.textSize") == "larger"
    expect(page.get_by_role("button", name="Très grand texte")).to_have_attribute(
        "aria-pressed", "true"
    )
    # The frame stays empty: no browser's error page (chrome-error://) in it.
    assert [frame.url for frame in page.frames[1:]] == ["about:blank"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    screenshot(page, "offline-h5p-step-320-larger")
    assert axe_violations(page) == []
    # Its words can be heard: the note has its Listen button, which reads them.
    listen = note.locator("[data-listen]")
    assert "besoin d'internet" in listen.get_attribute("data-listen-text")
    # Hidden, the note is no part of what the step's own Listen button reads.
    assert "besoin d'internet" not in step.locator("[data-listen]").first.get_attribute(
        "data-listen-text"
    )

    # "Next" moves on, as for an H5P step not done online; the other steps work offline.
    if h5p_number < len(kinds):
        step.get_by_role("link", name="Suivant").click()
        expect_text(current_step(page), f"Étape {h5p_number + 1} sur")
    page.goto(f"/apprendre/{module.pk}/etape/{text_number}/")
    current_step(page).get_by_role("button", name="Suivant").click()
    expect_text(current_step(page), f"Étape {text_number + 1} sur")
    expect(page.locator("[data-connection-status]")).to_contain_text("Pas de connexion")

    # Back online on the H5P step: the activity loads.
    page.goto(f"/apprendre/{module.pk}/etape/{h5p_number}/")
    expect(current_step(page).locator("[data-h5p-offline]")).to_be_visible()
    back_online(page)
    expect(current_step(page).locator("[data-h5p-offline]")).to_be_hidden()
    frame = page.frame_locator(f"[data-step='{h5p_number}'] iframe[data-h5p-frame]")
    expect(frame.locator(".h5p-content")).to_be_attached(timeout=20000)
    expect(page.locator("[data-connection-status]")).to_contain_text("La connexion est revenue")
    assert Statement.objects.filter(learner=card.learner).count() == 1  # the text step
