"""The starter catalogue in Dutch: Wagtail translations of the French pages, one activity each."""

import uuid
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Locale, Page

from courses.models import CatalogueIndexPage, LearningPathPage, ModulePage, ThemePage
from courses.services import CatalogueError, catalogue_load
from lms.learning.models import ModuleProgress, Statement
from lms.learning.selectors import module_state
from lms.logbook.services import Validation, validations_record
from tests.factories import AssociationFactory, TrainingSessionFactory, learner_in, trainer_in
from tests.lms.impact import reference_indicators
from tests.lms.impact.reference_rows import impact_rows
from tests.lms.learning.step_answers import step_answers

pytestmark = pytest.mark.django_db

TRANSLATED_MODULE = "se-connecter-au-wi-fi"


@pytest.fixture
def dutch():
    return Locale.objects.get(language_code="nl-be")


def dutch_module_slugs():
    from courses.services import FIXTURES_DIR

    return sorted(
        path.name.removesuffix(".nl.yaml")
        for path in (FIXTURES_DIR / "catalogue" / "modules").glob("*.nl.yaml")
    )


def test_every_translated_file_gives_a_dutch_page_with_the_same_key_and_step_ids(catalogue, dutch):
    slugs = dutch_module_slugs()
    assert TRANSLATED_MODULE in slugs
    for module in catalogue.filter(slug__in=slugs):
        translation = module.get_translation(dutch)
        assert translation.live, module.slug
        assert translation.title != module.title, module.slug
        assert [(s.id, s.block_type) for s in translation.steps] == [
            (s.id, s.block_type) for s in module.steps
        ], module.slug
        assert translation.iri == module.iri
        assert translation.step_iri(translation.steps[0].id) == module.step_iri(module.steps[0].id)
        # The translation sits in the Dutch tree: Dutch theme, Dutch catalogue.
        assert translation.get_parent().locale == dutch
    for model in (ThemePage, LearningPathPage, CatalogueIndexPage):
        french = model.objects.filter(locale=Locale.get_default())
        assert french.exists()
        for page in french:
            assert page.get_translation(dutch).live, page.slug


def test_a_dutch_page_plays_its_h5p_activity_in_dutch(client, catalogue, dutch):
    """The H5P activity of a Dutch page is the same step (same id, same IRI) built in Dutch:
    its frame says lang="nl" and shows the Dutch question, never the French one."""
    h5p_modules = [
        module
        for module in catalogue.filter(slug__in=dutch_module_slugs())
        if any(step.block_type == "h5p" for step in module.steps)
    ]
    assert len(h5p_modules) >= 2
    for module in h5p_modules:
        translation = module.get_translation(dutch)
        for french, dutch_step in zip(module.steps, translation.steps, strict=True):
            if french.block_type != "h5p":
                continue
            assert dutch_step.id == french.id
            assert french.value["package"].language == "fr"
            assert dutch_step.value["package"].language == "nl", module.slug
            assert dutch_step.value["package"].pk != french.value["package"].pk
            frame = client.get(reverse("h5p:frame", args=[dutch_step.value["package"].pk]))
            assert '<html lang="nl">' in frame.content.decode()
            content = client.get(
                reverse(
                    "h5p:package_file",
                    args=[dutch_step.value["package"].pk, "content/content.json"],
                )
            )
            text = b"".join(content.streaming_content if content.streaming else [content.content])
            assert b"Nakijken" in text and "Vérifier".encode() not in text


def test_a_dutch_module_page_names_its_competences_in_dutch(client, catalogue, dutch):
    from courses.models import Competence, CompetenceArea, CompetenceFramework, ProficiencyLevel

    for model in (Competence, CompetenceArea, CompetenceFramework, ProficiencyLevel):
        assert not model.objects.filter(name_nl="").exists(), model
    module = catalogue.get(slug="la-carte-eid-et-ses-codes")
    competence = module.competences.get(code="4.2")
    assert competence.name_nl == "Persoonsgegevens en privacy beschermen"
    page = client.get(module.get_translation(dutch).url, HTTP_ACCEPT_LANGUAGE="nl-BE")
    text = page.content.decode()
    assert competence.name_nl in text
    assert competence.name_fr not in text


def test_a_dutch_path_lists_the_dutch_modules_in_the_same_order(catalogue, dutch):
    path = LearningPathPage.objects.get(slug="bien-debuter", locale=Locale.get_default())
    translation = path.get_translation(dutch)
    french = [item.module.translation_key for item in path.path_modules.all()]
    assert [item.module.translation_key for item in translation.path_modules.all()] == french
    modules = {item.module.slug: item.module for item in translation.path_modules.all()}
    assert modules[TRANSLATED_MODULE].locale == dutch


def test_loading_again_changes_nothing_in_either_language(catalogue):
    before = list(Page.objects.order_by("path").values_list("path", "locale_id", "title"))
    report = catalogue_load()
    assert (report.created, report.updated) == ([], [])
    assert report.unchanged > 2 * catalogue.count()
    assert list(Page.objects.order_by("path").values_list("path", "locale_id", "title")) == before


def test_a_translation_with_a_missing_string_is_refused_with_its_place(catalogue, tmp_path):
    import shutil

    from courses.services import FIXTURES_DIR

    shutil.copytree(FIXTURES_DIR, tmp_path / "fixtures")
    path = tmp_path / "fixtures" / "catalogue" / "modules" / f"{TRANSLATED_MODULE}.nl.yaml"
    text = path.read_text()
    start = text.index("  montrer:")
    path.write_text(text[:start] + "  montrer:\n    title: Tonen\n")
    with pytest.raises(CatalogueError) as error:
        catalogue_load(directory=tmp_path / "fixtures")
    assert f"{TRANSLATED_MODULE}.nl.yaml > montrer" in str(error.value)
    assert "title cannot be translated" in str(error.value)


def dutch_client(client, association=None):
    learner = learner_in(association or AssociationFactory())
    learner.preferred_language = "nl-be"
    learner.save(update_fields=["preferred_language"])
    client.force_login(learner)
    client.learner = learner
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl-BE,nl"
    client.cookies["django_language"] = "nl-be"
    return client


def walk(client, module, steps):
    """Do every step of `module` (addressed by its French page) right, as a learner's form;
    then a trainer validates its "show your trainer" steps, without which it is not done."""
    for number, step in enumerate(steps, start=1):
        data = {"statement_id": str(uuid.uuid4()), **step_answers(step)}
        response = client.post(reverse("learning:step", args=[module.pk, number]), data)
        assert response.status_code == 302, (number, response.content[:300])
    association = client.learner.memberships.get().association
    session = TrainingSessionFactory(association=association, held_on=timezone.localdate())
    validations_record(
        session=session,
        by=trainer_in(association),
        validations=[
            Validation(learner=client.learner, module=module, step_id=step.id, help_level="alone")
            for step in module.steps
            if step.block_type == "checkpoint"
        ],
    )


def test_a_step_done_in_dutch_is_done_in_french(client, catalogue, dutch):
    module = catalogue.get(slug=TRANSLATED_MODULE)
    translation = module.get_translation(dutch)
    client = dutch_client(client)
    page = client.get(reverse("learning:step", args=[module.pk, 1]))
    assert translation.steps[0].value["title"] in page.content.decode()
    assert module.steps[0].value["title"] not in page.content.decode()
    # The Dutch exercise expects the Dutch network's name: done right in Dutch.
    walk(client, module, translation.steps)

    progress = ModuleProgress.objects.get(learner=client.learner)
    assert progress.module_iri == module.iri
    assert progress.completed_at is not None
    assert progress.steps_completed == len(module.steps)
    iris = set(
        Statement.objects.filter(learner=client.learner).values_list("module_iri", flat=True)
    )
    assert iris == {module.iri}
    # The French module, and the state the French player reads, show the same progress.
    assert module_state(client.learner, module) == module_state(client.learner, translation)
    french, _ = module_state(client.learner, module)
    assert french.completed_at == progress.completed_at


def walk_path(client, path, locale=None):
    """Do every module of `path` (the French page), in `locale` when translated."""
    for item in path.path_modules.all():
        module = item.module.specific
        translation = module.get_translation_or_none(locale) if locale else None
        walk(client, module, (translation or module).steps)


def test_the_funders_figures_are_the_same_whichever_language(client, catalogue, dutch):
    from lms.learning.models import PathEnrollment

    # A whole path, so that the path figure needs the Dutch modules' IRIs to match the
    # French path's: with an IRI per language the Dutch learner would finish no path.
    path = LearningPathPage.objects.get(slug="bien-debuter", locale=Locale.get_default())
    in_dutch, in_french = AssociationFactory(), AssociationFactory()
    dutch_client(client, in_dutch)
    PathEnrollment.objects.create(learner=client.learner, path=path)
    walk_path(client, path, dutch)
    client.logout()
    learner = learner_in(in_french)
    client.force_login(learner)
    client.learner = learner
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr-BE,fr"
    client.cookies["django_language"] = "fr-be"
    PathEnrollment.objects.create(learner=learner, path=path)
    walk_path(client, path)

    today = timezone.localdate()
    start = today - timedelta(days=31)

    def figures(association):
        return reference_indicators.compute(
            impact_rows(association_ids=[association.pk], start=start, end=today),
            start=start,
            end=today,
        )

    dutch_figures = figures(in_dutch)
    assert dutch_figures["key_figures"]["paths_completed"] == 1
    assert dutch_figures["key_figures"]["modules_completed"] == path.path_modules.count()
    assert dutch_figures == figures(in_french)


def test_a_path_done_in_dutch_gives_its_attestation(client, catalogue, dutch):
    from lms.learning.models import PathEnrollment

    path = LearningPathPage.objects.get(slug="bien-debuter", locale=Locale.get_default())
    client = dutch_client(client)
    PathEnrollment.objects.create(learner=client.learner, path=path)
    url = reverse("learning:attestation", args=[path.pk])
    assert client.get(url).status_code == 404
    walk_path(client, path, dutch)
    response = client.get(url)
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_the_command_reports_both_languages_and_is_idempotent(catalogue):
    from io import StringIO

    out = StringIO()
    call_command("load_catalogue", stdout=out)
    assert "catalogue: 0 created, 0 updated" in out.getvalue()
    assert ModulePage.objects.filter(locale__language_code="nl-be").count() == len(
        dutch_module_slugs()
    )
