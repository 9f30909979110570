"""Plain-language warnings: editors are told, never blocked."""

import pytest

from courses.blocks import StepBlock
from courses.plain_language import plain_language_warnings


def steps(*texts: str):
    return StepBlock().to_python(
        [{"type": "explanation", "value": {"title": "Titre", "text": text}} for text in texts]
    )


def test_short_sentences_give_no_warning():
    assert plain_language_warnings(steps("Un e-mail est un message. Il arrive vite.")) == []


def test_a_sentence_of_more_than_fifteen_words_is_flagged_with_its_step():
    long = " ".join(["mot"] * 18) + "."
    warnings = plain_language_warnings(steps("Court.", long))
    assert [w.step_number for w in warnings] == [2]
    assert "18" in warnings[0].message


def test_a_step_of_more_than_sixty_words_is_flagged():
    text = " ".join(["Une phrase de six mots ici."] * 11)
    warnings = plain_language_warnings(steps(text))
    assert len(warnings) == 1
    assert "67" in warnings[0].message  # 66 words of text plus the one-word title


@pytest.mark.django_db
def test_saving_a_module_with_long_sentences_warns_in_the_admin_but_saves(client, catalogue):
    from django.contrib.messages import get_messages

    from courses.models import ModulePage
    from tests.factories import UserFactory

    module = catalogue.get(slug="utiliser-un-ecran-tactile")
    module.steps[0].value["text"] = " ".join(["mot"] * 20) + "."
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.test import RequestFactory

    from cms.wagtail_hooks import warn_about_plain_language

    request = RequestFactory().post("/")
    request.session = client.session
    request._messages = FallbackStorage(request)
    warn_about_plain_language(request, module)
    texts = [str(m) for m in get_messages(request)]
    assert any("20" in text and "Étape 1" in text for text in texts)
    assert ModulePage.objects.filter(pk=module.pk).exists()


def dutch_steps(*texts: str):
    return StepBlock().to_python(
        [{"type": "explanation", "value": {"title": "Stap", "text": text}} for text in texts]
    )


def test_short_dutch_sentences_give_no_warning():
    text = "Open de app. Tik op je naam. Je begeleider helpt je."
    assert plain_language_warnings(dutch_steps(text), "nl-be") == []


def test_a_long_dutch_sentence_is_flagged():
    long = "Je kunt met deze app " + " ".join(["heel"] * 14) + " veel dingen doen."
    warnings = plain_language_warnings(dutch_steps("Kort.", long), "nl-be")
    assert [w.step_number for w in warnings] == [2]
    assert "22" in warnings[0].message


def test_hard_dutch_words_are_flagged_with_a_plainer_one():
    warnings = plain_language_warnings(
        dutch_steps("Je moet het formulier indienen. Open de applicatie."), "nl-be"
    )
    messages = " ".join(w.message for w in warnings)
    assert "indienen" in messages and "versturen" in messages
    assert "applicatie" in messages and "app" in messages
    # The Dutch list is for Dutch texts only.
    assert plain_language_warnings(dutch_steps("Open la applicatie."), "fr-be") == []


def test_the_dutch_starter_catalogue_uses_no_word_from_the_hard_list(catalogue):
    from wagtail.models import Locale

    from courses.plain_language import hard_words, step_texts

    dutch = Locale.objects.get(language_code="nl-be")
    for module in catalogue:
        translation = module.get_translation_or_none(dutch)
        for step in translation.steps if translation else []:
            text = " ".join(step_texts(step.block_type, step.value))
            assert hard_words(text, "nl-be") == [], (module.slug, step.id)
