"""The trainer workspace: learners in seconds, cards, sessions with validations, the group view."""

import datetime
import uuid
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import LearningPathPage
from lms.accounts.models import AuditEntry, Role, SignInCard, User
from lms.learning.models import ActivityProgress, Statement
from lms.logbook.models import Attendance, TrainingSession
from lms.logbook.selectors import group_matrix
from tests.factories import (
    AssociationFactory,
    GroupFactory,
    MembershipFactory,
    learner_in,
    trainer_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(catalogue):
    association = AssociationFactory(street_address="Rue Haute 1")
    trainer = trainer_in(association, display_name="Thomas")
    path = LearningPathPage.objects.live().first()
    group = GroupFactory(association=association, learning_path=path)
    group.trainers.add(trainer)
    learners = [learner_in(association, display_name=f"Personne {i}") for i in range(3)]
    group.learners.add(*learners)
    return {"association": association, "trainer": trainer, "group": group, "learners": learners}


@pytest.fixture
def trainer_client(client, setting):
    client.force_login(setting["trainer"])
    return client


def test_a_trainer_creates_a_learner_with_a_first_name_only(trainer_client, setting):
    response = trainer_client.post(reverse("logbook:learner_new"), {"display_name": "Rosa"})
    learner = User.objects.get(display_name="Rosa")
    assert response.url == reverse("logbook:learner_card", args=[learner.pk])
    assert learner.memberships.get().association == setting["association"]
    assert AuditEntry.objects.filter(action="learner_create", object_id=str(learner.pk)).exists()


def test_a_similar_name_is_flagged_before_creating_a_second_record(trainer_client, setting):
    response = trainer_client.post(reverse("logbook:learner_new"), {"display_name": "personne 1"})
    assert response.status_code == 200
    assert "existe déjà" in response.content.decode()
    assert User.objects.filter(display_name__iexact="personne 1").count() == 1
    trainer_client.post(
        reverse("logbook:learner_new"), {"display_name": "personne 1", "confirm_new": "1"}
    )
    assert User.objects.filter(display_name__iexact="personne 1").count() == 2


def test_a_card_is_made_with_the_learners_secret_and_printed(trainer_client, setting):
    learner = setting["learners"][0]
    trainer_client.post(reverse("logbook:learner_card", args=[learner.pk]), {"pin": "4321"})
    assert SignInCard.objects.filter(learner=learner, is_active=True).exists()
    response = trainer_client.get(reverse("logbook:learner_card_pdf", args=[learner.pk]))
    assert response["Content-Type"] == "application/pdf"
    # The two other members have no card yet: they get one once the trainer confirms.
    response = trainer_client.post(reverse("logbook:group_cards", args=[setting["group"].pk]))
    response = trainer_client.get(response.url)
    assert response.content.startswith(b"%PDF")


def test_logging_a_session_records_attendance_and_validations(trainer_client, setting):
    group, learners = setting["group"], setting["learners"]
    module = group.learning_path.path_modules.first().module.specific
    checkpoint = next(step for step in module.steps if step.block_type == "checkpoint")
    response = trainer_client.post(
        reverse("logbook:session_new", args=[group.pk]),
        {
            "held_on": "2026-11-02",
            "starts_at": "09:30",
            "ends_at": "12:00",
            "place": "Rue Haute 1",
            "modules": [str(module.pk)],
            "present": [str(learners[0].pk), str(learners[1].pk)],
        },
    )
    session = TrainingSession.objects.get()
    assert response.url == reverse("logbook:session_validations", args=[session.pk])
    assert set(Attendance.objects.values_list("learner_id", flat=True)) == {
        learners[0].pk,
        learners[1].pk,
    }

    field = f"v-{learners[0].pk}-{module.pk}-{checkpoint.id}"
    trainer_client.post(
        reverse("logbook:session_validations", args=[session.pk]), {field: "little_help"}
    )
    statement = Statement.objects.get(verb="validated")
    assert statement.instructor == setting["trainer"]
    assert statement.session_uuid == session.uuid
    assert statement.response["help"] == "little_help"
    assert statement.timestamp.date() == datetime.date(2026, 11, 2)
    progress = ActivityProgress.objects.get(learner=learners[0])
    assert progress.is_validated_by_trainer
    # Saving the same screen again stores nothing new.
    trainer_client.post(
        reverse("logbook:session_validations", args=[session.pk]), {field: "little_help"}
    )
    assert Statement.objects.filter(verb="validated").count() == 1


def test_a_corrected_session_keeps_before_and_after(trainer_client, setting):
    group = setting["group"]
    data = {
        "held_on": "2026-11-02",
        "starts_at": "09:30",
        "ends_at": "12:00",
        "present": [str(setting["learners"][0].pk)],
    }
    trainer_client.post(reverse("logbook:session_new", args=[group.pk]), data)
    session = TrainingSession.objects.get()
    trainer_client.post(
        reverse("logbook:session_edit", args=[session.pk]), {**data, "ends_at": "12:30"}
    )
    entry = AuditEntry.objects.get(action="session_update")
    assert entry.before["ends_at"] == "12:00:00"
    assert entry.after["ends_at"] == "12:30:00"
    assert entry.actor == setting["trainer"]


def test_an_end_before_the_start_is_refused_kindly(trainer_client, setting):
    response = trainer_client.post(
        reverse("logbook:session_new", args=[setting["group"].pk]),
        {"held_on": "2026-11-02", "starts_at": "12:00", "ends_at": "09:00"},
    )
    assert response.status_code == 200
    assert "La fin vient après le début" in response.content.decode()
    assert not TrainingSession.objects.exists()


def test_the_group_view_uses_a_constant_number_of_queries(
    trainer_client, setting, django_assert_max_num_queries
):
    group = setting["group"]
    url = reverse("logbook:group", args=[group.pk])
    trainer_client.get(url)
    with django_assert_max_num_queries(16) as few:
        trainer_client.get(url)
    more = [learner_in(setting["association"]) for _ in range(27)]
    group.learners.add(*more)
    module = group.learning_path.path_modules.first().module.specific
    for learner in more:
        score(learner, module, 0.5, self_reported=True)
        score(learner, module, 0.8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = trainer_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("<strong>80 %</strong>") == 27


def score(learner, module, scaled, *, self_reported=False, verb="answered"):
    """A scored answer: H5P (computed in the browser) when self-reported, else a quiz."""
    return Statement.objects.create(
        learner=learner,
        learner_pseudonym=learner.pseudonym,
        verb=verb,
        object_iri=f"{module.iri}/steps/{uuid.uuid4()}",
        object_kind="h5p" if self_reported else "quiz",
        module_iri=module.iri,
        is_self_reported=self_reported,
        score_scaled=scaled,
        timestamp=timezone.now(),
    )


def test_the_group_view_shows_best_scores_and_marks_self_reported_ones(trainer_client, setting):
    group, (first, second, third) = setting["group"], setting["learners"]
    module = group.learning_path.path_modules.first().module.specific
    score(first, module, 0.4)
    score(first, module, 0.9)  # the best try counts
    score(first, module, 0.6, self_reported=True, verb="completed")
    score(second, module, 1.0, self_reported=True)
    # A validation carries no score; a third learner has none at all.
    Statement.objects.create(
        learner=third,
        learner_pseudonym=third.pseudonym,
        verb="validated",
        object_iri=f"{module.iri}/steps/x",
        module_iri=module.iri,
        timestamp=timezone.now(),
    )
    modules, rows = group_matrix(group, today=timezone.localdate())
    column = [m.iri for m in modules].index(module.iri)
    cells = {row.learner: row.cells[column] for row in rows}
    assert (cells[first]["score"], cells[first]["self_reported_score"]) == (90, 60)
    assert (cells[second]["score"], cells[second]["self_reported_score"]) == (None, 100)
    assert (cells[third]["score"], cells[third]["self_reported_score"]) == (None, None)

    page = trainer_client.get(reverse("logbook:group", args=[group.pk])).content.decode()
    assert "Score\u202f: <strong>90 %</strong>" in page
    assert "Score H5P\u202f: <strong>100 %</strong>" in page
    assert "(auto-déclaré)" in page
    assert "Votre validation reste la preuve la plus forte" in page


def test_a_trainer_opens_a_learners_session_on_a_shared_device(trainer_client, setting):
    learner = setting["learners"][0]
    response = trainer_client.post(reverse("logbook:learner_open_session", args=[learner.pk]))
    assert response.url == reverse("learning:my_path")
    page = trainer_client.get(response.url).content.decode()
    assert "Terminer ma session" in page
    trainer_client.post(reverse("accounts:assisted_end"))
    assert trainer_client.get(reverse("learning:my_path")).status_code == 302


@pytest.mark.parametrize(
    "name",
    ["learner", "learner_card", "learner_card_pdf", "group", "group_cards_pdf", "session_new"],
)
def test_a_trainer_of_another_association_gets_nothing(client, setting, name):
    outsider = trainer_in(AssociationFactory())
    client.force_login(outsider)
    target = (
        setting["group"].pk if name.startswith(("group", "session")) else setting["learners"][0].pk
    )
    assert client.get(reverse(f"logbook:{name}", args=[target])).status_code == 403


def test_a_coordinator_sees_every_group_of_the_association(client, setting):
    coordinator = MembershipFactory(association=setting["association"], role=Role.COORDINATOR).user
    client.force_login(coordinator)
    assert client.get(reverse("logbook:group", args=[setting["group"].pk])).status_code == 200


def test_a_learner_with_a_card_from_elsewhere_joins_with_their_secret(trainer_client, setting):
    from lms.accounts.services import card_issue

    elsewhere = AssociationFactory()
    learner = learner_in(elsewhere, display_name="Khadija")
    card = card_issue(learner=learner, association=elsewhere, pin="8080")
    url = reverse("logbook:learner_join")
    trainer_client.post(url, {"code": card.short_code})
    response = trainer_client.post(url, {"pin": "1111"})
    assert "ne marche pas" in response.content.decode()
    assert not learner.memberships.filter(association=setting["association"]).exists()
    response = trainer_client.post(url, {"pin": "8080"})
    assert response.url == reverse("logbook:learner", args=[learner.pk])
    assert learner.memberships.filter(
        association=setting["association"], role=Role.LEARNER
    ).exists()


def test_trainers_cannot_search_people_of_other_associations(trainer_client, setting):
    learner_in(AssociationFactory(), display_name="Quelquun Dailleurs")
    response = trainer_client.get(reverse("logbook:learners"), {"q": "Dailleurs"})
    assert "Quelquun" not in response.content.decode()


def test_merging_two_records_keeps_every_statement(trainer_client, setting, catalogue):
    keep, duplicate = setting["learners"][0], setting["learners"][1]
    module = catalogue.get(slug="utiliser-un-ecran-tactile")
    for learner in (keep, duplicate):
        trainer_client.force_login(learner)
        trainer_client.post(
            reverse("learning:step", args=[module.pk, 1]), {"statement_id": str(uuid.uuid4())}
        )
    trainer_client.force_login(setting["trainer"])
    url = reverse("logbook:learner_merge", args=[keep.pk])
    trainer_client.post(url, {"duplicate": duplicate.pk, "confirm": "1"})
    assert not User.objects.filter(pk=duplicate.pk).exists()
    assert Statement.objects.filter(learner=keep).count() == 2
    assert set(Statement.objects.values_list("learner_pseudonym", flat=True)) == {keep.pseudonym}
    assert AuditEntry.objects.filter(action="learner_merge").exists()


def test_a_coordinator_creates_a_group_with_a_path_and_trainers(client, setting):
    coordinator = MembershipFactory(association=setting["association"], role=Role.COORDINATOR).user
    client.force_login(coordinator)
    path = setting["group"].learning_path
    response = client.post(
        reverse("logbook:group_new"),
        {"name": "Groupe du jeudi", "path": path.pk, "trainers": [setting["trainer"].pk]},
    )
    group = setting["association"].groups.get(name="Groupe du jeudi")
    assert response.url == reverse("logbook:group", args=[group.pk])
    assert list(group.trainers.all()) == [setting["trainer"]]
    response = client.post(reverse("logbook:group_new"), {"name": "groupe du jeudi"})
    assert (
        "existe déjà" in response.content.decode()
        or "a déjà un groupe" in response.content.decode()
    )


def test_a_coordinator_adds_and_removes_a_trainer_but_a_trainer_cannot(client, setting):
    coordinator = MembershipFactory(association=setting["association"], role=Role.COORDINATOR).user
    client.force_login(setting["trainer"])
    assert client.get(reverse("logbook:trainers")).status_code == 403
    client.force_login(coordinator)
    client.post(
        reverse("logbook:trainers"),
        {"display_name": "Inès", "username": "ines", "password": "un-long-mot-de-passe"},
    )
    ines = User.objects.get(username="ines")
    assert ines.memberships.get().role == Role.TRAINER
    asked = {"deactivate": ines.pk, "association": setting["association"].pk}
    # The first click only asks, naming what will happen; the confirmation acts.
    response = client.post(reverse("logbook:trainers"), asked)
    assert response.status_code == 200
    assert "Retirer Inès des formateur·rices" in unescape(response.content.decode())
    assert ines.memberships.get().is_active
    client.post(reverse("logbook:trainers"), {**asked, "confirm": "yes"})
    assert not ines.memberships.get().is_active
    assert AuditEntry.objects.filter(action="trainer_deactivate").exists()


def test_the_learners_record_shows_scores_and_says_which_are_self_reported(
    trainer_client, setting, catalogue
):
    module = catalogue.get(slug="reconnaitre-une-arnaque-par-e-mail")
    learner = setting["learners"][0]
    number = next(i for i, s in enumerate(module.steps, start=1) if s.block_type == "h5p")
    trainer_client.force_login(learner)
    trainer_client.post(
        reverse("learning:step", args=[module.pk, number]),
        {
            "statement_id": str(uuid.uuid4()),
            "h5p_verb": "answered",
            "h5p_raw": "1",
            "h5p_min": "0",
            "h5p_max": "2",
            "h5p_scaled": "0.5",
            "h5p_success": "false",
            "h5p_completion": "true",
        },
    )
    trainer_client.force_login(setting["trainer"])
    page = trainer_client.get(reverse("logbook:learner", args=[learner.pk])).content.decode()
    assert "50 %" in page
    assert "calculé par l" in page


@pytest.mark.parametrize(
    ("url_name", "data", "message"),
    [
        (
            "logbook:learner_new",
            {"display_name": "Rosa", "association": "abc"},
            "Choisissez une de vos associations dans la liste.",
        ),
        (
            "logbook:device_mark",
            {"association": "abc"},
            "Choisissez une de vos associations dans la liste.",
        ),
        (
            "logbook:group_new",
            {"name": "Groupe lundi", "association": "abc"},
            "Choisissez une de vos associations dans la liste.",
        ),
        (
            "logbook:learner_merge",
            {"duplicate": "abc"},
            "Choisissez l&#x27;autre fiche dans la liste.",
        ),
        (
            "logbook:trainers",
            {"association": "abc", "deactivate": "abc"},
            "Choisissez un·e formateur·rice de votre association dans la liste.",
        ),
        (
            "logbook:trainers",
            {"association": "999999", "deactivate": "1"},
            "Choisissez un·e formateur·rice de votre association dans la liste.",
        ),
        (
            "logbook:trainers",
            {"association": "1 OR 1=1", "username": "tom", "display_name": "Tom"},
            "Choisissez une de vos associations dans la liste.",
        ),
    ],
)
def test_a_garbled_id_in_a_form_is_refused_with_a_message_in_the_persons_language(
    client, setting, url_name, data, message
):
    coordinator = User.objects.create(username=f"c-{uuid.uuid4().hex[:8]}", display_name="Cora")
    MembershipFactory(user=coordinator, association=setting["association"], role=Role.COORDINATOR)
    client.force_login(coordinator)
    args = [setting["learners"][0].pk] if url_name == "logbook:learner_merge" else []
    before = User.objects.count()
    response = client.post(reverse(url_name, args=args), data, follow=True)
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    assert User.objects.count() == before


def test_a_trainer_of_another_association_and_a_missing_one_are_refused_alike(client, setting):
    coordinator = User.objects.create(username=f"c-{uuid.uuid4().hex[:8]}", display_name="Cora")
    MembershipFactory(user=coordinator, association=setting["association"], role=Role.COORDINATOR)
    elsewhere = trainer_in(AssociationFactory())
    client.force_login(coordinator)
    pages = [
        client.post(
            reverse("logbook:trainers"),
            {"association": setting["association"].pk, "deactivate": pk, "confirm": "yes"},
            follow=True,
        )
        for pk in (elsewhere.pk, 99999999)
    ]
    assert [page.status_code for page in pages] == [200, 200]
    assert all("dans la liste" in page.content.decode() for page in pages)
    assert elsewhere.memberships.get().is_active
