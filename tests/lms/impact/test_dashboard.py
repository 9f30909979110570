"""The impact dashboard, its exports and frozen reports: who sees what, and what is hidden.

Longer than 500 lines because its 38 tests share one world (a funder's programme, its
associations, people of every role and their records, built by the `world` fixture): the
dashboard, the CSV and XLSX exports and the frozen reports are three views of the same
figures, and the tests check that they agree and hide the same small numbers.
"""

import codecs
import csv
import datetime
import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from courses.models import LearningPathPage
from lms.accounts.models import Role
from lms.impact.definitions import BREAKDOWNS, DEFINITIONS_VERSION, KEY_FIGURES
from lms.impact.exports import Hidden
from lms.impact.models import FrozenReport
from lms.impact.templatetags.impact_tags import figure, figure_cell
from lms.learning.models import ModuleProgress, PathEnrollment, Statement, Verb
from lms.logbook.transfer_cells import excel_csv
from tests.factories import (
    AssociationFactory,
    FunderFactory,
    MembershipFactory,
    ProgrammeFactory,
    TrainingSessionFactory,
    UserFactory,
    learner_in,
    learners_at_a_session,
    trainer_in,
)
from tests.pdf_text import pdf_pages, pdf_words

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 2)
URL = reverse("impact:dashboard")
# The test programme runs through 2026: closing it before its end needs the confirmation.
OPEN_PERIOD = {"open_period": "on"}


def add_learners(association, count, *, gender="woman", start=0):
    return learners_at_a_session(association, count, day=DAY, gender=gender, start=start)


def add_new_records(association, learners):
    """For each learner: a start and an end self-assessment, an H5P and a quiz answer with
    their durations, and a learning path followed and completed on DAY."""
    path = LearningPathPage.objects.live().first()
    modules = [item.module.specific for item in path.path_modules.all()]
    moment = timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(10)))
    for learner in learners:

        def record(verb, offset, learner=learner, **fields):
            Statement.objects.create(
                learner=learner,
                learner_pseudonym=learner.pseudonym,
                verb=verb,
                object_iri=f"{modules[0].iri}/steps/{offset}",
                module_iri=modules[0].iri,
                association=association,
                timestamp=moment + datetime.timedelta(minutes=offset),
                **fields,
            )

        record(Verb.ASSESSED, 0, response={"phase": "start", "level": "not_yet"})
        record(Verb.ASSESSED, 30, response={"phase": "end", "level": "alone"})
        record(
            Verb.ANSWERED,
            10,
            object_kind="h5p",
            is_self_reported=True,
            score_scaled=0.5,
            duration_seconds=600,
        )
        record(Verb.ANSWERED, 20, object_kind="quiz", score_scaled=1.0, duration_seconds=300)
        PathEnrollment.objects.create(learner=learner, path=path)
        for module in modules:
            ModuleProgress.objects.create(
                learner=learner,
                module_iri=module.iri,
                module=module,
                started_at=moment,
                completed_at=moment,
                updated_at=moment,
            )


@pytest.fixture
def world(catalogue):
    funder_user = UserFactory(username="funder")
    funder = FunderFactory()
    funder.members.add(funder_user)
    tilleuls, fil, elsewhere = AssociationFactory(), AssociationFactory(), AssociationFactory()
    programme = ProgrammeFactory(funder=funder, target_learners=40, target_hours=100)
    programme.associations.add(tilleuls, fil)
    other_programme = ProgrammeFactory(name="Someone else's")
    other_programme.associations.add(elsewhere)
    coordinator = UserFactory(username="coordinator")
    MembershipFactory(user=coordinator, association=tilleuls, role=Role.COORDINATOR)
    add_learners(tilleuls, 12)
    add_learners(fil, 7, gender="man")
    add_learners(fil, 2, gender="other", start=100)
    return {
        "funder": funder_user,
        "coordinator": coordinator,
        "programme": programme,
        "other_programme": other_programme,
        "tilleuls": tilleuls,
        "fil": fil,
        "elsewhere": elsewhere,
    }


def key(response, name):
    return next(f["value"] for f in response.context["key_figures"] if f["key"] == name)


def excel_rows(content: bytes) -> list[list[str]]:
    """A CSV as Excel in Belgium reads it: a byte order mark, then semicolons."""
    assert content.startswith(codecs.BOM_UTF8)
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_anonymous_people_are_sent_to_sign_in(client, world):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_learners_and_trainers_are_refused(client, world):
    client.force_login(learner_in(world["tilleuls"]))
    assert client.get(URL).status_code == 403
    client.force_login(trainer_in(world["tilleuls"]))
    assert client.get(URL).status_code == 403


def test_a_funder_sees_every_association_of_their_programme(client, world):
    client.force_login(world["funder"])
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["scope"].programme == world["programme"]
    assert key(response, "learners") == 21
    assert key(response, "sessions") == 3
    assert "Someone else" not in response.content.decode()


def test_a_funder_cannot_open_another_funders_programme(client, world):
    client.force_login(world["funder"])
    response = client.get(URL, {"programme": world["other_programme"].pk})
    assert response.status_code == 404


def test_a_funder_can_narrow_to_one_association_and_a_period(client, world):
    client.force_login(world["funder"])
    response = client.get(URL, {"programme": world["programme"].pk, "association": world["fil"].pk})
    assert key(response, "learners") == 9
    response = client.get(
        URL, {"programme": world["programme"].pk, "start": "2026-04-01", "end": "2026-12-31"}
    )
    assert key(response, "learners") == 0


def test_a_coordinator_sees_only_their_own_association(client, world):
    client.force_login(world["coordinator"])
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["scope"].association == world["tilleuls"]
    assert key(response, "learners") == 12
    choices = [
        value for value, _label in response.context["scope"].form.fields["association"].choices
    ]
    assert choices == [world["tilleuls"].pk]


def test_a_coordinator_cannot_ask_for_another_association(client, world):
    client.force_login(world["coordinator"])
    response = client.get(URL, {"programme": world["programme"].pk, "association": world["fil"].pk})
    assert response.status_code == 403
    response = client.get(reverse("impact:export", args=["csv"]), {"association": world["fil"].pk})
    assert response.status_code == 403


def test_small_counts_are_shown_as_fewer_than_five(client, world):
    client.force_login(world["funder"])
    response = client.get(URL)
    gender = next(b["table"] for b in response.context["breakdowns"] if b["table"].key == "gender")
    values = dict(gender.rows)
    # 2 "other" is hidden, and so is the next smallest (7 men), so 2 = 21 - 12 - 7 cannot be
    # worked out; the 7 are not "fewer than 5": they are "masked", with a note saying why.
    assert values["Autre"] is Hidden.SMALL
    assert values["Homme"] is Hidden.MASKED
    assert values["Femme"] == 12
    html = response.content.decode()
    assert "<td>moins de 5</td>" in html
    assert '<td><a href="#note-masked">masqué*</a></td>' in html
    assert 'id="note-masked">* masqué : ce chiffre est caché' in html


def test_the_number_of_queries_does_not_grow_with_learners(
    client, world, django_assert_max_num_queries
):
    client.force_login(world["funder"])
    from lms.impact.selectors import figures_invalidate

    client.get(URL)  # roles are kept in the session after the first page
    figures_invalidate()  # measure a computation, not the cache
    # The learners with statements stored in the last minutes are rolled up again (a fixed
    # number of queries per 1,000 learners), then the figures counted.
    with django_assert_max_num_queries(60):
        client.get(URL)
    learners = add_learners(world["tilleuls"], 30, start=500)
    add_new_records(world["tilleuls"], learners)
    figures_invalidate()
    with django_assert_max_num_queries(60):
        response = client.get(URL)
    assert key(response, "learners") == 51
    assert key(response, "h5p_learners") == 30


def test_csv_export_hides_the_same_counts(client, world):
    client.force_login(world["funder"])
    response = client.get(reverse("impact:export", args=["csv"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = excel_rows(response.content)
    assert ["Autre", "moins de 5"] in lines
    assert ["Homme", "masqué*"] in lines
    assert ["Femme", "12"] in lines
    assert ["Homme", "7"] not in lines
    gender = lines.index(["Genre"])
    note = next(i for i, line in enumerate(lines) if line and line[0].startswith("* masqué :"))
    # Under the gender table: its total, the "fewer than 5" note, then the "masked" one.
    assert note > gender and lines[note - 2][0] == "Total"
    assert lines[note - 1] == ["moins de 5 : entre 1 et 4 personnes."]


def test_xlsx_export_has_a_sheet_per_table_and_definitions(client, world):
    client.force_login(world["funder"])
    response = client.get(reverse("impact:export", args=["xlsx"]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    # "Définitions" once the French catalogue has the new msgids.
    definitions_title = gettext("Definitions")
    assert definitions_title in workbook.sheetnames
    assert len(workbook.sheetnames) == 2 + 9 + 1 + 1  # key figures, targets, 9 breakdowns, trend
    values = [
        [cell.value for cell in row] for sheet in workbook.worksheets for row in sheet.iter_rows()
    ]
    assert ["Autre", "moins de 5"] in values
    assert ["Homme", "masqué*"] in values
    assert ["Homme", 7] not in values
    assert any(str(row[0]).startswith("* masqué :") for row in values)
    definitions = workbook[definitions_title]
    assert definitions.max_row > 10
    described = {row[0].value: row[1].value for row in definitions.iter_rows()}
    h5p = gettext(KEY_FIGURES["h5p_average_score"].label)
    assert "navigateur" in h5p
    assert "auto-déclaré" in described[h5p]
    assert gettext(KEY_FIGURES["online_hours"].label) in described
    assert gettext(BREAKDOWNS["outcome_shift"].title) in described
    assert described[gettext("Definitions version")] == DEFINITIONS_VERSION


def test_a_frozen_report_keeps_its_figures_after_a_learner_is_erased(client, world):
    client.force_login(world["funder"])
    response = client.post(
        reverse("impact:freeze"), {"programme": world["programme"].pk, **OPEN_PERIOD}
    )
    report = FrozenReport.objects.get()
    assert response.status_code == 302
    assert report.figures["key_figures"]["learners"] == 21
    assert report.definitions_version

    erased = world["tilleuls"].memberships.filter(role=Role.LEARNER).first().user
    Statement.objects.filter(learner_pseudonym=erased.pseudonym).delete()
    erased.delete()

    response = client.get(reverse("impact:frozen_report", args=[report.pk]))
    assert response.status_code == 200
    learners = next(f for f in response.context["key_figures"] if f["key"] == "learners")
    assert learners["value"] == 21
    assert learners["live"] == 20
    assert learners["differs"]
    report.refresh_from_db()
    assert report.figures["key_figures"]["learners"] == 21

    exported = client.get(reverse("impact:frozen_report_export", args=[report.pk, "csv"]))
    assert "21" in exported.content.decode()


def test_a_coordinator_freezes_their_association_and_cannot_open_other_reports(client, world):
    client.force_login(world["funder"])
    client.post(reverse("impact:freeze"), {"programme": world["programme"].pk, **OPEN_PERIOD})
    funder_report = FrozenReport.objects.get()
    client.force_login(world["coordinator"])
    client.post(reverse("impact:freeze"), {"programme": world["programme"].pk, **OPEN_PERIOD})
    mine = FrozenReport.objects.exclude(pk=funder_report.pk).get()
    assert mine.association == world["tilleuls"]
    assert mine.figures["key_figures"]["learners"] == 12
    assert client.get(reverse("impact:frozen_report", args=[mine.pk])).status_code == 200
    assert client.get(reverse("impact:frozen_report", args=[funder_report.pk])).status_code == 403


def test_closing_a_period_asks_first_and_an_open_period_needs_its_box_ticked(client, world):
    client.force_login(world["funder"])
    programme = world["programme"].pk
    page = client.get(reverse("impact:freeze"), {"programme": programme})
    assert page.status_code == 200
    assert FrozenReport.objects.count() == 0  # asking is not closing
    html = page.content.decode()
    assert "du 1er janvier 2026 au 31 décembre 2026" in html
    assert "n’est pas encore terminée" in html
    refused = client.post(reverse("impact:freeze"), {"programme": programme})
    assert refused.status_code == 400
    assert "Cochez la case" in refused.content.decode()
    assert FrozenReport.objects.count() == 0
    closed = client.post(reverse("impact:freeze"), {"programme": programme, **OPEN_PERIOD})
    report = FrozenReport.objects.get()
    assert closed.url == reverse("impact:frozen_report", args=[report.pk])


def test_a_period_that_has_ended_closes_without_the_box(client, world):
    client.force_login(world["funder"])
    period = {"programme": world["programme"].pk, "start": "2026-01-01", "end": "2026-03-31"}
    page = client.get(reverse("impact:freeze"), period)
    assert "pas encore terminée" not in page.content.decode()
    response = client.post(reverse("impact:freeze"), period)
    report = FrozenReport.objects.get()
    assert (report.period_start_on, report.period_end_on) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 3, 31),
    )
    assert response.url == reverse("impact:frozen_report", args=[report.pk])


def test_a_period_is_closed_once_and_the_button_then_opens_its_report(client, world):
    client.force_login(world["funder"])
    period = {"programme": world["programme"].pk, "start": "2026-01-01", "end": "2026-03-31"}
    client.post(reverse("impact:freeze"), period)
    first = FrozenReport.objects.get()
    again = client.post(reverse("impact:freeze"), period)
    assert again.url == reverse("impact:frozen_report", args=[first.pk])
    asked = client.get(reverse("impact:freeze"), period)
    assert asked.url == reverse("impact:frozen_report", args=[first.pk])
    assert FrozenReport.objects.count() == 1
    dashboard = client.get(URL, period).content.decode()
    assert reverse("impact:frozen_report", args=[first.pk]) in dashboard
    assert "Ouvrir le rapport de cette période clôturée" in dashboard
    # Another scope of the same period is another report.
    client.post(reverse("impact:freeze"), {**period, "association": world["fil"].pk})
    assert FrozenReport.objects.count() == 2


def test_the_database_refuses_a_second_report_for_the_same_scope_and_period(world):
    fields = {
        "programme": world["programme"],
        "period_start_on": datetime.date(2026, 1, 1),
        "period_end_on": datetime.date(2026, 3, 31),
        "definitions_version": DEFINITIONS_VERSION,
        "figures": {},
    }
    for association in (None, world["fil"]):
        FrozenReport.objects.create(association=association, **fields)
        with pytest.raises(IntegrityError), transaction.atomic():
            FrozenReport.objects.create(association=association, **fields)


def test_someone_with_no_programme_sees_a_message(client, world):
    funder = FunderFactory()
    user = UserFactory(username="lonely")
    funder.members.add(user)
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["scope"] is None


def other_programme_report(world) -> FrozenReport:
    return FrozenReport.objects.create(
        programme=world["other_programme"],
        period_start_on=DAY,
        period_end_on=DAY,
        definitions_version="1.0",
        figures={},
    )


def test_frozen_report_ids_are_not_guessable_across_programmes(client, world):
    other = other_programme_report(world)
    client.force_login(world["funder"])
    assert client.get(reverse("impact:frozen_report", args=[other.pk])).status_code == 403


@pytest.mark.parametrize("url_name", ["impact:frozen_report", "impact:frozen_report_export"])
def test_a_missing_and_a_forbidden_frozen_report_answer_the_same(client, world, url_name):
    other = other_programme_report(world)
    client.force_login(world["funder"])
    extra = {"kind": "csv"} if url_name.endswith("export") else {}
    forbidden = client.get(reverse(url_name, kwargs={"pk": other.pk, **extra}))
    missing = client.get(reverse(url_name, kwargs={"pk": other.pk + 1000, **extra}))
    assert forbidden.status_code == missing.status_code == 403
    # The same page (its bytes differ by the per-response nonce, its includes by caching).
    assert forbidden.templates[0].name == missing.templates[0].name == "403.html"


def test_a_coordinator_whose_association_is_in_no_programme_is_refused(client, world):
    coordinator = UserFactory(username="outside")
    MembershipFactory(user=coordinator, association=AssociationFactory(), role=Role.COORDINATOR)
    client.force_login(coordinator)
    assert client.get(URL).status_code == 403


def test_pdf_export_is_a_pdf_and_unknown_formats_are_not_found(client, world):
    client.force_login(world["funder"])
    response = client.get(reverse("impact:export", args=["pdf"]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    assert client.get(reverse("impact:export", args=["doc"])).status_code == 404


def test_every_breakdown_has_bars_a_table_and_a_sentence(client, world):
    client.force_login(world["funder"])
    html = client.get(URL).content.decode()
    # 9 breakdowns and the trend: each a bar list hidden from screen readers, and a table.
    assert html.count('class="impact-bars" aria-hidden="true"') == 10
    assert html.count("<table>") == 1 + 10  # targets, trend and the 9 breakdowns
    assert html.count('<caption class="visually-hidden">') == 10
    assert 'name="start"' in html
    assert 'name="association"' in html


def test_the_new_figures_come_from_the_records(client, world):
    learners = [m.user for m in world["tilleuls"].memberships.filter(role=Role.LEARNER)][:6]
    add_new_records(world["tilleuls"], learners)
    client.force_login(world["funder"])
    response = client.get(URL)
    assert key(response, "online_hours") == 1.5  # 6 x (600 + 300) seconds
    assert key(response, "online_learners") == 6
    assert key(response, "paths_completed") == 6
    assert key(response, "outcome_answered") == 6
    assert key(response, "outcome_alone") == 6
    assert key(response, "outcome_alone_share") == 100.0
    assert (key(response, "h5p_learners"), key(response, "h5p_answers")) == (6, 6)
    assert key(response, "h5p_average_score") == 50.0
    assert (key(response, "quiz_learners"), key(response, "quiz_answers")) == (6, 6)
    assert key(response, "quiz_average_score") == 100.0
    html = response.content.decode()
    assert "auto-déclaré (calculé dans le navigateur" in html
    assert 'id="breakdown-outcome_shift"' in html


def test_figures_about_fewer_than_five_learners_are_hidden_on_the_dashboard(client, world):
    learners = [m.user for m in world["tilleuls"].memberships.filter(role=Role.LEARNER)][:3]
    add_new_records(world["tilleuls"], learners)
    client.force_login(world["funder"])
    response = client.get(URL)
    for name in ("online_hours", "h5p_answers", "h5p_average_score", "quiz_average_score"):
        # Hidden with the 3 learners they are computed over: masked, not "fewer than 5".
        assert key(response, name) is Hidden.MASKED, name
    assert key(response, "outcome_alone_share") is Hidden.MASKED
    rows = excel_rows(client.get(reverse("impact:export", args=["csv"])).content)
    label = gettext(KEY_FIGURES["h5p_average_score"].label)
    # An average over 3 learners is not itself "fewer than 5": it is masked.
    assert [label, "masqué*", "%"] in rows


def test_a_report_frozen_with_older_definitions_still_shows_and_exports(client, world):
    client.force_login(world["funder"])
    client.post(reverse("impact:freeze"), {"programme": world["programme"].pk, **OPEN_PERIOD})
    report = FrozenReport.objects.get()
    assert report.definitions_version == DEFINITIONS_VERSION
    # What a version 1.0 report stored: nine key figures and seven breakdowns.
    old = [
        "learners",
        "new_learners",
        "sessions",
        "hours",
        "learner_hours",
        "modules_completed",
        "learners_validated",
        "returning_learners",
        "active_recently",
    ]
    report.figures["key_figures"] = {name: report.figures["key_figures"][name] for name in old}
    del report.figures["breakdowns"]["outcome_shift"]
    report.definitions_version = "1.0"
    report.save()

    response = client.get(reverse("impact:frozen_report", args=[report.pk]))
    assert response.status_code == 200
    paths = next(f for f in response.context["key_figures"] if f["key"] == "paths_completed")
    assert paths["text"] == "non disponible"
    assert key(response, "learners") == 21
    html = response.content.decode()
    assert "Non disponible dans ce rapport" in html
    for kind in ("csv", "xlsx", "pdf"):
        exported = client.get(reverse("impact:frozen_report_export", args=[report.pk, kind]))
        assert exported.status_code == 200, kind
    exported = client.get(reverse("impact:frozen_report_export", args=[report.pk, "csv"]))
    rows = excel_rows(exported.content)
    label = gettext(KEY_FIGURES["paths_completed"].label)
    assert [label, "non disponible", gettext(KEY_FIGURES["paths_completed"].unit)] in rows


def test_a_report_with_no_figures_at_all_does_not_break(client, world):
    report = FrozenReport.objects.create(
        programme=world["programme"],
        period_start_on=DAY,
        period_end_on=DAY,
        definitions_version="0.9",
        figures={},
    )
    client.force_login(world["funder"])
    assert client.get(reverse("impact:frozen_report", args=[report.pk])).status_code == 200
    exported = client.get(reverse("impact:frozen_report_export", args=[report.pk, "xlsx"]))
    assert exported.status_code == 200


def test_with_a_worker_the_export_waits_on_its_job_page_then_downloads(client, world, settings):
    from lms.accounts.jobs import job_run
    from lms.accounts.models import Job

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client.force_login(world["funder"])
    response = client.get(reverse("impact:export", args=["xlsx"]))
    job = Job.objects.get(owner=world["funder"])
    assert response.status_code == 302
    assert response.url == reverse("accounts:job", args=[job.pk])
    assert "En attente" in client.get(response.url).content.decode()
    job_run.call(str(job.pk))  # what the worker (`manage.py db_worker`) does
    page = client.get(response.url).content.decode()
    assert reverse("accounts:job_download", args=[job.pk]) in page
    download = client.get(reverse("accounts:job_download", args=[job.pk]))
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert "Définitions" in workbook.sheetnames or "Definitions" in workbook.sheetnames


# --- Cached figures ------------------------------------------------------------------------


def scope_of(world):
    programme = world["programme"]
    return {
        "programme": programme,
        "association_ids": [world["tilleuls"].pk, world["fil"].pk],
        "start": programme.starts_on,
        "end": programme.ends_on,
    }


def test_a_repeated_view_of_unchanged_data_does_not_recompute(world, django_assert_num_queries):
    from lms.impact.selectors import figures_compute, figures_live

    first = figures_live(**scope_of(world))
    with django_assert_num_queries(0):
        again = figures_live(**scope_of(world))
    assert again == first == figures_compute(**scope_of(world))


def test_new_records_retire_the_cached_figures(world):
    from lms.impact.selectors import figures_compute, figures_live

    before = figures_live(**scope_of(world))
    add_learners(world["tilleuls"], 6, start=300)
    after = figures_live(**scope_of(world))
    assert after["key_figures"]["learners"] == before["key_figures"]["learners"] + 6
    assert after == figures_compute(**scope_of(world))


def test_records_of_another_association_keep_the_cache(world, django_assert_num_queries):
    from lms.impact.selectors import figures_live

    figures_live(**scope_of(world))
    TrainingSessionFactory(association=world["elsewhere"], held_on=DAY)
    with django_assert_num_queries(0):
        figures_live(**scope_of(world))


def test_months_to_come_show_no_figures_and_months_are_named(client, world, monkeypatch):
    # The programme runs through 2026; seen on 15 October, November and December are to come.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2026, 10, 15))
    client.force_login(world["funder"])
    html = client.get(URL).content.decode()
    assert "Octobre 2026" in html and "Janvier 2026" in html
    assert html.count("Mois à venir") == 2  # the table's rows
    assert html.count("à venir</span>") == 2  # the chart's bars
    # The exports keep every month, with its figures, under its sortable name.
    response = client.get(reverse("impact:export", args=["csv"]))
    assert "2026-12" in response.content.decode()
    assert "venir" not in response.content.decode()


def test_dashboard_figures_read_in_french_and_genders_come_in_a_fixed_order(client, world):
    add_learners(world["fil"], 1, gender="unsaid", start=200)
    client.force_login(world["funder"])
    response = client.get(URL, {"programme": world["programme"].pk, "start": "2026-03-01"})
    gender = next(b["table"] for b in response.context["breakdowns"] if b["table"].key == "gender")
    assert [row[0] for row in gender.rows] == [
        "Femme",
        "Homme",
        "Autre",
        "Préfère ne pas le dire",
        "Inconnu",
        "Total",
    ]
    # The first of the month as an ordinal.
    assert "du 1er mars 2026 au 31 décembre 2026" in response.content.decode()


def test_figures_read_as_each_language_writes_them():
    with translation.override("fr"):
        # A narrow no-break space between thousands, a decimal comma.
        assert figure(4872.5) == "4\u202f872,5"
        assert figure(12.0) == "12"
        assert figure(Hidden.SMALL) == "moins de 5"
        assert figure_cell(Hidden.MASKED) == '<a href="#note-masked">masqué*</a>'
        assert figure("non disponible") == "non disponible"
    with translation.override("nl"):
        assert figure(4872.5) == "4.872,5"
    with translation.override("en"):
        assert figure(4872.5) == "4,872.5"


def test_the_pdf_is_a_report_with_a_title_page_charts_and_notes(
    client, world, monkeypatch, tmp_path
):
    # Seen on 15 October 2026: November and December are to come.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: datetime.date(2026, 10, 15))
    client.force_login(world["funder"])
    response = client.get(reverse("impact:export", args=["pdf"]))
    assert response["Content-Disposition"].endswith('.pdf"')
    pages = pdf_pages(response.content, tmp_path)
    title = " ".join(pages[0].split())
    assert "Rapport d'impact" in title
    assert f"Programme : {world['programme'].name}" in title
    assert f"{world['fil'].name}" in title and f"{world['tilleuls'].name}" in title
    assert "Période : du 1er janvier 2026 au 31 décembre 2026" in title
    assert "Généré le " in title and f"Version des définitions : {DEFINITIONS_VERSION}." in title
    body = " ".join(" ".join(pages[1:]).split())
    assert "Janvier 2026" in body and "Décembre 2026" in body
    assert "à venir" in body
    assert "moins de 5" in body and "masqué*" in body
    assert "* masqué : ce chiffre est caché" in body
    assert "Homme 7" not in body
    # A page for the title, then the figures, then the definitions.
    assert len(pages) >= 4


def test_exports_open_in_excel_and_in_tools(client, world):
    client.force_login(world["funder"])
    excel = client.get(reverse("impact:export", args=["csv"]))
    assert excel["Content-Disposition"].endswith('-excel.csv"')
    rows = excel_rows(excel.content)
    assert ["Femme", "12"] in rows
    plain = client.get(reverse("impact:export", args=["plain.csv"]))
    assert plain["Content-Disposition"].endswith('-utf8-comma.csv"')
    assert not plain.content.startswith(codecs.BOM_UTF8)
    lines = list(csv.reader(io.StringIO(plain.content.decode("utf-8"))))
    assert ["Femme", "12"] in lines and ["Autre", "moins de 5"] in lines


def test_the_excel_csv_writes_decimals_with_a_comma():
    content = excel_csv([["Heures", 4872.5, 12, "moins de 5"]])
    assert content == codecs.BOM_UTF8 + b"Heures;4872,5;12;moins de 5\r\n"


@pytest.mark.parametrize(
    ("language", "start", "end"),
    [
        ("nl", "1 januari 2026", "31 december 2026"),
        ("en", "January 1, 2026", "December 31, 2026"),
    ],
)
def test_the_pdf_follows_the_interface_language(client, world, tmp_path, language, start, end):
    client.force_login(world["funder"])
    response = client.get(
        reverse("impact:export", args=["pdf"]), headers={"accept-language": language}
    )
    title = " ".join(pdf_pages(response.content, tmp_path)[0].split())
    assert start in title and end in title
    assert "1er" not in title


def test_the_pdf_footer_never_runs_under_the_page_number(client, world, tmp_path):
    # A programme of associations with long names: the footer's label is cut short with an
    # ellipsis rather than printed under "Page N" (seen with the demo's associations).
    for association, name in ((world["tilleuls"], "Tilleuls"), (world["fil"], "Fil")):
        association.name = f"Espace public numérique de l'association {name} à Saint-Gilles"
        association.save()
    client.force_login(world["funder"])
    content = client.get(reverse("impact:export", args=["pdf"])).content
    for page in pdf_words(content, tmp_path)[1:]:
        footer_top = max(y0 for _word, _x0, y0, _x1, _y1 in page) - 2
        footer = sorted(word for word in page if word[2] >= footer_top)
        number = next(word for word in footer if word[0] == "Page")
        label = [word for word in footer if word[1] < number[1]]
        assert label, "the footer names the programme"
        assert max(x1 for _word, _x0, _y0, x1, _y1 in label) < number[1] - 5
        assert any(word.endswith("…") for word, *_box in label)
