"""“Montrez à votre formateur”: a checkpoint step is done only when a trainer validated it.

Through HTTP, as the learner's phone and the trainer's tablet send it: the step form, the
batch endpoint, the session's validation screen, Mon parcours, the group matrix and the
attestation.
"""

import html
import json
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from wagtail.models import Locale

from courses.models import LearningPathPage
from lms.accounts.models import LearnerProfile
from lms.accounts.naming import association_after
from lms.learning.models import ActivityProgress, ModuleProgress, PathEnrollment, ProgressStatus
from lms.learning.progress import ModuleState, module_state_of, progress_rebuild
from lms.logbook.models import Attendance
from tests.factories import (
    AssociationFactory,
    GroupFactory,
    TrainingSessionFactory,
    learner_in,
    trainer_in,
)
from tests.lms.learning.step_answers import step_answers
from tests.pdf_text import drawn_text
from tests.results import RESULTS

pytestmark = pytest.mark.django_db

WAITING_STEP = "Cette étape attend votre formateur."
WAITING = "En attente du formateur"
VALIDATED = "Validé par le formateur"
DONE_ONLINE = "Fait en ligne"
ARTEFACTS = RESULTS / "pdf"


@pytest.fixture
def setting(catalogue):
    association = AssociationFactory(name="Espace public numérique Les Tilleuls")
    trainer = trainer_in(association, display_name="Thomas")
    path = LearningPathPage.objects.live().get(slug="bien-debuter", locale=Locale.get_default())
    group = GroupFactory(association=association, learning_path=path)
    group.trainers.add(trainer)
    amina = learner_in(association, display_name="Amina")
    LearnerProfile.objects.create(user=amina, family_name="Benali")
    omar = learner_in(association, display_name="Omar")
    group.learners.add(amina, omar)
    modules = [item.module.specific for item in path.path_modules.order_by("sort_order")]
    return {
        "association": association,
        "trainer": trainer,
        "group": group,
        "path": path,
        "modules": modules,
        "amina": amina,
        "omar": omar,
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def checkpoint_numbers(module) -> list[int]:
    return [n for n, step in enumerate(module.steps, start=1) if step.block_type == "checkpoint"]


def do_every_step(client, module) -> None:
    """Every step of the module, right, through the step form (the page without script)."""
    for number, step in enumerate(module.steps, start=1):
        response = client.post(
            reverse("learning:step", args=[module.pk, number]),
            {"statement_id": str(uuid.uuid4()), **step_answers(step)},
        )
        assert response.status_code == 302


def validate(trainer, learner, module, *, help_level="alone", session=None):
    """The trainer logs a session and validates the learner's checkpoints on their tablet."""
    if session is None:
        session = TrainingSessionFactory(association=learner.memberships.get().association)
        session.modules.add(module)
        session.trainers.add(trainer)
    Attendance.objects.get_or_create(session=session, learner=learner)
    data = {
        f"v-{learner.pk}-{module.pk}-{module.steps[number - 1].id}": help_level
        for number in checkpoint_numbers(module)
    }
    response = client_for(trainer).post(
        reverse("logbook:session_validations", args=[session.pk]), data
    )
    assert response.status_code == 302
    return session


def test_next_on_a_checkpoint_leaves_the_step_waiting_and_the_module_unfinished(setting):
    amina, module = setting["amina"], setting["modules"][0]
    client = client_for(amina)
    do_every_step(client, module)

    (checkpoint,) = checkpoint_numbers(module)
    row = ActivityProgress.objects.get(
        learner=amina, activity_iri=module.step_iri(module.steps[checkpoint - 1].id)
    )
    assert row.status == ProgressStatus.AWAITING_TRAINER
    assert row.completed_at is None
    progress = ModuleProgress.objects.get(learner=amina, module_iri=module.iri)
    assert progress.completed_at is None
    assert progress.steps_completed == len(module.steps) - 1

    page = client.get(reverse("learning:step", args=[module.pk, checkpoint])).content.decode()
    assert WAITING_STEP in page
    assert "Vous pouvez continuer maintenant." in page
    # The learner can move on: Next is a plain submit button on the checkpoint.
    assert 'class="button step-nav__next" type="submit"' in page
    my_path = client.get(reverse("learning:my_path")).content.decode()
    assert WAITING in my_path
    assert "Terminé" not in my_path and DONE_ONLINE not in my_path
    done = client.get(reverse("learning:module_done", args=[module.pk])).content.decode()
    assert "1 étape attend votre formateur." in done


def test_a_checkpoint_sent_in_a_batch_also_waits_for_the_trainer(setting):
    amina, module = setting["amina"], setting["modules"][0]
    body = [
        {
            "module": module.pk,
            "step": number,
            "statement_id": str(uuid.uuid4()),
            "fields": step_answers(step),
        }
        for number, step in enumerate(module.steps, start=1)
    ]
    response = client_for(amina).post(
        "/apprendre/releves/",
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )
    assert response.json()["stored"] == len(body)
    statuses = dict(
        ActivityProgress.objects.filter(learner=amina).values_list("activity_iri", "status")
    )
    (checkpoint,) = checkpoint_numbers(module)
    assert statuses.pop(module.step_iri(module.steps[checkpoint - 1].id)) == "awaiting_trainer"
    assert set(statuses.values()) == {"completed"}
    assert ModuleProgress.objects.get(learner=amina).completed_at is None


def test_a_trainers_validation_finishes_the_module_and_every_screen_says_so(setting):
    amina, omar, trainer = setting["amina"], setting["omar"], setting["trainer"]
    module = setting["modules"][0]
    do_every_step(client_for(amina), module)
    do_every_step(client_for(omar), module)

    validate(trainer, amina, module, help_level="little_help")

    progress = ModuleProgress.objects.get(learner=amina, module_iri=module.iri)
    assert progress.completed_at is not None
    assert progress.steps_completed == len(module.steps)
    assert ModuleProgress.objects.get(learner=omar).completed_at is None

    amina_client = client_for(amina)
    my_path = amina_client.get(reverse("learning:my_path")).content.decode()
    assert VALIDATED in my_path and WAITING not in my_path
    (checkpoint,) = checkpoint_numbers(module)
    page = amina_client.get(reverse("learning:step", args=[module.pk, checkpoint])).content
    assert "Votre formateur a validé cette étape." in page.decode()
    assert WAITING in client_for(omar).get(reverse("learning:my_path")).content.decode()

    # The trainer's group matrix, row by row.
    matrix = client_for(trainer).get(reverse("logbook:group", args=[setting["group"].pk]))
    rows = {}
    for row in matrix.content.decode().split("<tr>"):
        row = row.split("</tr>")[0]
        found = re.search(r'class="person__name">(Amina|Omar)\b', row)
        if found:
            rows[found.group(1)] = row
    assert VALIDATED in rows["Amina"] and WAITING not in rows["Amina"]
    assert WAITING in rows["Omar"] and VALIDATED not in rows["Omar"]
    assert f"{len(module.steps) - 1}/{len(module.steps)}" in rows["Omar"]
    # And the learner's page in the logbook.
    detail = client_for(trainer).get(reverse("logbook:learner", args=[omar.pk]))
    assert WAITING in detail.content.decode()


def test_rebuilding_progress_keeps_a_checkpoint_waiting_until_validated(setting):
    amina, omar, module = setting["amina"], setting["omar"], setting["modules"][0]
    do_every_step(client_for(amina), module)
    do_every_step(client_for(omar), module)
    validate(setting["trainer"], amina, module)

    def rows():
        return sorted(
            ActivityProgress.objects.values_list("learner_id", "activity_iri", "status")
        ), sorted(
            ModuleProgress.objects.values_list("learner_id", "steps_completed", "completed_at")
        )

    before = rows()
    progress_rebuild()
    assert rows() == before


@pytest.mark.parametrize(
    ("completed", "done", "awaiting", "validated", "state"),
    [
        (False, 3, 0, False, ModuleState.STARTED),
        (False, 6, 1, False, ModuleState.AWAITING_TRAINER),
        # A checkpoint waits, but other steps are still to do: the learner has work first.
        (False, 3, 1, False, ModuleState.STARTED),
        (True, 7, 0, False, ModuleState.DONE_ONLINE),
        (True, 7, 0, True, ModuleState.VALIDATED),
    ],
)
def test_a_modules_state_tells_done_online_from_validated(
    completed, done, awaiting, validated, state
):
    assert (
        module_state_of(
            completed_at="2026-12-07" if completed else None,
            steps_completed=done,
            steps_total=7,
            steps_awaiting_trainer=awaiting,
            validated=validated,
        )
        == state
    )


@pytest.mark.parametrize(
    ("name", "of", "to"),
    [
        (
            "Espace public numérique Les Tilleuls",
            "de l'Espace public numérique Les Tilleuls",
            "à l'Espace public numérique Les Tilleuls",
        ),
        ("Association Le Fil", "de l'Association Le Fil", "à l'Association Le Fil"),
        ("Le Fil", "du Fil", "au Fil"),
        ("CPAS de Liège", "du CPAS de Liège", "au CPAS de Liège"),
        ("Maison de quartier", "de la Maison de quartier", "à la Maison de quartier"),
        ("Lire et Écrire", "de Lire et Écrire", "à Lire et Écrire"),
        ("Alpha 5000", "d'Alpha 5000", "à Alpha 5000"),
    ],
)
def test_an_association_name_takes_french_articles_and_elision(name, of, to):
    with translation.override("fr"):
        assert (association_after("de", name), association_after("à", name)) == (of, to)
    with translation.override("en"):
        assert association_after("of", name) == f"of {name}"


def test_the_device_page_names_the_association_with_elision(setting):
    client = client_for(setting["trainer"])
    response = client.post(
        reverse("logbook:device_mark"), {"association": setting["association"].pk}, follow=True
    )
    assert (
        "Cet appareil appartient maintenant à l'Espace public numérique Les Tilleuls"
        in html.unescape(response.content.decode())
    )


def test_the_attestation_says_what_was_done_and_what_a_trainer_validated(setting):
    amina, trainer = setting["amina"], setting["trainer"]
    client = client_for(amina)
    url = reverse("learning:attestation", args=[setting["path"].pk])
    PathEnrollment.objects.create(learner=amina, path=setting["path"])
    for module in setting["modules"]:
        do_every_step(client, module)
    # Every step done online, the checkpoints not yet seen by a trainer: no attestation.
    assert client.get(url).status_code == 404

    first, *others = setting["modules"]
    validate(trainer, amina, first, help_level="little_help")
    for module in others:
        validate(trainer, amina, module, help_level="alone")
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    # Kept as a test artefact, to be looked at (pdftoppm -png) as a learner would print it.
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    (ARTEFACTS / "attestation-bien-debuter.pdf").write_bytes(response.content)
    text = drawn_text(response.content)

    assert "Amina Benali" in text
    assert "Avec l'aide de l'Espace public numérique Les Tilleuls." in text
    for module in setting["modules"]:
        assert f"{module.title}, terminé le" in text
    assert "Validé en présentiel par un formateur" in text
    assert "avec un peu d'aide" in text and "sans aide" in text
    # Level-0 competences are the project's own, never called DigComp 2.2.
    level_0 = [line for line in text.splitlines() if line.startswith("0.")]
    assert level_0, text
    assert all("référentiel propre à Pas à pas" in line for line in level_0)
    assert not any("DigComp" in line for line in level_0)
    assert "référentiel propre à Pas à pas" in text and "DigComp 2.2 : le cadre européen" in text


def test_the_migration_reopens_checkpoints_the_old_rule_closed_without_a_trainer(setting):
    """Rows written before the rule (a learner's Next finished a checkpoint) are reopened;
    validated ones stay done. The result is what rebuilding progress gives."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("lms.learning.migrations.0005_activity_progress_awaiting_trainer")
    amina, omar, module = setting["amina"], setting["omar"], setting["modules"][0]
    do_every_step(client_for(amina), module)
    do_every_step(client_for(omar), module)
    validate(setting["trainer"], amina, module)
    expected = (
        sorted(ActivityProgress.objects.values_list("learner_id", "activity_iri", "status")),
        sorted(ModuleProgress.objects.values_list("learner_id", "steps_completed", "completed_at")),
    )
    # As the old rule left Omar's rows: his checkpoint done, his module finished.
    ActivityProgress.objects.filter(learner=omar, status="awaiting_trainer").update(
        status="completed", completed_at="2026-12-01T10:00:00Z"
    )
    ModuleProgress.objects.filter(learner=omar).update(
        steps_completed=len(module.steps), completed_at="2026-12-01T10:00:00Z"
    )

    migration.checkpoints_wait_for_trainer(apps, None)

    assert (
        sorted(ActivityProgress.objects.values_list("learner_id", "activity_iri", "status")),
        sorted(ModuleProgress.objects.values_list("learner_id", "steps_completed", "completed_at")),
    ) == expected
