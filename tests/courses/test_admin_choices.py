"""The module editor: competences and prerequisites are ticked in lists, not ctrl-clicked."""

import re

import pytest
from django.urls import reverse

from courses.models import ModulePage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_competences_and_prerequisites_are_checkbox_lists_of_the_modules_language(
    client, catalogue
):
    module = catalogue.get(slug="utiliser-un-ecran-tactile")
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    html = client.get(reverse("wagtailadmin_pages:edit", args=[module.pk])).content.decode()
    assert re.search(r'<input type="checkbox" name="competences"', html)
    offered = {
        int(pk) for pk in re.findall(r'type="checkbox" name="prerequisites" value="(\d+)"', html)
    }
    assert not re.search(r'<select[^>]*name="(prerequisites|competences)"', html)
    same_language = set(
        ModulePage.objects.filter(locale=module.locale)
        .exclude(pk=module.pk)
        .values_list("pk", flat=True)
    )
    assert offered == same_language  # every other module of its language, not itself
    assert not offered & set(
        ModulePage.objects.exclude(locale=module.locale).values_list("pk", flat=True)
    )
