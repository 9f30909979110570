"""The largest text fits the smallest phone: every learner screen, measured in the browser.

At 320x568 and 390x844, at each text size the site offers, every learner page and every step
kind of the module player is checked geometrically: no horizontal scroll, controls at least
44x44 px, no two controls overlapping, and no control left under the sticky step navigation
when it is brought into view (as the browser does when the learner moves the focus to it).
One browser context per screen size, one page reused for every screen, to keep CI quick.
"""

import re

import pytest
from wagtail.models import Locale

from .conftest import RESULTS, axe_violations, screenshot

pytestmark = pytest.mark.browser

SCREENS = {"320": (320, 568), "390": (390, 844)}
TEXT_SIZES = ("normal", "large", "larger")
# (language, text size) measured on each screen: Dutch, whose words are longer, with the
# largest text on the smallest screen.
PASSES = {
    "320": [("fr", size) for size in TEXT_SIZES] + [("nl", "larger")],
    "390": [("fr", size) for size in TEXT_SIZES],
}
MIN_TARGET = 44

# Measures the page as the learner's thumb and eyes meet it. A control's target is its
# label when the label wraps it (the radio buttons of the choices). Links inside running
# text are left out of the size rule, as WCAG 2.5.8 does ("inline" targets).
GEOMETRY = """
() => {
  const root = document.scrollingElement;
  const shown = (el) => {
    if (el.closest('[hidden]')) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    const r = el.getBoundingClientRect();
    // The skip link waits off screen until it gets the focus.
    return r.width > 0 && r.height > 0 && r.right + window.scrollX > 0;
  };
  const name = (el) => (el.getAttribute('aria-label') || el.innerText || el.value
    || el.name || el.tagName).trim().replace(/\\s+/g, ' ').slice(0, 40);
  const inline = (el) => el.tagName === 'A' && getComputedStyle(el).display === 'inline'
    && el.parentElement.innerText.trim().length > el.innerText.trim().length;
  const targets = [];
  for (const el of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (!shown(el)) continue;
    const target = (el.tagName === 'INPUT' && el.closest('label')) || el;
    if (targets.some((t) => t.el === target)) continue;
    targets.push({el: target, name: name(target), inline: inline(el)});
  }
  const bar = [...document.querySelectorAll('*')].find((el) => {
    const position = getComputedStyle(el).position;
    return (position === 'sticky' || position === 'fixed') && shown(el);
  });
  const problems = [];
  if (root.scrollWidth > root.clientWidth) {
    const wide = [...document.querySelectorAll('body *')].filter(
      (el) => shown(el) && el.getBoundingClientRect().right > root.clientWidth + 0.5);
    problems.push(`horizontal scroll: ${root.scrollWidth} > ${root.clientWidth} px (`
      + wide.slice(-3).map((el) => el.tagName + '.' + el.className).join(', ') + ')');
  }
  window.scrollTo(0, 0);
  const rects = targets.map((t) => t.el.getBoundingClientRect());
  targets.forEach((t, i) => {
    const r = rects[i];
    if (!t.inline && (r.width < 44 - 0.5 || r.height < 44 - 0.5)) {
      problems.push(`small target "${t.name}": ${r.width.toFixed(0)}x${r.height.toFixed(0)}`);
    }
    for (let j = 0; j < i; j++) {
      const o = rects[j];
      if (t.el.contains(targets[j].el) || targets[j].el.contains(t.el)) continue;
      // Content passes under the sticky bar while scrolling: checked below instead.
      if (bar && bar.contains(t.el) !== bar.contains(targets[j].el)) continue;
      const dx = Math.min(r.right, o.right) - Math.max(r.left, o.left);
      const dy = Math.min(r.bottom, o.bottom) - Math.max(r.top, o.top);
      if (dx > 1 && dy > 1) problems.push(`overlap "${t.name}" / "${targets[j].name}"`);
    }
  });
  if (bar) {
    const height = bar.getBoundingClientRect().height;
    if (height > window.innerHeight * 0.2) {
      problems.push(`sticky bar ${height.toFixed(0)} px high, over a fifth of the screen`);
    }
    for (const t of targets) {
      if (bar.contains(t.el)) continue;
      t.el.scrollIntoView({block: 'nearest'});
      const r = t.el.getBoundingClientRect();
      const b = bar.getBoundingClientRect();
      if (r.bottom > b.top + 1 && r.top < b.bottom - 1) {
        problems.push(`"${t.name}" under the sticky bar`);
      }
    }
    window.scrollTo(0, 0);
  }
  return problems;
}
"""


def learner_screens(page) -> list[tuple[str, str]]:
    """(name, address) of every learner screen: the pages and one step of each kind."""
    from courses.models import CatalogueIndexPage, LearningPathPage, ModulePage, ThemePage

    catalogue = CatalogueIndexPage.objects.live().first()
    theme = ThemePage.objects.live().first()
    module = ModulePage.objects.live().first()
    learning_path = LearningPathPage.objects.live().first()
    screens = [
        ("my-path", "/mon-parcours/"),
        ("catalogue", catalogue.url),
        ("catalogue-theme", f"{catalogue.url}?theme={theme.slug}"),
        ("module", module.url),
        ("path", learning_path.url),
        ("help", "/ou-trouver-de-l-aide/"),
        ("outcome", f"/apprendre/{module.pk}/avant/"),
        ("bravo", f"/apprendre/{module.pk}/bravo/"),
    ]
    kinds = {}
    for candidate in ModulePage.objects.live().order_by("path"):
        for number, step in enumerate(candidate.steps, start=1):
            kinds.setdefault(step.block_type, (candidate.pk, number))
    for kind, (module_id, number) in sorted(kinds.items()):
        screens.append((f"step-{kind}", f"/apprendre/{module_id}/etape/{number}/"))
    return screens


def card_screens(page, card_token: str) -> list[tuple[str, str]]:
    return [
        ("sign-in", "/connexion/"),
        ("card-code", "/carte/code/"),
        ("card-secret", f"/c/{card_token}/"),
        ("card-pictures", "/carte/images/"),
    ]


def sign_in_any_language(page, username: str) -> None:
    page.goto("/connexion/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill("demo")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/mon-parcours/")


# The pretend sign-in steps open their later parts as the learner goes (the itsme code once
# "Confirm" is chosen, the card reader once the identity card is, the PIN once the card is
# in): opened before measuring, as the parts above them stay where they are.
OPEN_PRETEND_PARTS = """
() => document.querySelectorAll(
  '[data-step]:not([hidden]) :is(input[name=decision][value=confirm], '
  + 'input[name=method][value=eid], input[name=card])'
).forEach((input) => { input.checked = true; })
"""


def measure(page, name: str, address: str) -> list[str]:
    page.goto(address)
    page.wait_for_load_state()
    page.evaluate(OPEN_PRETEND_PARTS)
    return [f"{name}: {problem}" for problem in page.evaluate(GEOMETRY)]


@pytest.mark.slow  # every learner screen, at each text size, at each phone width
@pytest.mark.parametrize("screen", sorted(SCREENS))
def test_every_learner_screen_fits_a_small_phone_at_every_text_size(browser, demo_server, screen):
    from lms.demo.builder import DEMO_CARD_TOKEN

    width, height = SCREENS[screen]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="fr-BE",
        base_url=demo_server.url,
        bypass_csp=True,
    )
    context.route(lambda url: not url.startswith(demo_server.url), lambda route: route.abort())
    page = context.new_page()
    problems = []
    try:
        for language, size in PASSES[screen]:
            context.clear_cookies()
            context.add_cookies(
                [
                    {"name": "pasapas_text_size", "value": size, "url": demo_server.url},
                    {"name": "django_language", "value": language, "url": demo_server.url},
                ]
            )
            shots = size == "larger" and screen == "320"
            for name, address in card_screens(page, DEMO_CARD_TOKEN):
                problems += measure(page, f"{language} {size} {name}", address)
                if shots:
                    screenshot(page, f"phone-{screen}-{size}-{language}-{name}")
                    problems += [f"{name}: axe {v}" for v in axe_violations(page)]
            sign_in_any_language(page, "apprenant")
            for name, address in learner_screens(page):
                problems += measure(page, f"{language} {size} {name}", address)
                if shots:
                    screenshot(page, f"phone-{screen}-{size}-{language}-{name}")
                    problems += [f"{name}: axe {v}" for v in axe_violations(page)]
    finally:
        context.close()
    report = RESULTS / f"phone-fit-{screen}.txt"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(problems))
    assert problems == []


def test_the_progress_dots_fill_as_steps_are_done_without_a_reload(new_page):
    from playwright.sync_api import expect

    from courses.models import ModulePage

    from .test_learner import current_step, new_learner, sign_in_with_card

    module = ModulePage.objects.get(slug="utiliser-un-ecran-tactile", locale=Locale.get_default())
    assert module.steps[0].block_type == "explanation"
    card = new_learner("Lucienne")
    page = new_page("phone")
    sign_in_with_card(page, card.token, "2468")
    page.goto(f"/apprendre/{module.pk}/etape/1/")
    done = re.compile(r"\bis-done\b")
    first_dot = current_step(page).locator(".dots li").first
    expect(first_dot).not_to_have_class(done)
    current_step(page).get_by_role("button", name="Suivant").click()
    expect(current_step(page)).to_have_attribute("data-step", "2")
    # Step 2's row shows step 1 done, and so does step 1's row if the learner goes back.
    expect(current_step(page).locator(".dots li").first).to_have_class(done)
    expect(page.locator("[data-step='1'] .dots li").first).to_have_class(done)
    page.get_by_role("link", name="Retour").click()
    expect(current_step(page)).to_have_attribute("data-step", "1")


def test_choosing_a_theme_on_a_phone_brings_its_modules_into_view(new_page):
    from playwright.sync_api import expect

    from courses.models import CatalogueIndexPage, ModulePage, ThemePage

    french = {"locale": Locale.get_default()}
    # The last card of the French catalogue: the farthest down the page.
    theme = ThemePage.objects.live().filter(**french).order_by("-path").first()
    module = ModulePage.objects.live().child_of(theme).first()
    page = new_page("phone")
    page.goto(CatalogueIndexPage.objects.live().filter(**french).first().url)
    page.get_by_role("link", name=theme.title, exact=True).click()
    expect(page.get_by_role("link", name=module.title)).to_be_in_viewport()
    # The search form's theme list does the same.
    page.goto(CatalogueIndexPage.objects.live().filter(**french).first().url)
    page.get_by_label("Thème").select_option(theme.slug)
    page.locator("form[role=search] button[type=submit]").click()
    expect(page.get_by_role("link", name=module.title)).to_be_in_viewport()
