"""The starter catalogue loader: complete, idempotent and deterministic."""

import re

import pytest
from django.core.management import call_command
from wagtail.models import Page, Revision

from courses.models import Competence, LearningPathPage, ModulePage, ThemePage
from courses.services import CatalogueError, catalogue_load

pytestmark = pytest.mark.django_db


def snapshot():
    modules = ModulePage.objects.order_by("slug")
    return {
        "pages": list(
            Page.objects.order_by("path").values_list("path", "slug", "title", "translation_key")
        ),
        "steps": [(m.slug, [(s.id, s.block_type) for s in m.steps]) for m in modules],
        "competences": [
            (m.slug, sorted(m.competences.values_list("code", flat=True))) for m in modules
        ],
        "revisions": Revision.objects.count(),
    }


def test_loader_builds_the_whole_starter_catalogue(catalogue):
    assert ThemePage.objects.live().count() >= 5
    assert catalogue.count() >= 16
    assert LearningPathPage.objects.live().count() >= 3
    assert Competence.objects.filter(framework__slug="digcomp-2.2").count() == 21
    for module in catalogue:
        kinds = [step.block_type for step in module.steps]
        assert 4 <= len(kinds) <= 8, module.slug
        # A quiz, or in the itsme module its two pretend requests (one to confirm, one trap
        # to refuse) in place of the quiz; and always something to practise.
        assert "quiz" in kinds or kinds.count("practice_itsme") == 2, module.slug
        assert any(kind.startswith("practice_") for kind in kinds), module.slug
        assert kinds.count("checkpoint") == 1, module.slug
        assert module.competences.exists(), module.slug
        assert module.picture is not None, module.slug


def test_running_the_loader_twice_changes_nothing(catalogue):
    before = snapshot()
    call_command("load_catalogue", verbosity=0)
    assert snapshot() == before


def test_ids_are_the_same_on_every_installation(catalogue):
    module = ModulePage.objects.get(
        slug="envoyer-une-photo-par-e-mail", locale__language_code="fr-be"
    )
    first_step = module.steps[0]
    ids = (str(module.translation_key), first_step.id)
    ModulePage.objects.all().delete()
    call_command("load_catalogue", verbosity=0)
    again = ModulePage.objects.get(
        slug="envoyer-une-photo-par-e-mail", locale__language_code="fr-be"
    )
    assert (str(again.translation_key), again.steps[0].id) == ids


def test_a_changed_module_file_is_revised_and_others_are_left_alone(catalogue, tmp_path, settings):
    import shutil

    shutil.copytree(settings.BASE_DIR / "fixtures", tmp_path / "fixtures")
    path = tmp_path / "fixtures" / "catalogue" / "modules" / "utiliser-un-ecran-tactile.yaml"
    text = re.sub(r"duration_minutes: \d+", "duration_minutes: 14", path.read_text())
    path.write_text(text, encoding="utf-8")
    report = catalogue_load(directory=tmp_path / "fixtures")
    # The duration is shared: the Dutch translation is revised with its original.
    assert report.updated == [
        "module utiliser-un-ecran-tactile",
        "module utiliser-un-ecran-tactile (nl-be)",
    ]
    assert report.created == []


def test_a_broken_quiz_in_a_fixture_is_refused_with_the_file_named(catalogue, tmp_path, settings):
    import shutil

    shutil.copytree(settings.BASE_DIR / "fixtures", tmp_path / "fixtures")
    path = tmp_path / "fixtures" / "catalogue" / "modules" / "utiliser-un-ecran-tactile.yaml"
    path.write_text(path.read_text().replace("correct: true", "correct: false"), encoding="utf-8")
    with pytest.raises(CatalogueError, match="utiliser-un-ecran-tactile"):
        catalogue_load(directory=tmp_path / "fixtures")


def test_an_impossible_value_in_a_fixture_is_refused_with_the_module_named(
    catalogue, tmp_path, settings
):
    import shutil

    shutil.copytree(settings.BASE_DIR / "fixtures", tmp_path / "fixtures")
    path = tmp_path / "fixtures" / "catalogue" / "modules" / "utiliser-un-ecran-tactile.yaml"
    text = re.sub(r"duration_minutes: \d+", "duration_minutes: 600", path.read_text())
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"utiliser-un-ecran-tactile.*duration_minutes"):
        catalogue_load(directory=tmp_path / "fixtures")
