"""The two session screens: who came (nobody ticked, "Everyone came", the group's usual
hours) and what each person showed (the trainer's label, "Everyone: alone", then the
exceptions), with and without JavaScript; the group's usual hours."""

import datetime
import re
import shutil
from html import unescape

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from wagtail.models import Locale

from courses.models import LearningPathPage, ModulePage
from courses.services import CatalogueError, catalogue_load
from lms.learning.models import Statement, Verb
from lms.logbook.models import Group, TrainingSession
from lms.logbook.selectors import checkpoints_for_trainer, group_modules
from tests.factories import (
    AssociationFactory,
    GroupFactory,
    TrainingSessionFactory,
    learner_in,
    trainer_in,
)

pytestmark = pytest.mark.django_db
SESSION = {"held_on": "2026-11-02", "starts_at": "09:30", "ends_at": "12:00"}


@pytest.fixture
def setting(catalogue):
    association = AssociationFactory(street_address="Rue Haute 1")
    trainer = trainer_in(association, display_name="Thomas")
    path = next(
        path
        for path in LearningPathPage.objects.live().filter(locale__language_code="fr-be")
        if path.path_modules.count() >= 2
    )
    group = GroupFactory(
        association=association,
        learning_path=path,
        usual_starts_at=datetime.time(18, 15),
        usual_ends_at=datetime.time(20, 45),
    )
    group.trainers.add(trainer)
    learners = [learner_in(association, display_name=f"Personne {i}") for i in range(3)]
    group.learners.add(*learners)
    return {"association": association, "trainer": trainer, "group": group, "learners": learners}


@pytest.fixture
def trainer_client(client, setting):
    client.force_login(setting["trainer"])
    return client


def ticked(html: str, name: str) -> set[str]:
    """The values of the ticked boxes or radios named `name` in the page."""
    return {
        re.search(r'value="([^"]*)"', tag).group(1)
        for tag in re.findall(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
        if " checked" in tag
    }


def session_of(setting, *, modules: int, present: list):
    """A session of the group covering its first `modules` modules, with its checkpoints."""
    group = setting["group"]
    covered = group_modules(group)[:modules]
    session = TrainingSessionFactory(association=setting["association"], group=group)
    session.modules.set(covered)
    for learner in present:
        session.attendances.create(learner=learner)
    return session, checkpoints_for_trainer(covered)


def validations(session) -> set[tuple[int, str, str]]:
    return {
        (statement.learner_id, statement.object_iri, statement.response["help"])
        for statement in Statement.objects.filter(verb=Verb.VALIDATED, session_uuid=session.uuid)
    }


def test_a_new_session_ticks_nobody_and_starts_at_the_groups_usual_hours(trainer_client, setting):
    html = trainer_client.get(
        reverse("logbook:session_new", args=[setting["group"].pk])
    ).content.decode()
    assert ticked(html, "present") == set()
    assert 'name="starts_at" value="18:15"' in html
    assert 'name="ends_at" value="20:45"' in html
    assert "Tout le monde est venu" in html


def test_a_group_without_usual_hours_starts_from_the_morning_or_the_afternoon(
    trainer_client, setting
):
    Group.objects.filter(pk=setting["group"].pk).update(usual_starts_at=None, usual_ends_at=None)
    html = trainer_client.get(
        reverse("logbook:session_new", args=[setting["group"].pk])
    ).content.decode()
    assert re.search(r'name="starts_at" value="(09:30|13:30)"', html)


def test_everyone_came_without_javascript_ticks_every_member_and_saves_nothing(
    trainer_client, setting
):
    response = trainer_client.post(
        reverse("logbook:session_new", args=[setting["group"].pk]),
        {**SESSION, "place": "Salle 2", "everyone_present": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert ticked(html, "present") == {str(learner.pk) for learner in setting["learners"]}
    assert 'value="Salle 2"' in html  # what was typed stays
    assert not TrainingSession.objects.exists()


def test_the_default_button_of_each_screen_saves_rather_than_ticks_everyone(
    trainer_client, setting
):
    """Enter in a field presses the form's first submit button: it must be the one that
    goes on, not "Everyone came" or "Everyone: alone"."""
    html = trainer_client.get(
        reverse("logbook:session_new", args=[setting["group"].pk])
    ).content.decode()
    form = html[html.index('<form method="post" class="panel session-form"') :]
    first_button = re.search(r"<button[^>]*>", form).group(0)
    assert 'type="submit"' in first_button and "name=" not in first_button


def test_validations_by_checkpoint_record_what_the_old_form_recorded(trainer_client, setting):
    """The same field names and values as the select of each person and checkpoint: the
    same statements, with each person's note."""
    first, second, third = setting["learners"]
    session, (one, two) = session_of(setting, modules=2, present=[first, second])
    url = reverse("logbook:session_validations", args=[session.pk])

    html = trainer_client.get(url).content.decode()
    # In the order of the scale, "Not yet" chosen; one row per person who came.
    field = f"v-{first.pk}-{one.module.pk}-{one.step_id}"
    assert re.findall(rf'name="{field}" value="([^"]*)"', html) == [
        "",
        "lot_of_help",
        "little_help",
        "alone",
    ]
    assert ticked(html, field) == {""}
    assert f"v-{third.pk}-" not in html  # did not come
    assert unescape(one.label) in unescape(html) and not one.label.startswith("Montrez")

    trainer_client.post(
        url,
        {
            field: "alone",
            f"v-{second.pk}-{one.module.pk}-{one.step_id}": "little_help",
            f"v-{second.pk}-{two.module.pk}-{two.step_id}": "",
            f"note-{second.pk}": "A lu l'adresse seule",
        },
    )
    one_iri = one.module.step_iri(one.step_id)
    assert validations(session) == {
        (first.pk, one_iri, "alone"),
        (second.pk, one_iri, "little_help"),
    }
    note = Statement.objects.get(learner=second, verb=Verb.VALIDATED).response["note"]
    assert note == "A lu l'adresse seule"


def test_everyone_alone_without_javascript_chooses_alone_on_that_checkpoint_only(
    trainer_client, setting
):
    first, second, _third = setting["learners"]
    session, (one, two) = session_of(setting, modules=2, present=[first, second])
    url = reverse("logbook:session_validations", args=[session.pk])
    kept = f"v-{first.pk}-{two.module.pk}-{two.step_id}"
    response = trainer_client.post(
        url,
        {kept: "lot_of_help", "everyone_alone": f"{one.module.pk}-{one.step_id}"},
    )
    html = response.content.decode()
    for learner in (first, second):
        assert ticked(html, f"v-{learner.pk}-{one.module.pk}-{one.step_id}") == {"alone"}
    assert ticked(html, kept) == {"lot_of_help"}  # the other choices stay as they were
    assert ticked(html, f"v-{second.pk}-{two.module.pk}-{two.step_id}") == {""}
    assert validations(session) == set()  # nothing saved yet


def test_a_choice_off_the_scale_is_refused_and_nothing_is_recorded(trainer_client, setting):
    first = setting["learners"][0]
    session, (one,) = session_of(setting, modules=1, present=[first])
    response = trainer_client.post(
        reverse("logbook:session_validations", args=[session.pk]),
        {f"v-{first.pk}-{one.module.pk}-{one.step_id}": "genius"},
    )
    assert response.status_code == 200
    assert "choix n'est pas valable" in unescape(response.content.decode())
    assert validations(session) == set()


def test_the_trainer_reads_the_checkpoint_in_their_language(setting):
    module = group_modules(setting["group"])[0]
    with translation.override("fr-be"):
        (french,) = checkpoints_for_trainer([module])
    with translation.override("nl-be"):
        (dutch,) = checkpoints_for_trainer([module])
    assert french.label != dutch.label
    assert french.module == dutch.module == module  # recorded against the same page
    assert dutch.language == "nl-be" and french.language == "fr-be"
    dutch_page = module.get_translation(Locale.objects.get(language_code="nl-be")).specific
    step = next(step for step in dutch_page.steps if step.id == dutch.step_id)
    assert dutch.label == step.value["trainer_label"]
    assert dutch.module_title == dutch_page.title


def test_a_checkpoint_without_a_trainer_label_shows_the_learners_words(setting):
    module = ModulePage.objects.live().filter(locale__language_code="fr-be").first()
    raw = [dict(block) for block in module.steps.raw_data]
    for block in raw:
        if block["type"] == "checkpoint":
            block["value"] = {"text": block["value"]["text"]}
    module.steps = raw
    module.save()
    module.refresh_from_db()
    text = next(step for step in module.steps if step.block_type == "checkpoint").value["text"]
    with translation.override("fr-be"):
        (checkpoint,) = checkpoints_for_trainer([module])
    assert checkpoint.label == text


def test_a_catalogue_checkpoint_without_its_trainer_label_is_refused(catalogue, tmp_path, settings):
    shutil.copytree(settings.BASE_DIR / "fixtures", tmp_path / "fixtures")
    path = tmp_path / "fixtures" / "catalogue" / "modules" / "utiliser-un-ecran-tactile.yaml"
    path.write_text(re.sub(r"\n    trainer_label: [^\n]*", "", path.read_text()), encoding="utf-8")
    with pytest.raises(CatalogueError, match="utiliser-un-ecran-tactile"):
        catalogue_load(directory=tmp_path / "fixtures")


def test_a_dutch_checkpoint_without_its_trainer_label_is_refused(catalogue, tmp_path, settings):
    shutil.copytree(settings.BASE_DIR / "fixtures", tmp_path / "fixtures")
    path = tmp_path / "fixtures" / "catalogue" / "modules" / "utiliser-un-ecran-tactile.nl.yaml"
    path.write_text(re.sub(r"\n    trainer_label: [^\n]*", "", path.read_text()), encoding="utf-8")
    with pytest.raises(CatalogueError, match="not translated: trainer_label"):
        catalogue_load(directory=tmp_path / "fixtures")


def test_a_group_is_created_with_its_usual_hours(trainer_client, setting):
    trainer_client.post(
        reverse("logbook:group_new"),
        {"name": "Jeudi soir", "usual_starts_at": "18:00", "usual_ends_at": "20:00"},
    )
    group = Group.objects.get(name="Jeudi soir")
    assert (group.usual_starts_at, group.usual_ends_at) == (datetime.time(18), datetime.time(20))


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "message"),
    [("18:00", "", "les deux heures"), ("20:00", "18:00", "après le début")],
)
def test_half_or_backwards_usual_hours_are_refused(
    trainer_client, setting, starts_at, ends_at, message
):
    response = trainer_client.post(
        reverse("logbook:group_new"),
        {"name": "Jeudi soir", "usual_starts_at": starts_at, "usual_ends_at": ends_at},
    )
    assert message in unescape(response.content.decode())
    assert not Group.objects.filter(name="Jeudi soir").exists()


def test_the_database_refuses_half_a_usual_slot(setting):
    with pytest.raises(IntegrityError), transaction.atomic():
        GroupFactory(association=setting["association"], usual_starts_at=datetime.time(9))


def test_the_migration_gives_each_group_the_hours_it_met_at_most_often(setting):
    from importlib import import_module

    fill = import_module("lms.logbook.migrations.0002_group_usual_slot").usual_slot_from_sessions
    group = GroupFactory(association=setting["association"])
    for day, starts_at, ends_at in (
        (1, (9, 30), (12, 0)),
        (8, (13, 0), (15, 0)),
        (15, (13, 0), (15, 0)),
    ):
        TrainingSessionFactory(
            association=setting["association"],
            group=group,
            held_on=datetime.date(2026, 10, day),
            starts_at=datetime.time(*starts_at),
            ends_at=datetime.time(*ends_at),
        )
    fill(apps, None)
    group.refresh_from_db()
    assert (group.usual_starts_at, group.usual_ends_at) == (datetime.time(13), datetime.time(15))


def test_saving_with_no_choice_at_all_records_nothing_and_goes_back_to_the_group(
    trainer_client, setting
):
    session, _checkpoints = session_of(setting, modules=1, present=setting["learners"][:1])
    response = trainer_client.post(reverse("logbook:session_validations", args=[session.pk]))
    assert response.url == reverse("logbook:group", args=[setting["group"].pk])
    assert validations(session) == set()


def test_the_validations_screen_takes_as_many_queries_for_one_person_as_for_three(
    trainer_client, setting
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # A first visit fills the per-process caches (locales, the signed-in session).
    warm, _checkpoints = session_of(setting, modules=2, present=setting["learners"][:1])
    trainer_client.get(reverse("logbook:session_validations", args=[warm.pk]))
    counts = []
    for present in (setting["learners"][:1], setting["learners"]):
        session, _checkpoints = session_of(setting, modules=2, present=present)
        with CaptureQueriesContext(connection) as queries:
            trainer_client.get(reverse("logbook:session_validations", args=[session.pk]))
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    print(f"\nvalidations screen: {counts[1]} queries")
