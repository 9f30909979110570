"""A session noted in under a minute on a tablet (820 by 1180): twelve learners, two absent,
ten validated on two checkpoints, in at most 15 taps; the same with JavaScript off; the group
matrix scrolls inside itself, its names column staying in view."""

import datetime

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from courses.models import LearningPathPage
from lms.accounts.models import User
from lms.learning.models import Statement, Verb
from lms.logbook.models import Group, TrainingSession
from lms.logbook.selectors import checkpoints_for_trainer, group_modules
from tests.factories import learner_in

from .conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser
TABLET = {"width": 820, "height": 1180}
TAP_BUDGET = 15
NAMES = [
    "Oumar",
    "Brigitte",
    "Chloé",
    "Dragan",
    "Elif",
    "Farid",
    "Greta",
    "Hamza",
    "Ilse",
    "Jules",
    "Kenza",
    "Lucien",
]
EVERYONE_ALONE = "Tout le monde\u202f: seul·e"


def assert_accessible(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name


def evening_group(name: str, prefix: str) -> Group:
    """A group of twelve meeting from 18:00 to 20:30, on a path with two checkpoints or more."""
    path = next(
        path
        for path in LearningPathPage.objects.live().order_by("pk")
        if path.locale.language_code == "fr-be" and path.path_modules.count() >= 2
    )
    group = Group.objects.create(
        association_id=Group.objects.get(
            association__slug="les-tilleuls", name="Groupe lundi 1"
        ).association_id,
        name=name,
        learning_path=path,
        usual_starts_at=datetime.time(18, 0),
        usual_ends_at=datetime.time(20, 30),
    )
    group.trainers.add(User.objects.get(username="formateur"))
    learners = [
        learner_in(group.association, username=f"{prefix}-{index}", display_name=first_name)
        for index, first_name in enumerate(NAMES)
    ]
    group.learners.add(*learners)
    return group


def validated(session) -> set[tuple[str, str, str]]:
    """(first name, checkpoint IRI, help) of each validation the session recorded."""
    return {
        (statement.learner.display_name, statement.object_iri, statement.response["help"])
        for statement in Statement.objects.filter(
            verb=Verb.VALIDATED, session_uuid=session.uuid
        ).select_related("learner")
    }


def test_a_session_of_twelve_with_two_absent_and_two_checkpoints_takes_at_most_15_taps(
    new_page,
):
    group = evening_group("Groupe du soir (test)", "soir")
    first, second = group_modules(group)[:2]
    checkpoints = checkpoints_for_trainer([first, second])
    assert len(checkpoints) == 2  # one "show your trainer" step in each module
    absent = {"Dragan", "Kenza"}

    taps = 0

    def tap(locator) -> None:
        nonlocal taps
        taps += 1
        locator.click()

    page = new_page("tablet")
    page.set_viewport_size(TABLET)
    sign_in(page, "formateur")
    page.goto(reverse("logbook:group", args=[group.pk]))

    tap(page.get_by_role("link", name="Noter une séance").first)
    # The group's usual hours; nobody ticked yet.
    expect(page.get_by_label("Heure de début")).to_have_value("18:00")
    expect(page.get_by_label("Heure de fin")).to_have_value("20:30")
    who_came = page.get_by_role("group", name="Qui est venu\u202f?")
    expect(who_came.get_by_role("checkbox", checked=True)).to_have_count(0)
    assert_accessible(page, "session-1-nobody-ticked")
    tap(page.get_by_role("button", name="Tout le monde est venu"))
    expect(who_came.get_by_role("checkbox", checked=True)).to_have_count(12)
    for name in sorted(absent):
        tap(who_came.get_by_role("checkbox", name=name))
    expect(who_came.get_by_role("checkbox", checked=True)).to_have_count(10)
    modules = page.get_by_role("group", name="Modules vus")
    expect(modules.get_by_role("checkbox", name=first.title, exact=True)).to_be_checked()
    tap(modules.get_by_role("checkbox", name=second.title, exact=True))
    screenshot(page, "session-1-ticked")
    tap(page.get_by_role("button", name="Continuer", exact=True))

    # Step 2: per checkpoint, the trainer's short label, "everyone alone", then exceptions.
    sections = page.locator("[data-checkpoint]")
    expect(sections).to_have_count(2)
    for section, checkpoint in zip((sections.nth(0), sections.nth(1)), checkpoints, strict=True):
        expect(section.get_by_role("heading", level=2)).to_have_text(checkpoint.label)
        assert not checkpoint.label.startswith("Montrez")
        # The fixed order of the scale, on each person's row; "Pas encore" chosen by default.
        row = section.get_by_role("radiogroup").first
        expect(row.get_by_role("radio")).to_have_count(4)
        expect(row.locator("label")).to_have_text(
            ["Pas encore", "Avec beaucoup d'aide", "Avec un peu d'aide", "Seul·e"]
        )
        expect(row.get_by_role("radio", name="Pas encore")).to_be_checked()
        expect(section.get_by_role("radiogroup")).to_have_count(10)
    assert_accessible(page, "session-2-validations")
    no_page_scroll = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(no_page_scroll)

    for section in (sections.nth(0), sections.nth(1)):
        tap(section.get_by_role("button", name=EVERYONE_ALONE))
        expect(section.get_by_role("radio", name="Seul·e", checked=True)).to_have_count(10)
    # The exceptions: Brigitte needed a little help on the first, Oumar a lot on the second.
    tap(
        sections.nth(0)
        .get_by_role("radiogroup", name="Brigitte")
        .get_by_role("radio", name="Avec un peu d'aide")
    )
    tap(
        sections.nth(1)
        .get_by_role("radiogroup", name="Oumar")
        .get_by_role("radio", name="Avec beaucoup d'aide")
    )
    screenshot(page, "session-2-chosen")
    tap(page.get_by_role("button", name="Enregistrer la séance").last)
    expect(page.get_by_text("Séance enregistrée")).to_be_visible()

    print(f"\nSession noted in {taps} taps (budget {TAP_BUDGET})")
    assert taps <= TAP_BUDGET

    # The database holds exactly that.
    session = TrainingSession.objects.get(group=group)
    assert (session.starts_at, session.ends_at) == (datetime.time(18), datetime.time(20, 30))
    assert set(session.modules.all()) == {first, second}
    present = set(session.attendances.values_list("learner__display_name", flat=True))
    assert present == set(NAMES) - absent
    exceptions = {
        ("Brigitte", 0): "little_help",
        ("Oumar", 1): "lot_of_help",
    }
    iris = [checkpoint.module.step_iri(checkpoint.step_id) for checkpoint in checkpoints]
    assert validated(session) == {
        (name, iris[index], exceptions.get((name, index), "alone"))
        for name in present
        for index in range(2)
    }


def test_without_javascript_the_everyone_buttons_send_the_form_and_save_nothing(
    browser, demo_server
):
    group = evening_group("Groupe du soir sans script (test)", "soir-nojs")
    first = group_modules(group)[0]
    (checkpoint,) = checkpoints_for_trainer([first])
    context = browser.new_context(
        viewport=TABLET,
        locale="fr-BE",
        base_url=demo_server.url,
        java_script_enabled=False,
        bypass_csp=True,
    )
    context.route(lambda url: not url.startswith(demo_server.url), lambda route: route.abort())
    try:
        page = context.new_page()
        sign_in(page, "formateur")
        page.goto(reverse("logbook:session_new", args=[group.pk]))
        page.get_by_label("Lieu").fill("Salle du fond")
        page.get_by_role("button", name="Tout le monde est venu").click()
        # Shown again, everyone ticked, what was typed kept, nothing saved.
        who_came = page.get_by_role("group", name="Qui est venu\u202f?")
        expect(who_came.get_by_role("checkbox", checked=True)).to_have_count(12)
        expect(page.get_by_label("Lieu")).to_have_value("Salle du fond")
        assert not TrainingSession.objects.filter(group=group).exists()
        who_came.get_by_role("checkbox", name="Elif").uncheck()
        page.get_by_role("button", name="Continuer", exact=True).click()

        section = page.locator("[data-checkpoint]")
        section.get_by_role("radiogroup", name="Farid").get_by_role(
            "radio", name="Avec un peu d'aide"
        ).check()
        section.get_by_role("button", name=EVERYONE_ALONE).click()
        # Everyone alone now, Farid too; still nothing recorded.
        expect(section.get_by_role("radio", name="Seul·e", checked=True)).to_have_count(11)
        session = TrainingSession.objects.get(group=group)
        assert validated(session) == set()
        section.get_by_role("radiogroup", name="Greta").get_by_role(
            "radio", name="Pas encore"
        ).check()
        screenshot(page, "session-2-without-javascript")
        # On a phone, each name above its four buttons, two by two, without sideways scroll.
        page.set_viewport_size({"width": 360, "height": 740})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, "session-2-phone")
        page.get_by_role("button", name="Enregistrer la séance").last.click()
        expect(page.get_by_text("Séance enregistrée")).to_be_visible()
    finally:
        context.close()
    iri = first.step_iri(checkpoint.step_id)
    assert validated(session) == {(name, iri, "alone") for name in set(NAMES) - {"Elif", "Greta"}}
    assert session.attendances.count() == 11


def test_the_group_matrix_scrolls_inside_the_table_and_keeps_the_names_in_view(new_page):
    # The demo group whose path has the most modules: the widest matrix.
    group = max(
        Group.objects.filter(association__slug="les-tilleuls", learning_path__isnull=False),
        key=lambda group: group.learning_path.path_modules.count(),
    )
    page = new_page("tablet")
    page.set_viewport_size(TABLET)
    sign_in(page, "formateur")
    page.goto(reverse("logbook:group", args=[group.pk]))
    assert_accessible(page, "group-matrix-tablet")
    sizes = page.evaluate(
        """() => {
            const box = document.querySelector('.table-scroll');
            return {page: document.documentElement.scrollWidth, window: window.innerWidth,
                    inner: box.scrollWidth, outer: box.clientWidth};
        }"""
    )
    print(f"\nGroup matrix at 820 px: {sizes}")
    assert sizes["page"] <= sizes["window"]  # no page-level horizontal scroll
    assert sizes["inner"] > sizes["outer"]  # the table scrolls inside itself
    name_cell = page.locator(".matrix tbody th.matrix__person").first
    module_cell = page.locator(".matrix tbody tr").first.locator("td").first
    before = name_cell.bounding_box()["x"], module_cell.bounding_box()["x"]
    page.locator(".table-scroll").evaluate("box => { box.scrollLeft = box.scrollWidth; }")
    after = name_cell.bounding_box()["x"], module_cell.bounding_box()["x"]
    assert after[0] == before[0]  # the names stay where they were
    assert after[1] < before[1]  # the modules moved under them
    screenshot(page, "group-matrix-tablet-scrolled")
