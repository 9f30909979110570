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
