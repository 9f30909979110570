"""H5P on a learner's phone: our own picture choice, the real sample packages, the sandbox."""

import io
import json
import os
import re
import time
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from playwright.sync_api import expect

from courses.h5p.models import H5PPackage
from courses.h5p.services import h5p_package_store
from courses.models import ModulePage, ThemePage
from lms.learning.models import ActivityProgress, Statement

from .conftest import AXE, RESULTS, axe_violations, screenshot
from .test_learner import new_learner, sign_in_with_card

pytestmark = pytest.mark.browser

SAMPLES = Path(settings.BASE_DIR).parent / "shared" / "h5p-samples"
PHISHING = "reconnaitre-une-arnaque-par-e-mail"
FRAME = "iframe[data-h5p-frame]"
PIN = "2468"


# --- Helpers -----------------------------------------------------------------------------


def wait_for(condition, *, page, timeout: float = 20, message: str = ""):
    """Poll the database (written by the live server's thread) until `condition()` is truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        page.wait_for_timeout(200)
    pytest.fail(message or "timed out waiting for the server")


def h5p_step_number(module: ModulePage) -> tuple[int, object]:
    return next(
        (number, step)
        for number, step in enumerate(module.steps, start=1)
        if step.block_type == "h5p"
    )


def module_showing(package: H5PPackage, *, slug: str) -> ModulePage:
    """A published module, under an existing theme, whose only step is the package."""
    steps = json.dumps([{"type": "h5p", "value": {"title": "", "package": package.pk}}])
    module = ModulePage.objects.filter(slug=slug, locale__language_code="fr-be").first()
    if module is None:
        module = ModulePage(
            title=f"Essai H5P {slug}",
            slug=slug,
            goal="Vous saurez jouer une activité.",
            duration_minutes=5,
            level=1,
            steps=steps,
        )
        ThemePage.objects.live().order_by("path").first().add_child(instance=module)
    else:
        module.steps = steps
    module.save_revision().publish()
    return ModulePage.objects.get(pk=module.pk)


def learner_on_step(new_page, name: str, module: ModulePage, number: int):
    card = new_learner(name)
    page = new_page("phone")
    sign_in_with_card(page, card.token, PIN)
    page.goto(f"/apprendre/{module.pk}/etape/{number}/")
    return card, page


def frame_of(page, number: int):
    """The H5P frame of one step, once its player has drawn the activity."""
    frame = page.frame_locator(f"[data-step='{number}'] {FRAME}")
    expect(frame.locator(".h5p-content")).to_be_attached(timeout=20000)
    return frame


def answer_picture_choice(step, package: H5PPackage, *, right: bool = True) -> None:
    """Answer a PasAPas.PictureChoice activity inside a step's frame (`step`: its locator).

    Other browser tests that follow a whole module can use it for the H5P steps.
    """
    with default_storage.open(f"{package.content_path}/content/content.json") as file:
        answers = json.load(file)["answers"]
    answer = next(answer for answer in answers if answer["correct"] is right)
    frame = step.frame_locator(FRAME)
    frame.get_by_role("radio", name=answer["text"]).check()
    frame.get_by_role("button", name="Vérifier").click()
    expect(frame.locator(".pasapas-pc__feedback")).to_contain_text(
        "Oui, bravo !" if right else "Pas tout à fait."
    )


def step_statements(card, module: ModulePage, step):
    return list(Statement.objects.filter(learner=card.learner, object_iri=module.step_iri(step.id)))


def screenshot_frame(page, number: int, name: str) -> None:
    """What the learner sees of the activity (a full-page capture draws frames badly)."""
    frame = page.locator(f"[data-step='{number}'] {FRAME}")
    frame.scroll_into_view_if_needed()
    path = RESULTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


def axe_frame_violations(page, *, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core inside the sandboxed H5P frame.

    The frame's CSP allows scripts from this site only, so axe cannot be added as an inline
    <script>; the frame does allow eval (H5P needs it), which loads axe's own source there.
    """
    frame = next(frame for frame in page.frames if "/h5p/frame/" in frame.url)
    frame.evaluate("source => { (0, eval)(source); }", AXE.read_text())
    result = frame.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]


# --- Our own content type in the starter catalogue -------------------------------------------


def test_a_learner_answers_the_picture_choice_and_the_score_is_stored(new_page):
    module = ModulePage.objects.get(slug=PHISHING, locale__language_code="fr-be")
    number, step = h5p_step_number(module)
    card, page = learner_on_step(new_page, "Fatima", module, number)
    frame = frame_of(page, number)
    feedback = frame.locator(".pasapas-pc__feedback")

    expect(frame.get_by_role("group", name="Quel message est une arnaque ?")).to_be_visible()
    frame.get_by_role("button", name="Vérifier").click()
    expect(feedback).to_contain_text("Touchez d'abord une image.")
    frame.get_by_role("radio", name=re.compile("photos de la fête")).check()
    frame.get_by_role("button", name="Vérifier").click()
    expect(feedback).to_contain_text("Pas tout à fait.")
    expect(feedback).to_contain_text("Essayez encore.")
    screenshot_frame(page, number, "learner-h5p-picture-choice-retry")

    frame.get_by_role("button", name="Essayer encore").click()
    answer_picture_choice(page.locator(f"[data-step='{number}']"), step.value["package"])
    expect(frame.get_by_role("radio", name=re.compile("Votre colis attend"))).to_be_checked()
    expect(page.locator(f"[data-step='{number}'] [data-h5p-result]")).to_be_visible()

    statements = wait_for(
        lambda: (
            len(step_statements(card, module, step)) == 2 and step_statements(card, module, step)
        ),
        page=page,
        message="the two answers were not recorded",
    )
    for statement in statements:
        assert statement.object_kind == "h5p"
        assert statement.is_self_reported is True
        assert statement.verb == "answered"
        assert statement.score_max == 1
    assert sorted(statement.score_scaled for statement in statements) == [0.0, 1.0]
    progress = ActivityProgress.objects.get(
        learner=card.learner, activity_iri=module.step_iri(step.id)
    )
    assert progress.best_score_scaled == 1.0
    assert progress.status == "completed"
    screenshot(page, "learner-h5p-picture-choice")
    screenshot_frame(page, number, "learner-h5p-picture-choice-frame")

    # The page around the frame: axe cannot reach into a sandboxed frame (opaque origin, no
    # axe inside), so the frame's contents are scanned on their own, just below.
    assert axe_violations(page) == []
    assert axe_frame_violations(page) == []


# --- The real sample packages ------------------------------------------------------------


def play_multichoice(frame):
    frame.locator(".h5p-answer").first.click()
    frame.locator(".h5p-question-check-answer").click()


def play_truefalse(frame):
    frame.get_by_role("radio", name="True").click()
    frame.locator(".h5p-question-check-answer").click()


def play_blanks(frame):
    # autoCheck is on: the activity judges itself once every blank is filled in.
    blanks = frame.locator("input.h5p-text-input")
    expect(blanks.first).to_be_visible()
    for index, word in enumerate(["blue", "cloud", "black"][: blanks.count()]):
        blanks.nth(index).fill(word)
        blanks.nth(index).press("Tab")


def play_dragquestion(frame):
    draggable = frame.locator(".h5p-draggable").first
    zone = frame.locator(".h5p-dropzone").first
    expect(draggable).to_be_visible()
    draggable.drag_to(zone)
    frame.locator(".h5p-question-check-answer").click()


def play_singlechoiceset(frame):
    # Each touch answers one question and the set moves on by itself, then shows the results.
    for index in range(3):
        slide = frame.locator(".h5p-sc-slide").nth(index)
        expect(slide).to_have_class(re.compile("h5p-sc-current-slide"), timeout=10000)
        slide.locator(".h5p-sc-alternative").first.click()


def answer_any_question(question):
    """Give some answer to the question on screen, whatever its type, then check it."""
    answers = question.locator(".h5p-answer, .h5p-true-false-answer")
    blanks = question.locator("input.h5p-text-input")
    words = question.locator(".h5p-word-selectable-words [role=option]")
    if answers.count():
        answers.first.click()
    elif blanks.count():
        for index in range(blanks.count()):
            blanks.nth(index).fill("baies")
    elif words.count():
        words.first.click()
    elif question.locator(".h5p-drag-draggable").count():
        question.locator(".h5p-drag-draggable").first.drag_to(
            question.locator(".h5p-drag-dropzone").first
        )
    elif question.locator(".h5p-draggable").count():
        question.locator(".h5p-draggable").first.drag_to(question.locator(".h5p-dropzone").first)
    question.locator(".h5p-question-check-answer").click()


def play_questionset(frame):
    # Nine questions of six types; "Finish" shows once every one has an answer.
    containers = frame.locator(".questionset .question-container")
    for index in range(9):
        # Containers keep the set's order (not shuffled here); waiting for the next one to
        # show avoids answering the previous one again while it slides away.
        question = containers.nth(index)
        expect(question).to_be_visible(timeout=15_000)
        answer_any_question(question)
        move_on = question.locator(".h5p-question-next:visible, .h5p-question-finish:visible")
        if index == 8:
            move_on.click()
            break
        # On a slow machine H5P once let a tap on "Next" right after "Check" go unheeded
        # (CI, 2026-12-06): as a learner would, tap again while the next one has not come.
        for _attempt in range(3):
            if not move_on.is_visible():
                break
            move_on.click()
            try:
                expect(containers.nth(index + 1)).to_be_visible(timeout=5_000)
                break
            except AssertionError:
                continue


SAMPLE_PLAYS = {
    "H5P.MultiChoice.h5p": play_multichoice,
    "H5P.Blanks.h5p": play_blanks,
    "H5P.DragQuestion.h5p": play_dragquestion,
    "H5P.QuestionSet.h5p": play_questionset,
    "H5P.SingleChoiceSet.h5p": play_singlechoiceset,
    "tunapanda-h5p-test.TrueFalse.h5p": play_truefalse,
}


@pytest.fixture
def sample(request) -> Path:
    path = SAMPLES / request.param
    if not path.is_file():
        message = (
            f"The real H5P sample {path.name} is not in {SAMPLES} (a fresh clone outside CI "
            "has no shared/ folder next to it); this test needs it."
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.mark.parametrize("sample", list(SAMPLE_PLAYS), indirect=True, ids=lambda name: name)
def test_a_real_sample_plays_and_its_score_is_stored(new_page, sample):
    with sample.open("rb") as file:
        package = h5p_package_store(file=file)
    slug = "essai-h5p-" + re.sub(r"[^a-z0-9]+", "-", sample.stem.lower()).strip("-")
    module = module_showing(package, slug=slug)
    number, step = h5p_step_number(module)
    card, page = learner_on_step(new_page, f"Essai {sample.stem[-12:]}", module, number)
    frame = frame_of(page, number)

    SAMPLE_PLAYS[sample.name](frame)

    expect(page.locator(f"[data-step='{number}'] [data-h5p-result]")).to_be_visible(timeout=20000)
    (statement, *_others) = wait_for(
        lambda: step_statements(card, module, step),
        page=page,
        message=f"no statement recorded for {sample.name}",
    )
    assert statement.object_kind == "h5p"
    assert statement.is_self_reported is True
    assert statement.verb in ("answered", "completed")
    assert statement.score_max > 0
    assert 0 <= statement.score_raw <= statement.score_max
    progress = ActivityProgress.objects.get(
        learner=card.learner, activity_iri=module.step_iri(step.id)
    )
    assert progress.status == "completed"
    if statement.verb == "answered":
        assert progress.best_score_scaled == statement.score_scaled
    screenshot_frame(page, number, f"learner-h5p-sample-{slug}")
    # What each sample sent, for whoever runs this with -s.
    print(f"{sample.name}: {statement.verb} {statement.score_raw:g}/{statement.score_max:g}")


# --- The sandbox -------------------------------------------------------------------------

PROBE_JS = r"""
var PasAPas = (window.PasAPas = window.PasAPas || {});
PasAPas.Probe = function (params) {
  H5P.EventDispatcher.call(this);
  this.attach = function ($container) {
    $container[0].textContent = "Sonde";
    var report = { referrer: document.referrer };
    function attempt(name, read) {
      try {
        report[name] = { threw: false, value: String(read()) };
      } catch (error) {
        report[name] = { threw: true, error: String((error && error.name) || error) };
      }
    }
    attempt("cookie", function () { return document.cookie; });
    attempt("parentDocument", function () { return window.parent.document.cookie; });
    attempt("parentCsrf", function () {
      return window.parent.document.querySelector("[name=csrfmiddlewaretoken]").value;
    });
    attempt("topLocation", function () { return window.top.location.href; });
    attempt("pageStorage", function () { return localStorage.getItem("pasapas-test-marker"); });
    attempt("parentLocalStorage", function () { return window.parent.localStorage.length; });
    attempt("localStorageWrite", function () {
      localStorage.setItem("probe-was-here", "1");
      return localStorage.getItem("probe-was-here");
    });
    var body =
      "statement_id=6d1f3c9e-1f7a-4b8e-9c35-000000000001&h5p_verb=answered&h5p_raw=1" +
      "&h5p_min=0&h5p_max=1&h5p_scaled=1&h5p_success=true&h5p_completion=true";
    var targets = (params.targets || []).concat(document.referrer ? [document.referrer] : []);
    var requests = [];
    targets.forEach(function (url) {
      ["cors", "no-cors"].forEach(function (mode) {
        requests.push(
          fetch(url, {
            method: "POST",
            mode: mode,
            credentials: "include",
            headers: mode === "cors" ? { Accept: "application/json" } : {},
            body: new URLSearchParams(body),
          }).then(
            function (response) {
              return { url: url, mode: mode, status: response.status, type: response.type };
            },
            function (error) {
              return { url: url, mode: mode, error: String(error) };
            }
          )
        );
      });
      requests.push(
        fetch(url, { credentials: "include" }).then(
          function (response) {
            return response.text().then(function (text) {
              return { url: url, mode: "get", status: response.status, length: text.length };
            });
          },
          function (error) {
            return { url: url, mode: "get", error: String(error) };
          }
        )
      );
    });
    Promise.all(requests).then(function (results) {
      report.requests = results;
      window.parent.postMessage({ type: "pasapas:probe", report: report }, "*");
    });
  };
};
"""


def probe_package(targets: list[str]) -> io.BytesIO:
    """A valid .h5p file whose library tries to get out of the frame."""
    files = {
        "h5p.json": json.dumps(
            {
                "title": "Sonde",
                "language": "fr",
                "mainLibrary": "PasAPas.Probe",
                "embedTypes": ["div"],
                "preloadedDependencies": [
                    {"machineName": "PasAPas.Probe", "majorVersion": "1", "minorVersion": "0"}
                ],
            }
        ),
        "content/content.json": json.dumps({"targets": targets}),
        "PasAPas.Probe-1.0/library.json": json.dumps(
            {
                "title": "Probe",
                "machineName": "PasAPas.Probe",
                "majorVersion": 1,
                "minorVersion": 0,
                "patchVersion": 0,
                "runnable": 1,
                "preloadedJs": [{"path": "probe.js"}],
            }
        ),
        "PasAPas.Probe-1.0/probe.js": PROBE_JS,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def test_an_activity_cannot_reach_the_learner_s_page_cookies_or_records(new_page):
    phishing = ModulePage.objects.get(slug=PHISHING, locale__language_code="fr-be")
    phishing_step, _step = h5p_step_number(phishing)
    targets = [
        f"/apprendre/{phishing.pk}/etape/{phishing_step}/",
        "/api/statements/",
        "/api/v1/xapi/statements",
        "/impact/",
        "/deconnexion/",
    ]
    package = h5p_package_store(file=probe_package(targets))
    module = module_showing(package, slug="essai-h5p-sonde")
    number, _step = h5p_step_number(module)
    card = new_learner("Sonia")
    page = new_page("phone")
    # Listens in the learner's page for what the probe reports (the host ignores it).
    page.add_init_script(
        "window.addEventListener('message', (event) => {"
        "  if (event.data && event.data.type === 'pasapas:probe') window.__probe = event.data.report;"
        "});"
    )
    sign_in_with_card(page, card.token, PIN)
    page.evaluate("localStorage.setItem('pasapas-test-marker', 'the learner page')")
    statements_before = Statement.objects.count()
    page.goto(f"/apprendre/{module.pk}/etape/{number}/")
    page.wait_for_function("window.__probe !== undefined", timeout=20000)
    report = page.evaluate("window.__probe")

    # An opaque origin has no cookies: reading them throws (or gives nothing).
    assert report["cookie"]["threw"] or report["cookie"]["value"] == "", report["cookie"]
    assert report["parentDocument"]["threw"] is True, report["parentDocument"]
    assert report["parentCsrf"]["threw"] is True, report["parentCsrf"]
    assert report["topLocation"]["threw"] is True, report["topLocation"]
    assert report["parentLocalStorage"]["threw"] is True, report["parentLocalStorage"]
    # The frame has its own memory-only storage: nothing of the learner's page is in it...
    assert report["pageStorage"] == {"threw": False, "value": "null"}
    # ...and what it writes never reaches the page's storage.
    assert page.evaluate("localStorage.getItem('probe-was-here')") is None
    # It tried the learner's own step URL too, which it learns from the referrer.
    assert report["referrer"].endswith(f"/apprendre/{module.pk}/etape/{number}/")
    # Every request left the frame (no-cors ones come back opaque: the server was really
    # asked), and no answer could be read.
    assert len(report["requests"]) == 3 * (len(targets) + 1)
    for request in report["requests"]:
        if request["mode"] == "no-cors":
            assert request.get("type") == "opaque", request
        else:
            assert "error" in request, request

    page.wait_for_timeout(500)  # let the server finish any request still on its way
    assert Statement.objects.count() == statements_before
    # The learner is still signed in: the probe's POST to the sign-out URL did nothing.
    page.goto("/mon-parcours/")
    assert page.url.endswith("/mon-parcours/")
    expect(page.get_by_text("Bonjour Sonia")).to_be_visible()
