"""The funder tells "done alone online" from "validated by a trainer" (issue 19, 2).

Learners do every step of a module with a "show your trainer" step in the player: the module
waits for a trainer and is not completed. Older records hold modules completed online with no
trainer at all. The dashboard, each export and the API say so in figures of their own; once
a trainer validates through the session screen, the cached figures are retired and the
modules move from "waiting for a trainer" to "validated by a trainer".
"""

import datetime
import io
import json
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext
from openpyxl import load_workbook

from courses.models import LearningPathPage, ModulePage
from lms.impact import tokens
from lms.impact.definitions import BREAKDOWNS, KEY_FIGURES
from lms.impact.exports import Hidden
from lms.learning.models import ModuleProgress
from lms.logbook.models import Attendance
from tests.factories import (
    AssociationFactory,
    FunderFactory,
    GroupFactory,
    ProgrammeFactory,
    TrainingSessionFactory,
    UserFactory,
    learners_at_a_session,
    trainer_in,
)
from tests.lms.impact.test_dashboard import excel_rows
from tests.lms.learning.step_answers import step_answers
from tests.pdf_text import pdf_pages

pytestmark = pytest.mark.django_db
URL = reverse("impact:dashboard")
FIGURES = ("modules_completed", "modules_completed_online", "modules_validated")
AWAITING = "modules_awaiting_trainer"


@pytest.fixture
def world(catalogue):
    """A funder's programme of one association: six learners who did every step of a module
    online (its checkpoint waits for a trainer), five who completed another module online
    before checkpoints waited for a trainer, and the trainer of their group."""
    today = timezone.localdate()
    association = AssociationFactory()
    funder_user = UserFactory(username="funder")
    funder = FunderFactory()
    funder.members.add(funder_user)
    programme = ProgrammeFactory(
        funder=funder,
        starts_on=today - datetime.timedelta(days=60),
        ends_on=today + datetime.timedelta(days=300),
    )
    programme.associations.add(association)
    path = LearningPathPage.objects.live().first()
    # Not the module `learners_at_a_session` records a validation in.
    validated_before = ModulePage.objects.filter(competences__framework__slug="digcomp-2.2").first()
    module, older = [
        item.module.specific for item in path.path_modules.exclude(module=validated_before)[:2]
    ]
    assert any(step.block_type == "checkpoint" for step in module.steps)
    online = learners_at_a_session(association, 6, day=today - datetime.timedelta(days=3))
    for learner in online:
        client = Client(HTTP_ACCEPT="application/json")
        client.force_login(learner)
        entries = [
            {
                "module": module.pk,
                "step": number,
                "statement_id": str(uuid.uuid4()),
                "fields": step_answers(step, right=True),
            }
            for number, step in enumerate(module.steps, 1)
        ]
        answer = client.post(
            reverse("learning:statements"), json.dumps(entries), content_type="application/json"
        )
        assert answer.json()["stored"] == len(entries)
    moment = timezone.now() - datetime.timedelta(days=2)
    earlier = learners_at_a_session(association, 5, day=moment.date(), start=100)
    for learner in earlier:
        ModuleProgress.objects.create(
            learner=learner,
            module_iri=older.iri,
            module=older,
            steps_completed=len(older.steps),
            steps_total=len(older.steps),
            started_at=moment,
            completed_at=moment,
            updated_at=moment,
        )
    trainer = trainer_in(association)
    group = GroupFactory(association=association, learning_path=path)
    group.trainers.add(trainer)
    group.learners.add(*online)
    session = TrainingSessionFactory(association=association, group=group, held_on=today)
    session.trainers.add(trainer)
    session.modules.add(module)
    for learner in online:
        Attendance.objects.create(session=session, learner=learner)
    return {
        "funder": funder_user,
        "programme": programme,
        "module": module,
        "online": online,
        "trainer": trainer,
        "session": session,
    }


def validate(world, learners, help_level, capture):
    """The trainer's session screen: these learners showed the module's checkpoint."""
    client = Client()
    client.force_login(world["trainer"])
    module = world["module"]
    checkpoint = next(step for step in module.steps if step.block_type == "checkpoint")
    fields = {f"v-{learner.pk}-{module.pk}-{checkpoint.id}": help_level for learner in learners}
    with capture(execute=True):
        answer = client.post(
            reverse("logbook:session_validations", args=[world["session"].pk]), fields
        )
    assert answer.status_code == 302


def dashboard_figures(client) -> dict:
    response = client.get(URL)
    assert response.status_code == 200
    return {figure["key"]: figure["value"] for figure in response.context["key_figures"]}


def label(key) -> str:
    return gettext(KEY_FIGURES[key].label)


def exported(client, tmp_path) -> dict:
    """What each export says of the figures: Excel CSV, plain CSV, XLSX, PDF, the API."""
    csv_rows = excel_rows(client.get(reverse("impact:export", args=["csv"])).content)
    plain = client.get(reverse("impact:export", args=["plain.csv"])).content.decode()
    workbook = load_workbook(
        io.BytesIO(client.get(reverse("impact:export", args=["xlsx"])).content)
    )
    sheet_rows = [
        [str(value) for value in row if value is not None]
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]
    pdf = "\n".join(pdf_pages(client.get(reverse("impact:export", args=["pdf"])).content, tmp_path))
    return {"csv": csv_rows, "plain": plain, "xlsx": sheet_rows, "pdf": pdf}


def api_figures(world) -> dict:
    _token, secret = tokens.api_token_create(user=world["funder"], name=str(uuid.uuid4())[:8])
    answer = Client().get(
        f"/api/v1/programmes/{world['programme'].pk}/figures",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert answer.status_code == 200
    return answer.json()["figures"]


def assert_exports_say(files, values: dict):
    for key, value in values.items():
        text = str(value)
        assert [label(key), text, gettext("modules")] in files["csv"], key
        assert [label(key), text, gettext("modules")] in files["xlsx"], key
        assert f'"{label(key)}",{text},modules' in files["plain"] or (
            f"{label(key)},{text},modules" in files["plain"]
        ), key
        pdf_line = next(line for line in files["pdf"].splitlines() if label(key)[:30] in line)
        assert pdf_line.split()[-2:] == [text, "modules"] or text in pdf_line, (key, pdf_line)


def test_waiting_for_a_trainer_and_validated_by_a_trainer_are_told_apart_everywhere(
    client, world, tmp_path, django_capture_on_commit_callbacks
):
    client.force_login(world["funder"])
    before = dashboard_figures(client)
    # Six modules done online wait for the trainer: not completed. The five completed
    # before checkpoints waited were done online with no trainer at all.
    assert before[AWAITING] == 6
    assert [before[key] for key in FIGURES] == [5, 5, 0]
    html = client.get(URL).content.decode()
    assert escape("Modules faits en ligne, en attente d'un·e formateur·rice") in html
    assert 'id="breakdown-module_completion"' in html
    assert_exports_say(
        exported(client, tmp_path),
        {AWAITING: 6, "modules_completed": 5, "modules_completed_online": 5},
    )
    assert {key: api_figures(world)["key_figures"][key] for key in (AWAITING, *FIGURES)} == {
        AWAITING: 6,
        "modules_completed": 5,
        "modules_completed_online": 5,
        "modules_validated": 0,
    }

    validate(world, world["online"], "alone", django_capture_on_commit_callbacks)

    after = dashboard_figures(client)  # the cached figures were retired by the validation
    assert after[AWAITING] == 0
    assert [after[key] for key in FIGURES] == [11, 5, 6]
    response = client.get(URL)
    how = next(
        b["table"] for b in response.context["breakdowns"] if b["table"].key == "module_completion"
    )
    definition = BREAKDOWNS["module_completion"]
    assert how.rows == [
        [definition.label("online"), 5],
        [definition.label("alone"), 6],
        [definition.label("little_help"), 0],
        [definition.label("lot_of_help"), 0],
        [gettext("Total"), 11],
    ]
    files = exported(client, tmp_path)
    assert_exports_say(files, {AWAITING: 0, "modules_validated": 6, "modules_completed_online": 5})
    assert [definition.label("alone"), "6"] in files["csv"]
    assert "Validé : seul·e" in files["pdf"]
    api = api_figures(world)
    assert api["key_figures"]["modules_validated"] == 6
    assert dict(api["breakdowns"]["module_completion"]["rows"]) == {
        "online": 5,
        "alone": 6,
        "little_help": 0,
        "lot_of_help": 0,
    }


def test_a_few_validated_modules_are_hidden_as_the_other_small_counts(
    client, world, django_capture_on_commit_callbacks
):
    validate(world, world["online"][:3], "little_help", django_capture_on_commit_callbacks)
    client.force_login(world["funder"])
    figures = dashboard_figures(client)
    # 3 waiting: fewer than 5. Completed 8 = 5 online + 3 validated with a little help: the
    # 3 is fewer than 5, and the 5 online is masked, or 8 - 5 would give the 3 back.
    assert figures[AWAITING] is Hidden.SMALL
    assert figures["modules_completed"] == 8
    assert figures["modules_completed_online"] is Hidden.MASKED
    assert figures["modules_validated"] is Hidden.MASKED
    rows = excel_rows(client.get(reverse("impact:export", args=["csv"])).content)
    definition = BREAKDOWNS["module_completion"]
    assert [label(AWAITING), "moins de 5", gettext("modules")] in rows
    assert [label("modules_validated"), "masqué*", gettext("modules")] in rows
    assert [definition.label("little_help"), "moins de 5"] in rows
    assert [definition.label("online"), "masqué*"] in rows
    assert [gettext("Total"), "8"] in rows
