"""GDPR services: export, rectification, erasure (frozen reports unchanged), consents, retention."""

import datetime
import io
import json
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import ForeignKey, ManyToManyField, OneToOneField
from django.utils import timezone

from courses.models import ModulePage
from lms.accounts.consents import consent_give, consent_withdraw, consents_for
from lms.accounts.models import (
    AuditEntry,
    Consent,
    ConsentPurpose,
    LearnerProfile,
    Role,
    SignInCard,
    SignInEvent,
    User,
)
from lms.accounts.services import card_issue
from lms.impact.models import FrozenReport
from lms.impact.selectors import figures_live
from lms.impact.services import report_freeze
from lms.learning.models import ModuleProgress, Statement, Verb
from lms.logbook.models import Attendance
from lms.logbook.services import session_log
from lms.privacy.erasure import ErasureRefused, learner_erase
from lms.privacy.export import learner_data_export
from lms.privacy.rectification import learner_rectify
from lms.privacy.register import NOT_PERSONAL, PROCESSING_REGISTER, register_rows
from lms.privacy.retention import learners_inactive
from tests.factories import (
    AssociationFactory,
    AttendanceFactory,
    FunderFactory,
    GroupFactory,
    MembershipFactory,
    ProgrammeFactory,
    TrainingSessionFactory,
    learner_in,
    trainer_in,
)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 2)


def moment(day=DAY, hour=10):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def world(catalogue):
    """Six learners who came to one session and were validated once; one with a full record."""
    association = AssociationFactory()
    trainer = trainer_in(association, display_name="Thomas")
    coordinator = MembershipFactory(association=association, role=Role.COORDINATOR).user
    module = ModulePage.objects.filter(competences__framework__slug="digcomp-2.2").first()
    session = TrainingSessionFactory(association=association, held_on=DAY, place="Rue Haute 1")
    learners = []
    for index in range(6):
        learner = learner_in(association, display_name=f"Personne {index}")
        LearnerProfile.objects.create(
            user=learner,
            family_name=f"Famille{index}",
            year_of_birth=1960,
            gender="woman",
            postcode="4000",
            first_language="fr",
        )
        AttendanceFactory(session=session, learner=learner)
        Statement.objects.create(
            learner=learner,
            learner_pseudonym=learner.pseudonym,
            verb=Verb.VALIDATED,
            object_iri=f"{module.iri}/steps/x",
            module_iri=module.iri,
            module=module,
            association=association,
            response={"help": "alone", "note": f"Bravo {learner.display_name}"},
            timestamp=moment(),
        )
        ModuleProgress.objects.create(
            learner=learner,
            module_iri=module.iri,
            module=module,
            steps_completed=3,
            steps_total=3,
            started_at=moment(),
            completed_at=moment(hour=11),
            updated_at=moment(hour=11),
        )
        learners.append(learner)
    rosa = learners[0]
    group = GroupFactory(association=association)
    group.learners.add(rosa)
    card_issue(learner=rosa, association=association, pin="1234", issued_by=trainer)
    consent_give(learner=rosa, purpose=ConsentPurpose.PHOTOS, by=trainer, association=association)
    funder = FunderFactory()
    programme = ProgrammeFactory(funder=funder)
    programme.associations.add(association)
    return {
        "association": association,
        "trainer": trainer,
        "coordinator": coordinator,
        "learners": learners,
        "rosa": rosa,
        "group": group,
        "module": module,
        "programme": programme,
    }


def live(world):
    return figures_live(
        programme=world["programme"],
        association_ids=[world["association"].pk],
        start=world["programme"].starts_on,
        end=world["programme"].ends_on,
    )


# --- Export ------------------------------------------------------------------------------


def test_the_export_holds_everything_about_the_person_and_no_secret(world):
    rosa = world["rosa"]
    learner_rectify(
        learner=rosa, by=world["trainer"], association=world["association"], postcode="4020"
    )
    data = learner_data_export(rosa)
    json.dumps(data)  # JSON-ready as it is
    assert data["account"]["display_name"] == "Personne 0"
    assert data["profile"]["family_name"] == "Famille0"
    assert data["memberships"][0]["role"] == Role.LEARNER
    assert data["groups"][0]["name"] == world["group"].name
    assert data["consents"][0]["purpose"] == ConsentPurpose.PHOTOS
    assert data["sign_in_cards"][0]["is_active"] is True
    assert data["statements"][0]["verb"] == Verb.VALIDATED
    assert data["validations"][0]["help"] == "alone"
    assert data["progress"][0]["completed_at"]
    assert data["attendances"][0]["place"] == "Rue Haute 1"
    assert [e["action"] for e in data["audit"]] == ["consent_give", "learner_update"]
    card = SignInCard.objects.get(learner=rosa)
    text = json.dumps(data)
    assert card.token not in text
    assert card.short_code not in text
    assert card.pin_hash not in text
    # Other learners' data is not in it.
    assert "Personne 1" not in text


# --- Rectification -------------------------------------------------------------------------


def test_a_rectification_keeps_only_what_changed_before_and_after(world):
    rosa = world["rosa"]
    changed = learner_rectify(
        learner=rosa,
        by=world["trainer"],
        association=world["association"],
        display_name="Rosa",
        family_name="Famille0",
        year_of_birth=1961,
    )
    assert changed == ["display_name", "year_of_birth"]
    rosa.refresh_from_db()
    assert rosa.display_name == rosa.first_name == "Rosa"
    assert rosa.learner_profile.year_of_birth == 1961
    entry = AuditEntry.objects.get(action="learner_update")
    assert entry.before == {"display_name": "Personne 0", "year_of_birth": 1960}
    assert entry.after == {"display_name": "Rosa", "year_of_birth": 1961}
    assert entry.actor == world["trainer"]
    # The same values again: nothing changes, nothing is recorded.
    assert (
        learner_rectify(learner=rosa, by=world["trainer"], association=None, display_name="Rosa")
        == []
    )
    assert AuditEntry.objects.filter(action="learner_update").count() == 1


def test_a_rectification_refuses_an_empty_name_and_unknown_fields(world):
    with pytest.raises(ValueError):
        learner_rectify(
            learner=world["rosa"], by=world["trainer"], association=None, display_name=" "
        )
    with pytest.raises(ValueError):
        learner_rectify(
            learner=world["rosa"], by=world["trainer"], association=None, email="x@y.be"
        )


# --- Erasure -------------------------------------------------------------------------------


def test_erasure_removes_the_person_and_keeps_anonymous_records(world):
    rosa = world["rosa"]
    pseudonym = rosa.pseudonym
    learner_rectify(learner=rosa, by=world["trainer"], association=None, postcode="4020")
    result = learner_erase(learner=rosa, by=world["coordinator"], association=world["association"])
    rosa.refresh_from_db()

    assert not result.already_erased
    assert rosa.erased_at is not None
    assert rosa.display_name == rosa.first_name == rosa.email == ""
    assert rosa.username == f"erased-{rosa.pk}"
    assert not rosa.is_active and not rosa.has_usable_password()
    assert rosa.public_name == "Personne effacée"
    assert not LearnerProfile.objects.filter(user=rosa).exists()
    assert not SignInCard.objects.filter(learner=rosa).exists()
    assert not SignInEvent.objects.filter(card__learner=rosa).exists()
    assert not world["group"].learners.filter(pk=rosa.pk).exists()
    assert not rosa.memberships.filter(is_active=True).exists()
    assert not Consent.objects.filter(learner=rosa, withdrawn_at=None).exists()
    # Statements keep the pseudonym, lose the person, and the trainer's note about them.
    statement = Statement.objects.get(learner_pseudonym=pseudonym)
    assert statement.learner_id is None
    assert statement.response == {"help": "alone", "note": ""}
    # Attendance and completion still count once, under the same pseudonym.
    assert Attendance.objects.filter(learner=rosa).count() == 1
    assert ModuleProgress.objects.filter(learner=rosa, completed_at__isnull=False).count() == 1
    assert (result.statements_kept, result.attendances_kept, result.completions_kept) == (1, 1, 1)
    # The audit keeps who erased and when, and no longer what the values were.
    update = AuditEntry.objects.get(action="learner_update")
    assert update.before is None and "4020" not in json.dumps(update.after)
    erase = AuditEntry.objects.get(action="learner_erase")
    assert erase.actor == world["coordinator"]
    assert "Personne 0" not in json.dumps(erase.after)


def test_erasing_twice_changes_nothing_more(world):
    rosa = world["rosa"]
    learner_erase(learner=rosa, by=world["coordinator"])
    again = learner_erase(learner=rosa, by=world["coordinator"])
    assert again.already_erased
    assert AuditEntry.objects.filter(action="learner_erase").count() == 1


def test_someone_who_also_works_here_is_not_erased_as_a_learner(world):
    MembershipFactory(user=world["rosa"], association=world["association"], role=Role.TRAINER)
    with pytest.raises(ErasureRefused):
        learner_erase(learner=world["rosa"], by=world["coordinator"])
    world["rosa"].refresh_from_db()
    assert world["rosa"].erased_at is None


def test_frozen_report_unchanged_after_erasing_a_learner_live_figures_change(world):
    programme = world["programme"]
    report, _created = report_freeze(
        programme=programme,
        association=None,
        association_ids=[world["association"].pk],
        start=programme.starts_on,
        end=programme.ends_on,
        created_by=world["coordinator"],
        open_period_confirmed=True,
    )
    frozen = json.loads(json.dumps(report.figures))
    before = live(world)
    assert before == frozen

    learner_erase(learner=world["rosa"], by=world["coordinator"])

    report.refresh_from_db()
    assert report.figures == frozen
    assert FrozenReport.objects.get().figures == frozen
    after = live(world)
    assert after != before
    # People, hours and completions stay exact; only the erased person's profile is unknown.
    assert after["key_figures"] == before["key_figures"]
    assert after["breakdowns"] != before["breakdowns"]


# --- Consents ------------------------------------------------------------------------------


def test_a_consent_is_given_once_withdrawn_once_and_audited(world):
    rosa, trainer = world["rosa"], world["trainer"]
    first = consent_give(learner=rosa, purpose=ConsentPurpose.CONTACT, by=trainer, association=None)
    assert consent_give(learner=rosa, purpose="contact", by=trainer, association=None) == first
    assert first.wording_version and first.recorded_by == trainer
    assert consent_withdraw(learner=rosa, purpose="contact", by=trainer, association=None) == 1
    assert consent_withdraw(learner=rosa, purpose="contact", by=trainer, association=None) == 0
    state = next(s for s in consents_for(rosa) if s.purpose == "contact")
    assert not state.is_given and len(state.history) == 1
    actions = list(
        AuditEntry.objects.filter(object_type="accounts.Consent").values_list("action", flat=True)
    )
    assert sorted(actions) == ["consent_give", "consent_give", "consent_withdraw"]
    with pytest.raises(ValueError):
        consent_give(learner=rosa, purpose="marketing", by=trainer, association=None)


def test_the_registration_consent_counts_and_can_be_withdrawn(world):
    rosa = world["rosa"]
    LearnerProfile.objects.filter(user=rosa).update(consent_given_at=moment())
    state = next(s for s in consents_for(rosa) if s.purpose == ConsentPurpose.LEARNING_RECORDS)
    assert state.is_given
    consent_withdraw(
        learner=rosa, purpose="learning_records", by=world["trainer"], association=None
    )
    assert LearnerProfile.objects.get(user=rosa).consent_given_at is None


# --- Retention -----------------------------------------------------------------------------


def test_inactive_learners_are_anonymised_by_the_command_and_a_second_run_does_nothing(world):
    long_ago = timezone.now() - datetime.timedelta(days=2000)
    old = learner_in(world["association"], display_name="Ancienne")
    User.objects.filter(pk=old.pk).update(date_joined=long_ago)
    # Active lately through a statement, an attendance, or a sign-in: kept.
    for learner in world["learners"]:
        User.objects.filter(pk=learner.pk).update(date_joined=long_ago)
    signed_in = learner_in(world["association"])
    User.objects.filter(pk=signed_in.pk).update(date_joined=long_ago, last_login=timezone.now())
    staff = trainer_in(world["association"])
    MembershipFactory(user=staff, association=world["association"], role=Role.LEARNER)
    User.objects.filter(pk=staff.pk).update(date_joined=long_ago)

    inactive = list(learners_inactive(days=1095))
    assert old in inactive and signed_in not in inactive and staff not in inactive

    out = io.StringIO()
    call_command("anonymise_inactive", "--dry-run", stdout=out)
    assert "1 " in out.getvalue()
    old.refresh_from_db()
    assert old.erased_at is None

    call_command("anonymise_inactive", stdout=out)
    old.refresh_from_db()
    assert old.erased_at is not None
    assert AuditEntry.objects.get(action="learner_erase").after["reason"] == "retention"
    out = io.StringIO()
    call_command("anonymise_inactive", stdout=out)
    assert out.getvalue().startswith("0 ")
    assert all(
        learner.erased_at is None
        for learner in User.objects.filter(pk__in=[person.pk for person in world["learners"]])
    )


# --- Register of processing activities ---------------------------------------------------

PERSONAL_NAME = re.compile(
    r"(^|_)(email|phone|birth|gender|family_name|first_name|last_name|display_name|postcode"
    r"|address|situations?|pseudonym|ip_address|note)($|_)"
)
PROJECT_APPS = ("lms.", "courses", "cms")


def registered() -> dict[str, set[str]]:
    fields: dict[str, set[str]] = {}
    for processing in PROCESSING_REGISTER:
        for label, names in processing.models.items():
            fields.setdefault(label, set()).update(names)
    return fields


def test_every_model_pointing_at_a_person_is_in_the_register():
    user_model = get_user_model()
    known = registered()
    missing = []
    for model in apps.get_models():
        for field in [*model._meta.local_fields, *model._meta.local_many_to_many]:
            points_at_person = isinstance(field, ForeignKey | OneToOneField | ManyToManyField) and (
                field.related_model is user_model
            )
            if points_at_person and field.name not in known.get(model._meta.label, set()):
                missing.append(f"{model._meta.label}.{field.name}")
    assert missing == []


def test_every_project_field_that_looks_personal_is_in_the_register():
    known = registered()
    missing = []
    for model in apps.get_models():
        if not model.__module__.startswith(PROJECT_APPS) or model._meta.label in NOT_PERSONAL:
            continue
        for field in model._meta.local_fields:
            if PERSONAL_NAME.search(field.name) and field.name not in known.get(
                model._meta.label, set()
            ):
                missing.append(f"{model._meta.label}.{field.name}")
    assert missing == []


def test_the_register_names_only_fields_that_exist_and_reads_in_french():
    rows = register_rows()
    assert len(rows) == len(PROCESSING_REGISTER)
    profile = next(row for row in rows if row.key == "profile")
    names = {label: fields for label, _name, fields in profile.models}
    assert "année de naissance" in names["accounts.LearnerProfile"]
    assert "1095" in profile.retention


def test_correcting_an_old_session_keeps_the_attendance_of_an_erased_learner(world):
    rosa, others = world["rosa"], world["learners"][1:]
    session = rosa.attendances.get().session
    learner_erase(learner=rosa, by=world["coordinator"])
    # The trainer's list no longer shows the erased person; saving the session again
    # with the people it shows must not take the erased person's hours away.
    session_log(
        association=world["association"],
        by=world["trainer"],
        held_on=session.held_on,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        present=others,
        session=session,
    )
    assert session.attendances.count() == 6
    assert session.attendances.filter(learner=rosa).exists()


def test_rebuilding_progress_keeps_the_completions_of_an_erased_learner(world):
    from lms.learning.models import ModuleProgress
    from lms.learning.progress import progress_rebuild

    rosa = world["rosa"]
    learner_erase(learner=rosa, by=world["coordinator"])
    progress_rebuild()
    assert ModuleProgress.objects.filter(learner=rosa, completed_at__isnull=False).exists()
