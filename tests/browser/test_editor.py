"""An editor on a laptop writes a module in the Wagtail admin: every step kind, preview, publish."""

import re
import uuid
from urllib.parse import urlencode

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect
from wagtail.documents.models import Document

from courses.h5p.services import h5p_package_store
from courses.models import ModulePage, ThemePage
from tests.courses.h5p.packages import valid_package

from .conftest import screenshot, sign_in

pytestmark = pytest.mark.browser

THEME_SLUG = "premiers-pas"


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


def labelled(scope, label: str):
    """The field labelled `label` (required fields add a star to the label)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}\*?$"))


def open_new_module(page):
    """From the theme's page in the admin explorer to the form of a new module."""
    theme = ThemePage.objects.get(slug=THEME_SLUG, locale__language_code="fr-be")
    page.goto(f"/admin/pages/{theme.pk}/")
    page.get_by_role("link", name="Ajouter une sous-page").click()
    expect(page.get_by_placeholder("Titre de la page")).to_be_visible()


def fill_module(page, *, title: str, goal: str, minutes: int = 10, level: int = 1) -> None:
    page.get_by_placeholder("Titre de la page").fill(title)
    page.get_by_role("textbox", name="Objectif*").fill(goal)
    page.get_by_role("spinbutton", name="Durée en minutes*").fill(str(minutes))
    page.get_by_role("spinbutton", name="Niveau de maîtrise DigComp*").fill(str(level))


def steps(page):
    return page.locator(
        "#steps-root [data-streamfield-stream-container] > [data-streamfield-child]"
    )


def add_step(page, label: str):
    """Add a step of the kind `label` at the end of the steps; return its block."""
    count = steps(page).count()
    page.locator("#steps-root button[title='Insérer un bloc']").last.click()
    page.get_by_role("option", name=label, exact=True).click()
    expect(steps(page)).to_have_count(count + 1)
    block = steps(page).nth(count)
    expect(block.locator(".c-sf-block__type").first).to_have_text(label)
    return block


def list_item(block, index: int):
    """The list item `index` of the block's only list, adding items until it exists."""
    items = block.locator("[data-streamfield-list-container] > [data-streamfield-child]")
    while items.count() <= index:
        count = items.count()
        block.locator(
            "[data-streamfield-list-container] > button[data-streamfield-list-add]"
        ).last.click()
        expect(items).to_have_count(count + 1)
    return items.nth(index)


def choose(page, field, title: str) -> None:
    """Open a chooser, search for `title` and pick it."""
    field.get_by_role("button", name=re.compile("^Choisir")).click()
    dialog = page.get_by_role("dialog")
    # The list shown first holds the item too: a click on it while the search's answer
    # replaces the list can be lost (seen once on a loaded CI run), so the answer comes first.
    with page.expect_response(lambda response: "q=" in response.url):
        dialog.get_by_placeholder("Chercher").fill(title)
    dialog.get_by_role("link", name=title, exact=True).click()
    # Picking asks the server once more before the dialog closes.
    expect(dialog).to_be_hidden(timeout=20_000)
    expect(field.get_by_text(title, exact=True)).to_be_visible()


def wait_for_autosave(page) -> None:
    """Wagtail autosaves while the editor works: let a running autosave end before saving."""
    form = page.locator("form[data-edit-form]")
    expect(form).not_to_have_attribute("data-w-autosave-state-value", "saving")


def save_draft(page) -> None:
    wait_for_autosave(page)
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    page.wait_for_load_state()


STEP_KINDS = [
    "explanation",
    "video",
    "quiz",
    "practice_form",
    "practice_inbox",
    "h5p",
    "checkpoint",
]


def test_an_editor_writes_previews_and_publishes_a_module_with_every_step_kind(new_page):
    key = uuid.uuid4().hex[:6]
    video = Document.objects.create(
        title=f"Vidéo trombone {key}",
        file=ContentFile(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", name=f"trombone-{key}.mp4"),
    )
    captions = Document.objects.create(
        title=f"Sous-titres trombone {key}",
        file=ContentFile(
            b"WEBVTT\n\n00:00.000 --> 00:02.000\nLe trombone est en haut.\n",
            name=f"trombone-{key}.vtt",
        ),
    )
    package = h5p_package_store(file=valid_package(title=f"Vrai ou faux {key}"))
    title = f"Joindre une photo {key}"

    page = new_page("laptop")
    sign_in(page, "editeur")
    open_new_module(page)
    fill_module(
        page, title=title, goal="Vous saurez joindre une photo à un e-mail.", minutes=8, level=2
    )
    screenshot(page, "editor-module-new")

    block = add_step(page, "Explication")
    labelled(block, "Titre").fill("Le bouton trombone")
    labelled(block, "Texte").fill("Le trombone sert à joindre une photo. Il est en haut.")

    block = add_step(page, "Vidéo")
    labelled(block, "Titre").fill("Regardez le trombone")
    choose(page, block.locator("[data-contentpath='video']"), video.title)
    choose(page, block.locator("[data-contentpath='captions']"), captions.title)
    labelled(block, "Texte court sous la vidéo").fill("La vidéo montre le trombone.")

    block = add_step(page, "Quiz")
    labelled(block, "Question").fill("Où est le trombone ?")
    answers = [
        ("En haut", True, "Oui, il est en haut."),
        ("En bas", False, "Regardez plutôt en haut."),
        ("Nulle part", False, "Il existe : regardez en haut."),
    ]
    for index, (text, right, feedback) in enumerate(answers):
        answer = list_item(block, index)
        labelled(answer, "Réponse").fill(text)
        if right:
            labelled(answer, "C'est la bonne réponse").check()
        labelled(answer, "Message de retour").fill(feedback)

    block = add_step(page, "Exercice : formulaire d'entraînement")
    labelled(block, "Titre").fill("Votre adresse")
    labelled(block, "Consignes").fill("Écrivez votre adresse e-mail.")
    field = list_item(block, 0)
    labelled(field, "Libellé").fill("Adresse e-mail")
    labelled(field, "Type").select_option(label="Adresse e-mail")

    block = add_step(page, "Exercice : boîte e-mail d'entraînement")
    labelled(block, "Titre").fill("Votre boîte aux lettres")
    messages = [
        (
            "banque@secure-mail.example",
            "Urgent : votre compte",
            True,
            "Une banque ne demande pas cela.",
        ),
        ("mamie@example.be", "Photo du chat", False, "Vous connaissez cette personne."),
    ]
    for index, (sender, subject, scam, explanation) in enumerate(messages):
        message = list_item(block, index)
        labelled(message, "Expéditeur").fill(sender)
        labelled(message, "Objet").fill(subject)
        labelled(message, "Message").fill(f"Bonjour. {subject}.")
        if scam:
            labelled(message, "Ce message est une arnaque").check()
        labelled(message, "Explication").fill(explanation)

    block = add_step(page, "Activité H5P")
    choose(page, block.locator("[data-contentpath='package']"), package.title)

    block = add_step(page, "Validation par le formateur")
    labelled(block, "Ce que l'apprenant montre").fill(
        "Montrez à votre formateur que vous savez joindre une photo."
    )
    labelled(block, "Libellé court pour le formateur").fill("Joint une photo")
    block.scroll_into_view_if_needed()
    screenshot(page, "editor-module-steps")

    # The preview panel shows the module as learners will see it, step by step.
    page.get_by_role("button", name="Afficher/masquer la prévisualisation").click()
    preview = page.frame_locator("#w-preview-iframe")
    # Wagtail posts the whole form, validates it and renders the page before the panel shows
    # anything: seconds on a loaded CI machine, so the first look waits longer than usual.
    expect(preview.get_by_role("heading", name=title)).to_be_visible(timeout=30_000)
    expect(preview.get_by_text("7 étapes")).to_be_visible()
    shown = [
        "Le bouton trombone",
        "Regardez le trombone",
        "Où est le trombone ?",
        "Votre adresse",
        "Votre boîte aux lettres",
        package.title,
        "Montrez à votre formateur que vous savez joindre une photo.",
    ]
    for number, text in enumerate(shown, start=1):
        step = preview.get_by_role("region", name=f"Étape {number}", exact=True)
        expect(step.get_by_text(f"Étape {number} sur 7")).to_be_visible()
        expect(step.get_by_text(text, exact=True)).to_be_attached()
    screenshot(page, "editor-module-preview")

    # Editors submit to the moderators' workflow; a moderator approves and publishes.
    wait_for_autosave(page)
    page.get_by_role("button", name="Plus d'actions").click()
    page.get_by_role("button", name=re.compile("^Soumettre")).click()
    expect(page.get_by_text(f"La page « {title} » a été soumise pour modération.")).to_be_visible()
    screenshot(page, "editor-module-submitted")
    module = ModulePage.objects.get(title=title)
    assert not module.live

    moderator = new_page("laptop")
    sign_in(moderator, "admin")
    moderator.goto(f"/admin/pages/{module.pk}/edit/")
    moderator.get_by_role("button", name="Plus d'actions").click()
    moderator.get_by_role("button", name="Approuver et Publier", exact=True).click()
    expect(moderator.get_by_text(f"La page « {title} » a été mise à jour.")).to_be_visible()
    screenshot(moderator, "editor-module-published")

    module.refresh_from_db()
    assert module.live
    assert module.get_parent().slug == THEME_SLUG
    assert (module.duration_minutes, module.level) == (8, 2)
    assert [step.block_type for step in module.steps] == STEP_KINDS
    explanation, video_step, quiz, form, inbox, h5p, checkpoint = (s.value for s in module.steps)
    assert explanation["title"] == "Le bouton trombone"
    assert (video_step["video"], video_step["captions"]) == (video, captions)
    assert [answer["is_correct"] for answer in quiz["answers"]] == [True, False, False]
    assert [field["kind"] for field in form["fields"]] == ["email"]
    assert [message["is_scam"] for message in inbox["messages"]] == [True, False]
    assert h5p["package"] == package
    assert checkpoint["text"].startswith("Montrez à votre formateur")
    assert checkpoint["trainer_label"] == "Joint une photo"

    # Any visitor finds it in the catalogue, by its theme and by its title.
    visitor = new_page("laptop")
    visitor.goto(f"/catalogue/?theme={THEME_SLUG}")
    expect(visitor.get_by_role("link", name=title, exact=True)).to_be_visible()
    visitor.goto(f"/catalogue/?{urlencode({'q': title})}")
    expect(visitor.get_by_role("link", name=title, exact=True)).to_be_visible()
    screenshot(visitor, "editor-module-in-catalogue")
    visitor.get_by_role("link", name=title, exact=True).click()
    expect(visitor.get_by_role("heading", name=title)).to_be_visible()
    expect(visitor.get_by_text("7 étapes")).to_be_visible()


def test_the_admin_refuses_a_quiz_without_a_right_answer_with_a_clear_message(new_page):
    title = unique("Quiz sans bonne réponse")
    page = new_page("laptop")
    sign_in(page, "editeur")
    open_new_module(page)
    fill_module(page, title=title, goal="Vous saurez reconnaître un lien sûr.")
    block = add_step(page, "Quiz")
    labelled(block, "Question").fill("Ce lien est-il sûr ?")
    for index, (text, feedback) in enumerate([("Oui", "Regardez l'adresse."), ("Non", "Bien vu.")]):
        answer = list_item(block, index)
        labelled(answer, "Réponse").fill(text)
        labelled(answer, "Message de retour").fill(feedback)

    save_draft(page)
    expect(
        page.get_by_text("La page ne peut être créée du fait d'erreurs de validation.")
    ).to_be_visible()
    answers = steps(page).nth(0).locator("[data-contentpath='answers']")
    error = answers.get_by_text("Cochez exactement une bonne réponse (actuellement : 0).")
    expect(error).to_be_visible()
    error.scroll_into_view_if_needed()
    screenshot(page, "editor-quiz-without-right-answer")
    assert not ModulePage.objects.filter(title=title, live=True).exists()


LONG_SENTENCE = (
    "Pour envoyer une photo à votre petite-fille, vous ouvrez d'abord votre messagerie "
    "puis vous cliquez sur le gros bouton bleu."
)


def test_the_editor_is_warned_about_long_sentences_but_can_save(new_page):
    title = unique("Phrases longues")
    page = new_page("laptop")
    sign_in(page, "editeur")
    open_new_module(page)
    fill_module(page, title=title, goal="Vous saurez envoyer une photo.")
    block = add_step(page, "Explication")
    labelled(block, "Titre").fill("Envoyer une photo")
    text = labelled(block, "Texte")
    text.press_sequentially(LONG_SENTENCE)
    hint = text.locator("xpath=following-sibling::p[contains(@class, 'pasapas-plain-hint')]")
    expect(hint).to_be_visible()
    expect(hint).to_have_text(re.compile(r"^Phrase longue : 20 mots"))
    hint.scroll_into_view_if_needed()
    screenshot(page, "editor-long-sentence-hint")

    save_draft(page)
    expect(page.get_by_text("Étape 1 : une phrase a 20 mots", exact=False)).to_be_visible()
    screenshot(page, "editor-long-sentence-warning")
    module = ModulePage.objects.get(title=title)
    assert not module.live
    draft = module.get_latest_revision_as_object()
    assert [step.value["text"] for step in draft.steps] == [LONG_SENTENCE]
