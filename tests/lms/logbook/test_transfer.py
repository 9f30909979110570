"""Import and export of learners, groups and sessions: files, checks, round trips, access."""

import datetime
import io
import os
import subprocess
import sys
import uuid
import zipfile

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import include, path, reverse
from django.utils import timezone, translation

from lms import urls as site_urls
from lms.accounts.models import LearnerProfile, Membership, Role, User
from lms.logbook import transfer_files, transfer_services
from lms.logbook.models import Attendance, Group, PendingImport, TrainingSession
from lms.logbook.transfer import KINDS, GroupResource, TrainingSessionResource
from lms.logbook.transfer_cells import cell_text
from lms.logbook.transfer_files import MAX_UPLOAD_BYTES, table_read
from lms.logbook.transfer_learners import LearnerResource
from lms.logbook.transfer_services import (
    transfer_confirm,
    transfer_export,
    transfer_preview,
)
from tests.factories import (
    AssociationFactory,
    AttendanceFactory,
    GroupFactory,
    MembershipFactory,
    TrainingSessionFactory,
    learner_in,
    trainer_in,
)
from tests.lms.databases import child_environment, migrated_database

pytestmark = pytest.mark.django_db

# Until lms/urls.py includes the transfer URLs, the tests add them in front of the site's.
urlpatterns = [
    *(
        []
        if any(getattr(p, "namespace", None) == "transfer" for p in site_urls.urlpatterns)
        else [path("formateur/", include("lms.logbook.transfer_urls"))]
    ),
    *site_urls.urlpatterns,
]
with_urls = pytest.mark.urls(__name__)


# --- Helpers -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english():
    """Messages are compared in English, the msgids, whatever the translations say."""
    with translation.override("en"):
        yield


@pytest.fixture
def association():
    return AssociationFactory(name="Les Tilleuls", slug="les-tilleuls")


@pytest.fixture
def other_association():
    return AssociationFactory(name="Le Fil", slug="le-fil")


@pytest.fixture
def trainer(association):
    # A name no test file uses: tests look learners up by name.
    return trainer_in(association, display_name="Formatrice")


def counts() -> dict[str, int]:
    return {
        "users": User.objects.count(),
        "profiles": LearnerProfile.objects.count(),
        "memberships": Membership.objects.count(),
        "groups": Group.objects.count(),
        "group_learners": Group.learners.through.objects.count(),
        "group_trainers": Group.trainers.through.objects.count(),
        "sessions": TrainingSession.objects.count(),
        "attendances": Attendance.objects.count(),
    }


def csv_file(rows, *, delimiter=";", bom=True, name="file.csv") -> SimpleUploadedFile:
    lines = [delimiter.join(str(cell) for cell in row) for row in rows]
    data = "\r\n".join(lines).encode("utf-8-sig" if bom else "utf-8")
    return SimpleUploadedFile(name, data, content_type="text/csv")


def xlsx_file(rows, name="file.xlsx") -> SimpleUploadedFile:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def as_upload(content: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def preview_of(kind, file, association, user):
    return transfer_preview(kind=kind, file=file, association=association, user=user)


def import_file(kind, file, association, user):
    """Preview then confirm, as the pages do; returns the confirmation's result."""
    preview = preview_of(kind, file, association, user)
    assert not preview.has_errors, preview.messages
    return transfer_confirm(kind=kind, token=preview.token, association=association, user=user)


def learner_header():
    return LearnerResource.labels()


def group_header():
    return GroupResource.labels()


def session_header():
    return TrainingSessionResource.labels()


# --- Columns -----------------------------------------------------------------------------


@pytest.mark.parametrize("resource", [LearnerResource, GroupResource, TrainingSessionResource])
def test_each_column_is_declared_once_with_its_label_and_is_a_resource_field(resource):
    keys = [key for key, _label in resource.columns]
    assert len(keys) == len(set(keys))
    assert set(resource.fields) == set(keys)
    assert resource(association=AssociationFactory()).get_export_headers() == keys


def test_columns_are_recognised_by_label_in_any_language_or_by_key(association, trainer):
    with translation.override("fr-be"):
        french = learner_header()
    file = csv_file([[french[1], "family_name"], ["Amina", "Benali"]])
    preview = preview_of("learners", file, association, trainer)
    assert not preview.has_errors, preview.messages
    assert preview.totals["new"] == 1


# --- Good files --------------------------------------------------------------------------


def test_a_good_csv_file_of_learners_is_imported_with_their_profile_and_membership(
    association, trainer
):
    file = csv_file(
        [
            learner_header(),
            [
                "",
                "Amina",
                "Benali",
                "1984",
                "woman",
                "4000",
                "arabe",
                "job_seeker, newcomer",
                "02/03/2026",
            ],
            ["", "Jean", "", "", "", "", "", "", ""],
        ]
    )
    preview = preview_of("learners", file, association, trainer)
    assert preview.totals == {"new": 2, "update": 0, "skip": 0, "error": 0}
    assert preview.token
    assert not User.objects.filter(display_name="Amina").exists()  # the preview keeps nothing

    result = transfer_confirm(
        kind="learners", token=preview.token, association=association, user=trainer
    )
    assert result.is_committed
    amina = User.objects.get(display_name="Amina")
    assert amina.username.startswith("a-") and len(amina.username) == 10
    assert not amina.has_usable_password()
    assert Membership.objects.filter(
        user=amina, association=association, role=Role.LEARNER, is_active=True
    ).exists()
    profile = amina.learner_profile
    assert (profile.family_name, profile.year_of_birth, profile.gender) == ("Benali", 1984, "woman")
    assert (profile.postcode, profile.first_language) == ("4000", "arabe")
    assert profile.situations == ["job_seeker", "newcomer"]
    assert timezone.localtime(profile.consent_given_at).date() == datetime.date(2026, 3, 2)
    assert profile.consent_recorded_by == trainer
    assert User.objects.get(display_name="Jean").learner_profile.situations == []


def test_a_good_xlsx_file_of_learners_is_imported_with_real_dates_and_numbers(association, trainer):
    file = xlsx_file(
        [
            learner_header(),
            [
                None,
                "Amina",
                "Benali",
                1984,
                "Woman",
                4000,
                "arabe",
                "senior",
                datetime.date(2026, 3, 2),
            ],
        ]
    )
    result = import_file("learners", file, association, trainer)
    assert result.totals["new"] == 1
    profile = User.objects.get(display_name="Amina").learner_profile
    assert (profile.year_of_birth, profile.postcode, profile.gender) == (1984, "4000", "woman")


def test_dates_are_accepted_as_day_month_year_and_as_iso(association, trainer):
    file = csv_file(
        [
            session_header(),
            ["", "02/03/2026", "09:30", "12:00", "EPN", "", ""],
            ["", "2026-03-09", "9h30", "12h", "EPN", "", ""],
        ],
        delimiter=",",
        bom=False,
    )
    import_file("sessions", file, association, trainer)
    assert sorted(TrainingSession.objects.values_list("held_on", flat=True)) == [
        datetime.date(2026, 3, 2),
        datetime.date(2026, 3, 9),
    ]
    assert set(TrainingSession.objects.values_list("ends_at", flat=True)) == {datetime.time(12)}


def test_a_group_file_creates_the_group_with_its_learners_and_the_trainer(association, trainer):
    amina, jean = learner_in(association), learner_in(association)
    file = csv_file(
        [group_header(), ["Groupe du lundi", "", f"{amina.pseudonym}, {jean.pseudonym}"]]
    )
    import_file("groups", file, association, trainer)
    group = Group.objects.get(name="Groupe du lundi")
    assert group.association == association
    assert set(group.learners.all()) == {amina, jean}
    assert list(group.trainers.all()) == [trainer]


def test_a_group_follows_the_learning_path_named_by_its_title(association, trainer, catalogue):
    from courses.models import LearningPathPage

    path_page = LearningPathPage.objects.live().first()
    file = csv_file([group_header(), ["Groupe", path_page.title.upper(), ""]])
    import_file("groups", file, association, trainer)
    assert Group.objects.get(name="Groupe").learning_path_id == path_page.pk

    bad = csv_file([group_header(), ["Groupe", "Un parcours inconnu", ""]])
    preview = preview_of("groups", bad, association, trainer)
    assert preview.messages == ["Row 2: no learning path is called “Un parcours inconnu”"]


def test_a_group_whose_learning_path_is_no_longer_published_round_trips(
    association, trainer, catalogue
):
    from courses.models import LearningPathPage

    path_page = LearningPathPage.objects.live().first()
    group = GroupFactory(association=association, name="Mardi", learning_path=path_page)
    path_page.unpublish()
    content, _type, filename = transfer_export(kind="groups", association=association, fmt="csv")
    assert path_page.title in content.decode("utf-8-sig")
    result = import_file("groups", as_upload(content, filename), association, trainer)
    assert result.totals["skip"] == 1
    group.refresh_from_db()
    assert group.learning_path_id == path_page.pk


def test_a_session_file_records_attendance_and_replaces_it_on_update(association, trainer):
    group = GroupFactory(association=association, name="Groupe du lundi")
    amina, jean = learner_in(association), learner_in(association)
    file = xlsx_file(
        [
            session_header(),
            [
                None,
                "02/03/2026",
                datetime.time(9, 30),
                "12:00",
                "EPN",
                "groupe du lundi",
                f"{amina.pseudonym};{jean.pseudonym}",
            ],
        ]
    )
    import_file("sessions", file, association, trainer)
    session = TrainingSession.objects.get()
    assert (session.group, session.association, session.place) == (group, association, "EPN")
    assert set(Attendance.objects.values_list("learner", flat=True)) == {amina.pk, jean.pk}
    assert list(session.trainers.all()) == [trainer]

    update = csv_file(
        [
            session_header(),
            [session.uuid, "02/03/2026", "09:30", "12:00", "EPN", group.name, jean.pseudonym],
        ]
    )
    result = import_file("sessions", update, association, trainer)
    assert result.totals["update"] == 1
    assert list(Attendance.objects.values_list("learner", flat=True)) == [jean.pk]


def test_an_existing_learner_is_updated_by_identifier(association, trainer):
    amina = learner_in(association, display_name="Amina")
    file = csv_file([["id", "first_name", "postcode"], [amina.pseudonym, "Amina B.", "4020"]])
    result = import_file("learners", file, association, trainer)
    assert result.totals == {"new": 0, "update": 1, "skip": 0, "error": 0}
    amina.refresh_from_db()
    assert amina.display_name == "Amina B."
    assert amina.learner_profile.postcode == "4020"


def test_a_renamed_learner_is_greeted_by_the_new_name_at_once(association, trainer, catalogue):
    """The import's bulk_update sends no signal: it forgets the cached user itself."""
    amina = learner_in(association, display_name="Amina")
    browser = Client()
    browser.force_login(amina)
    assert "Amina" in browser.get(reverse("learning:my_path")).content.decode()  # cached
    file = csv_file([["id", "first_name"], [amina.pseudonym, "Aminata"]])
    assert import_file("learners", file, association, trainer).totals["update"] == 1
    assert "Bonjour Aminata" in browser.get(reverse("learning:my_path")).content.decode()


def test_a_learner_recorded_without_a_first_name_may_stay_so_but_not_lose_one(association, trainer):
    nameless = learner_in(association, display_name="")
    named = learner_in(association, display_name="Amina")
    file = csv_file([["id", "first_name"], [nameless.pseudonym, ""]])
    assert import_file("learners", file, association, trainer).totals["skip"] == 1
    file = csv_file([["id", "first_name"], [named.pseudonym, ""]])
    assert refused("learners", file, association, trainer) == [
        "Row 2: the first name or nickname is empty"
    ]


# --- Bad files: a clear message and nothing written ---------------------------------------


def refused(kind, file, association, user) -> list[str]:
    before = counts()
    preview = preview_of(kind, file, association, user)
    assert preview.has_errors
    assert not preview.valid_count or preview.can_import_valid_rows
    assert counts() == before
    return preview.messages


def test_an_impossible_date_is_refused_with_its_row_number(association, trainer):
    file = csv_file(
        [
            session_header(),
            ["", "02/03/2026", "09:30", "12:00", "", "", ""],
            ["", "03/03/2026", "09:30", "12:00", "", "", ""],
            ["", "31/02/2026", "09:30", "12:00", "", "", ""],
        ]
    )
    assert refused("sessions", file, association, trainer) == [
        "Row 4: the date “31/02/2026” is not a valid date (use DD/MM/YYYY)"
    ]


def test_a_date_in_another_format_is_refused(association, trainer):
    file = csv_file([session_header(), ["", "March 2nd", "09:30", "12:00", "", "", ""]])
    assert refused("sessions", file, association, trainer) == [
        "Row 2: the date “March 2nd” is not a valid date (use DD/MM/YYYY)"
    ]


def test_an_unknown_group_is_refused(association, trainer):
    file = csv_file(
        [session_header(), ["", "02/03/2026", "09:30", "12:00", "", "Groupe fantôme", ""]]
    )
    assert refused("sessions", file, association, trainer) == [
        "Row 2: no group is called “Groupe fantôme” in this association"
    ]


def test_an_end_before_the_start_is_refused(association, trainer):
    file = csv_file([session_header(), ["", "02/03/2026", "14:00", "12:00", "", "", ""]])
    assert refused("sessions", file, association, trainer) == [
        "Row 2: the end time 12:00 is not after the start time 14:00"
    ]


def test_duplicate_rows_are_refused(association, trainer):
    amina = learner_in(association)
    learners = csv_file(
        [
            learner_header(),
            ["", "Jean", "Dupont", "", "", "", "", "", ""],
            ["", "Jean", "Dupont", "", "", "", "", "", ""],
            [amina.pseudonym, "Amina", "", "", "", "", "", "", ""],
            [amina.pseudonym, "Amina", "", "", "", "", "", "", ""],
        ]
    )
    assert refused("learners", learners, association, trainer) == [
        "Row 3: this row repeats row 2",
        f"Row 5: the identifier “{amina.pseudonym}” is already in row 4",
    ]
    groups = csv_file([group_header(), ["Lundi", "", ""], ["lundi", "", ""]])
    assert refused("groups", groups, association, trainer) == [
        "Row 3: the group “lundi” is already in row 2"
    ]
    sessions = csv_file(
        [
            session_header(),
            ["", "02/03/2026", "09:30", "12:00", "", "", ""],
            ["", "2026-03-02", "9h30", "11:00", "", "", ""],
        ]
    )
    assert refused("sessions", sessions, association, trainer) == [
        "Row 3: this session (same date, start time and group) is already in row 2"
    ]


def test_each_wrong_learner_value_has_its_own_message(association, trainer):
    this_year = timezone.localdate().year
    file = csv_file(
        [
            learner_header(),
            ["", " ", "Benali", "", "", "", "", "", ""],
            ["", "Amina", "", "1850", "femme?", "40000", "", "student, senior", ""],
            ["", "Jean", "", str(this_year + 1), "", "B-4000", "", "", "01/01/2999"],
        ]
    )
    assert refused("learners", file, association, trainer) == [
        "Row 2: the first name or nickname is empty",
        f"Row 3: the year of birth “1850” is not between 1900 and {this_year}",
        "Row 3: the gender “femme?” is unknown (use Woman, Man, Other, Prefers not to say)",
        "Row 3: the postcode “40000” does not have 4 digits",
        "Row 3: the situation “student” is unknown (use Job seeker, Senior, CPAS beneficiary, "
        "Newcomer, Person with a disability)",
        f"Row 4: the year of birth “{this_year + 1}” is not between 1900 and {this_year}",
        "Row 4: the postcode “B-4000” does not have 4 digits",
        "Row 4: the consent date “01/01/2999” is in the future",
    ]


def test_a_missing_required_column_is_refused(association, trainer):
    file = csv_file([["family_name"], ["Benali"]])
    assert refused("learners", file, association, trainer) == [
        f"The column “{learner_header()[1]}” is missing."
    ]


def test_an_unknown_column_is_ignored_with_a_warning(association, trainer):
    file = csv_file([["first_name", "Remarque"], ["Amina", "vient le lundi"]])
    preview = preview_of("learners", file, association, trainer)
    assert not preview.has_errors
    assert preview.warnings == ["The column “Remarque” is not known and will be ignored."]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\r\n;;\r\n", "The file is empty."),
        ("Prénom ou surnom\r\n".encode(), "The file has a header line but no rows to import."),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02",
            "This file is not a spreadsheet (CSV, XLSX or ODS)",
        ),
        (bytes(range(256)) * 40, "This file is not a spreadsheet (CSV, XLSX or ODS)"),
        (b"PK\x03\x04 not really a zip", "This file is not a spreadsheet (CSV, XLSX or ODS)"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
            "This is an old Excel file (.xls): save it as .xlsx or .csv and try again.",
        ),
        (
            "Prénom;Nom\r\nAmélie;Lœw\r\n".encode("cp1252"),
            "This CSV file is not in UTF-8: save it again as “CSV UTF-8” and try again.",
        ),
    ],
    ids=["empty", "blank", "header-only", "png", "random-bytes", "broken-zip", "xls", "latin"],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_clear_message(
    association, trainer, content, message
):
    assert refused("learners", as_upload(content, "file.csv"), association, trainer) == [message]


def test_a_random_file_is_refused_even_with_a_csv_name(association, trainer):
    content = os.urandom(4096)
    assert refused("groups", as_upload(content, "groupes.csv"), association, trainer) == [
        "This file is not a spreadsheet (CSV, XLSX or ODS)"
    ]


def test_a_word_document_is_not_a_spreadsheet(association, trainer):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    assert refused("learners", as_upload(buffer.getvalue(), "a.xlsx"), association, trainer) == [
        "This file is not a spreadsheet (CSV, XLSX or ODS)"
    ]


class WatchedBytes(io.BytesIO):
    """A file body that counts the bytes read from it."""

    bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data


def test_a_50_mb_file_is_refused_before_it_is_read(association, trainer, monkeypatch):
    row = b";Amina;Benali;1984;woman;4000;arabe;senior;02/03/2026\r\n"
    content = ";".join(learner_header()).encode() + b"\r\n" + row * (50 * 1024 * 1024 // len(row))
    file = as_upload(content, "learners.csv")
    file.file = WatchedBytes(content)
    assert file.size >= 50 * 1000 * 1000
    monkeypatch.setattr(transfer_services, "table_read", lambda data: pytest.fail("parsed"))
    assert refused("learners", file, association, trainer) == [
        "The file is larger than 10 MB: split it into several files."
    ]
    assert file.file.bytes_read == 0


def test_a_file_whose_size_is_unknown_is_still_cut_at_10_mb(association, trainer):
    stream = io.BytesIO(b"a;b\r\n" * (MAX_UPLOAD_BYTES // 5 + 10))
    assert refused("learners", stream, association, trainer) == [
        "The file is larger than 10 MB: split it into several files."
    ]


def test_a_zip_bomb_is_refused_before_it_is_unpacked(association, trainer):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"\0" * (250 * 1024 * 1024))
    assert len(buffer.getvalue()) < MAX_UPLOAD_BYTES
    assert refused("learners", as_upload(buffer.getvalue(), "a.xlsx"), association, trainer) == [
        "This file is not a spreadsheet (CSV, XLSX or ODS)"
    ]


def test_one_bad_row_among_good_ones_writes_nothing_even_on_confirm(association, trainer):
    group = GroupFactory(association=association, name="Lundi")
    file = csv_file([session_header(), ["", "02/03/2026", "09:30", "12:00", "", "Lundi", ""]])
    preview = preview_of("sessions", file, association, trainer)
    assert not preview.has_errors
    group.delete()  # the file is checked again on confirmation
    before = counts()
    result = transfer_confirm(
        kind="sessions", token=preview.token, association=association, user=trainer
    )
    assert not result.is_committed
    assert result.messages == ["Row 2: no group is called “Lundi” in this association"]
    assert counts() == before


def test_a_preview_is_confirmed_once_only(association, trainer):
    file = csv_file([["first_name"], ["Amina"]])
    preview = preview_of("learners", file, association, trainer)
    first = transfer_confirm(
        kind="learners", token=preview.token, association=association, user=trainer
    )
    second = transfer_confirm(
        kind="learners", token=preview.token, association=association, user=trainer
    )
    assert first.is_committed
    assert not second.is_committed
    assert second.messages == ["This preview is no longer available: choose the file again."]
    assert User.objects.filter(display_name="Amina").count() == 1


# --- Round trips: export, then import the same file, changes nothing ---------------------


@pytest.fixture
def filled(association, trainer, other_association):
    """An association with learners, groups and sessions (and a neighbour that must not leak)."""
    amina = learner_in(association, display_name="=Amina+1")  # looks like a formula
    LearnerProfile.objects.create(
        user=amina,
        family_name="Benali",
        year_of_birth=1984,
        gender="woman",
        postcode="4000",
        first_language="arabe",
        situations=["newcomer", "job_seeker"],
        consent_given_at=timezone.now() - datetime.timedelta(days=3),
        consent_recorded_by=trainer,
    )
    jean = learner_in(association, display_name="Jean")
    inactive = learner_in(association, display_name="Parti")
    Membership.objects.filter(user=inactive).update(is_active=False)
    group = GroupFactory(association=association, name="Lundi matin")
    group.learners.set([amina, jean, inactive])
    group.trainers.add(trainer)
    GroupFactory(association=association, name="Vide")
    session = TrainingSessionFactory(association=association, group=group, place="EPN, salle 2")
    for learner in (amina, inactive):
        AttendanceFactory(session=session, learner=learner)
    TrainingSessionFactory(association=association, held_on=datetime.date(2026, 3, 9))
    # The neighbour's data must never appear in the export.
    learner_in(other_association, display_name="Voisine")
    GroupFactory(association=other_association, name="Groupe voisin")
    TrainingSessionFactory(association=other_association)
    return {"amina": amina, "jean": jean, "group": group, "session": session}


def snapshot_of(association):
    learners = list(
        User.objects.filter(memberships__association=association)
        .order_by("pk")
        .values_list(
            "pk",
            "username",
            "display_name",
            "learner_profile__family_name",
            "learner_profile__year_of_birth",
            "learner_profile__situations",
            "learner_profile__consent_given_at",
            "learner_profile__consent_recorded_by",
        )
    )
    groups = list(Group.objects.order_by("pk").values_list("pk", "name", "learning_path"))
    sessions = list(
        TrainingSession.objects.order_by("pk").values_list(
            "pk", "uuid", "held_on", "starts_at", "ends_at", "place", "group", "updated_at"
        )
    )
    members = sorted(Group.learners.through.objects.values_list("group", "user"))
    attendances = sorted(Attendance.objects.values_list("pk", "session", "learner"))
    return counts(), learners, groups, sessions, members, attendances


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_exporting_then_importing_the_same_file_changes_nothing(
    association, trainer, filled, kind, fmt
):
    content, content_type, filename = transfer_export(kind=kind, association=association, fmt=fmt)
    assert filename.endswith(f"-les-tilleuls-{timezone.localdate():%Y-%m-%d}.{fmt}")
    assert content_type.startswith(transfer_files.CONTENT_TYPES[fmt])
    before = snapshot_of(association)
    result = import_file(kind, as_upload(content, filename), association, trainer)
    assert result.is_committed
    assert result.totals["skip"] == len(result.rows) > 0
    assert result.totals["new"] == result.totals["update"] == 0
    assert snapshot_of(association) == before


def test_an_export_holds_only_the_association_rows(association, filled):
    content, _type, _name = transfer_export(kind="learners", association=association, fmt="csv")
    text = content.decode("utf-8-sig")
    assert text.splitlines()[0] == ";".join(learner_header())
    assert "Voisine" not in text and "Parti" not in text  # a neighbour, an inactive learner
    assert "'=Amina+1" in text  # a spreadsheet will not run it as a formula
    assert str(filled["amina"].pseudonym) in text
    groups = transfer_export(kind="groups", association=association, fmt="csv")[0].decode()
    assert "Groupe voisin" not in groups
    sessions = table_read(transfer_export(kind="sessions", association=association, fmt="xlsx")[0])
    assert len(sessions.rows) == 2
    assert sessions.rows[0][1][4] == "EPN, salle 2"


def test_an_edited_export_updates_only_the_changed_rows(association, trainer, filled):
    content, _type, filename = transfer_export(kind="learners", association=association, fmt="csv")
    text = content.decode("utf-8-sig").replace(";Jean;", ";Jean-Marie;")
    result = import_file("learners", as_upload(text.encode(), filename), association, trainer)
    assert result.totals == {"new": 0, "update": 1, "skip": 1, "error": 0}
    assert User.objects.filter(display_name="Jean-Marie").exists()
    assert User.objects.get(pk=filled["amina"].pk).display_name == "=Amina+1"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_an_export_query_count_does_not_grow_with_rows(
    association, trainer, django_assert_max_num_queries, fmt
):
    group = GroupFactory(association=association)
    for _index in range(30):
        learner = learner_in(association)
        LearnerProfile.objects.create(user=learner, situations=["senior"])
        group.learners.add(learner)
        AttendanceFactory(session=TrainingSessionFactory(association=association), learner=learner)
    GroupFactory.create_batch(10, association=association)
    # One query for the rows, one for the learners of every group or session.
    for kind in KINDS:
        with django_assert_max_num_queries(2):
            transfer_export(kind=kind, association=association, fmt=fmt)


# --- Access: only the user's associations ------------------------------------------------


def test_a_row_naming_another_association_learner_or_group_is_an_error(
    association, other_association, trainer
):
    stranger = learner_in(other_association)
    their_group = GroupFactory(association=other_association, name="Leur groupe")
    their_session = TrainingSessionFactory(association=other_association)
    before = counts()
    learners = csv_file([["id", "first_name"], [stranger.pseudonym, "Piratée"]])
    assert refused("learners", learners, association, trainer) == [
        f"Row 2: no learner has the identifier “{stranger.pseudonym}” in this association"
    ]
    groups = csv_file([group_header(), ["Mon groupe", "", stranger.pseudonym]])
    assert refused("groups", groups, association, trainer) == [
        f"Row 2: no learner has the identifier “{stranger.pseudonym}” in this association"
    ]
    sessions = csv_file(
        [
            session_header(),
            ["", "02/03/2026", "09:30", "12:00", "", their_group.name, stranger.pseudonym],
            [their_session.uuid, "02/03/2026", "09:30", "12:00", "", "", ""],
        ]
    )
    assert refused("sessions", sessions, association, trainer) == [
        "Row 2: no group is called “Leur groupe” in this association",
        f"Row 2: no learner has the identifier “{stranger.pseudonym}” in this association",
        f"Row 3: no session has the identifier “{their_session.uuid}” in this association",
    ]
    assert counts() == before
    assert stranger.display_name != "Piratée"


def test_a_preview_cannot_be_confirmed_by_someone_else_or_elsewhere(
    association, other_association, trainer
):
    colleague = trainer_in(association, display_name="Collègue")
    MembershipFactory(user=colleague, association=other_association, role=Role.TRAINER)
    file = csv_file([["first_name"], ["Amina"]])
    preview = preview_of("learners", file, association, trainer)
    for user, place in ((colleague, association), (trainer, other_association)):
        stolen = transfer_confirm(
            kind="learners", token=preview.token, association=place, user=user
        )
        assert not stolen.is_committed
    assert not User.objects.filter(display_name="Amina").exists()
    assert transfer_confirm(
        kind="learners", token="../../etc/passwd", association=association, user=trainer
    ).errors
    # The attempts left the preview to the person who sent it.
    assert transfer_confirm(
        kind="learners", token=preview.token, association=association, user=trainer
    ).is_committed


WEB_PROCESS = """
from django.core.files.uploadedfile import SimpleUploadedFile
from lms.logbook.transfer_services import transfer_preview
from tests.factories import AssociationFactory, trainer_in

association = AssociationFactory(slug="deux-processus")
trainer = trainer_in(association, username="formatrice-deux-processus")
data = "first_name\\r\\nAmina Deux-Processus\\r\\n".encode()
file = SimpleUploadedFile("learners.csv", data, content_type="text/csv")
print(transfer_preview(kind="learners", file=file, association=association, user=trainer).token)
"""
WORKER_PROCESS = """
from lms.accounts.models import Association, User
from lms.logbook.transfer_services import transfer_confirm

done = transfer_confirm(
    kind="learners",
    token="{token}",
    association=Association.objects.get(slug="deux-processus"),
    user=User.objects.get(username="formatrice-deux-processus"),
)
print(done.is_committed, done.messages, User.objects.filter(display_name="Amina Deux-Processus").count())
"""


def test_a_preview_made_by_the_site_is_imported_by_a_worker_with_its_own_tmp(tmp_path):
    """The confirmation runs in the background worker, which under systemd has a /tmp of its
    own (PrivateTmp, docs/deploy.md) and may run on another server: two processes, each with
    its own TMPDIR, on a copy of the test database."""
    with migrated_database("pending_import", tmp_path) as database:
        outputs = []
        for name, code in (("web", WEB_PROCESS), ("worker", WORKER_PROCESS)):
            (tmp_path / name).mkdir()
            environment = child_environment(
                DJANGO_SETTINGS_MODULE="lms.settings.test", TMPDIR=str(tmp_path / name), **database
            )
            result = subprocess.run(
                [
                    sys.executable,
                    "manage.py",
                    "shell",
                    "-c",
                    code.format(token=outputs[-1] if outputs else ""),
                ],
                cwd=settings.BASE_DIR,
                env=environment,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert result.returncode == 0, result.stderr
            outputs.append(result.stdout.strip().splitlines()[-1])
    # With the file in the site's /tmp, the worker answered "no longer available".
    assert outputs[1] == "True [] 1", outputs


def test_a_preview_older_than_an_hour_is_no_longer_available_and_is_deleted(association, trainer):
    old = preview_of("learners", csv_file([["first_name"], ["Amina"]]), association, trainer)
    PendingImport.objects.filter(token=old.token).update(
        created_at=timezone.now() - datetime.timedelta(minutes=61)
    )
    late = transfer_confirm(kind="learners", token=old.token, association=association, user=trainer)
    assert late.messages == ["This preview is no longer available: choose the file again."]
    assert not User.objects.filter(display_name="Amina").exists()
    preview_of("learners", csv_file([["first_name"], ["Jean"]]), association, trainer)
    assert not PendingImport.objects.filter(token=old.token).exists()
    assert PendingImport.objects.count() == 1


@with_urls
@pytest.mark.parametrize(
    "url",
    [
        "/formateur/importer/",
        "/formateur/exporter/",
        "/formateur/exporter/learners.csv",
    ],
)
def test_anonymous_people_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@with_urls
def test_anonymous_people_cannot_post_a_file_or_confirm(client):
    for url in (reverse("transfer:import"), reverse("transfer:confirm")):
        response = client.post(url, {"kind": "learners"})
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))


@with_urls
def test_a_learner_cannot_open_the_pages(client, association):
    client.force_login(learner_in(association))
    assert client.get(reverse("transfer:import")).status_code == 403
    assert client.get(reverse("transfer:download", args=["learners", "csv"])).status_code == 403


@with_urls
def test_a_trainer_cannot_export_another_association(
    client, association, other_association, trainer
):
    learner_in(other_association, display_name="Voisine")
    client.force_login(trainer)
    for kind in KINDS:
        url = reverse("transfer:download", args=[kind, "csv"])
        assert client.get(url, {"association": other_association.pk}).status_code == 404
    assert (
        client.get(reverse("transfer:export"), {"association": other_association.pk}).status_code
        == 404
    )
    assert client.get(reverse("transfer:export"), {"association": "x"}).status_code == 404


@with_urls
def test_a_trainer_cannot_import_into_another_association(
    client, association, other_association, trainer
):
    client.force_login(trainer)
    before = counts()
    response = client.post(
        reverse("transfer:import"),
        {
            "association": other_association.pk,
            "kind": "learners",
            "file": csv_file([["first_name"], ["Intruse"]]),
        },
    )
    assert response.status_code == 404
    preview = preview_of("learners", csv_file([["first_name"], ["Intruse"]]), association, trainer)
    response = client.post(
        reverse("transfer:confirm"),
        {"association": other_association.pk, "kind": "learners", "token": preview.token},
    )
    assert response.status_code == 404
    assert counts() == before


# --- Pages -------------------------------------------------------------------------------


@pytest.fixture
def trainer_client(client, trainer):
    client.force_login(trainer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@with_urls
def test_the_import_page_offers_each_kind_and_a_file_field(trainer_client, association):
    response = trainer_client.get(reverse("transfer:import"))
    content = response.content.decode()
    assert response.status_code == 200
    assert 'name="file"' in content and 'enctype="multipart/form-data"' in content
    for kind in KINDS:
        assert f'value="{kind}"' in content
    assert f'name="association" value="{association.pk}"' in content  # one: no select
    assert "css/transfer.css" in content


@with_urls
def test_a_trainer_of_several_associations_chooses_one(trainer_client, trainer, other_association):
    MembershipFactory(user=trainer, association=other_association, role=Role.COORDINATOR)
    content = trainer_client.get(reverse("transfer:import")).content.decode()
    assert '<select id="transfer-association" name="association">' in content
    assert "Le Fil" in content and "Les Tilleuls" in content


@with_urls
def test_a_clean_file_shows_its_rows_and_a_confirm_button_then_imports(trainer_client, association):
    response = trainer_client.post(
        reverse("transfer:import"),
        {
            "association": association.pk,
            "kind": "learners",
            "file": csv_file([["first_name", "postcode"], ["Amina", "4000"], ["Jean", ""]]),
        },
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert '<div class="table-scroll"' in content
    assert "2 new, 0 to update, 0 already up to date, 0 with a problem." in content
    assert "Confirm the import" in content
    assert not User.objects.filter(display_name="Amina").exists()
    token = response.context["preview"].token

    response = trainer_client.post(
        reverse("transfer:confirm"),
        {"association": association.pk, "kind": "learners", "token": token},
        follow=True,
    )
    assert (
        response.redirect_chain[-1][0]
        == f"{reverse('transfer:import')}?association={association.pk}"
    )
    assert (
        "Import done in Les Tilleuls: 2 added, 0 updated, 0 unchanged." in response.content.decode()
    )
    learners = User.objects.filter(
        memberships__association=association, memberships__role="learner"
    )
    assert sorted(learners.values_list("display_name", flat=True)) == ["Amina", "Jean"]


@with_urls
def test_a_file_with_errors_shows_them_and_no_confirm_button(trainer_client, association):
    before = counts()
    response = trainer_client.post(
        reverse("transfer:import"),
        {
            "association": association.pk,
            "kind": "sessions",
            "file": csv_file([session_header(), ["", "31/02/2026", "09:30", "12:00", "", "", ""]]),
        },
    )
    content = response.content.decode()
    assert "Correct the file and start again." in content
    assert "Row 2: the date “31/02/2026” is not a valid date (use DD/MM/YYYY)" in content
    assert "Confirm the import" not in content
    assert counts() == before


@with_urls
def test_a_file_over_10_mb_is_refused_before_django_reads_it(trainer_client, association):
    big = as_upload(b"x" * (MAX_UPLOAD_BYTES + 100 * 1024), "big.csv")
    response = trainer_client.post(
        reverse("transfer:import"), {"association": association.pk, "kind": "learners", "file": big}
    )
    assert response.status_code == 413
    assert (
        "The file is larger than 10 MB: split it into several files." in response.content.decode()
    )


@with_urls
def test_the_import_form_asks_for_a_kind_and_a_file(trainer_client, association):
    response = trainer_client.post(reverse("transfer:import"), {"association": association.pk})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"kind", "file"}


@with_urls
def test_the_import_page_checks_the_csrf_token(client, trainer, association):
    client = type(client)(enforce_csrf_checks=True)
    client.force_login(trainer)
    response = client.post(
        reverse("transfer:import"),
        {
            "association": association.pk,
            "kind": "learners",
            "file": csv_file([["first_name"], ["A"]]),
        },
    )
    assert response.status_code == 403


@with_urls
def test_the_export_page_links_each_kind_in_each_format(trainer_client, association):
    content = trainer_client.get(reverse("transfer:export")).content.decode()
    for kind in KINDS:
        for fmt in ("csv", "xlsx", "ods"):
            url = reverse("transfer:download", args=[kind, fmt])
            assert f'href="{url}?association={association.pk}"' in content


@with_urls
def test_a_download_is_an_attachment_of_the_right_type(trainer_client, association, filled):
    response = trainer_client.get(
        reverse("transfer:download", args=["groups", "xlsx"]), {"association": association.pk}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == transfer_files.XLSX_MIMETYPE
    assert response["Content-Disposition"].startswith('attachment; filename="groups-les-tilleuls-')
    assert response["Cache-Control"] == "private, no-store"
    table = table_read(response.content)
    assert [cell_text(cell) for cell in table.headers] == group_header()
    assert (
        trainer_client.get(reverse("transfer:download", args=["groups", "pdf"])).status_code == 404
    )
    assert (
        trainer_client.get(reverse("transfer:download", args=["users", "csv"])).status_code == 404
    )


def test_the_ods_file_is_a_valid_opendocument_spreadsheet(association, filled):
    content = transfer_export(kind="sessions", association=association, fmt="ods")[0]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        first = archive.infolist()[0]
        assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
        assert archive.read("mimetype") == transfer_files.ODS_MIMETYPE.encode()
        assert "content.xml" in archive.namelist()
    assert table_read(content).rows[0][1][4] == "EPN, salle 2"


def test_learners_keep_the_learner_ids_they_had_with_an_unknown_id(association, trainer):
    file = csv_file([["id", "first_name"], [uuid.uuid4(), "Amina"], ["pas-un-id", "Jean"]])
    messages = refused("learners", file, association, trainer)
    assert messages[0].startswith("Row 2: no learner has the identifier")
    assert messages[1] == "Row 3: no learner has the identifier “pas-un-id” in this association"


ODS_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">
<manifest:file-entry manifest:full-path="/" manifest:version="1.2"
  manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>"""
ODS_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content
  xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Feuille1">
<table:table-column table:number-columns-repeated="1024"/>
<table:table-header-rows><table:table-row>{header}</table:table-row></table:table-header-rows>
<table:table-row>
  <table:table-cell/>
  <table:table-cell office:value-type="date" office:date-value="2026-03-02"><text:p>02/03/26</text:p></table:table-cell>
  <table:table-cell office:value-type="time" office:time-value="PT09H30M00S"><text:p>09:30</text:p></table:table-cell>
  <table:table-cell office:value-type="time" office:time-value="PT12H00M00S"><text:p>12:00</text:p></table:table-cell>
  <table:table-cell office:value-type="string"><text:p>EPN<text:s text:c="2"/>salle <text:span>2</text:span></text:p></table:table-cell>
  <table:table-cell table:number-columns-repeated="1019"/>
</table:table-row>
<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>
</table:table></office:spreadsheet></office:body></office:document-content>"""


def test_an_ods_file_made_by_a_spreadsheet_is_imported_with_its_typed_cells(association, trainer):
    header = "".join(
        f'<table:table-cell office:value-type="string"><text:p>{label}</text:p></table:table-cell>'
        for label in session_header()
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", transfer_files.ODS_MIMETYPE)
        archive.writestr("META-INF/manifest.xml", ODS_MANIFEST)
        archive.writestr("content.xml", ODS_CONTENT.format(header=header))
    import_file("sessions", as_upload(buffer.getvalue(), "seances.ods"), association, trainer)
    session = TrainingSession.objects.get()
    assert (session.held_on, session.starts_at) == (datetime.date(2026, 3, 2), datetime.time(9, 30))
    assert session.place == "EPN  salle 2"


@with_urls
def test_the_pages_refuse_an_association_the_trainer_does_not_work_in(
    trainer_client, other_association
):
    for name in ("transfer:import", "transfer:export"):
        response = trainer_client.get(reverse(name), {"association": other_association.pk})
        assert response.status_code == 404


@with_urls
def test_with_a_worker_the_import_is_followed_on_its_job_page(
    trainer_client, trainer, association, settings
):
    from lms.accounts.jobs import job_run
    from lms.accounts.models import Job

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    rows = [["first_name"], *[[f"Personne {n}"] for n in range(12)]]
    preview = preview_of("learners", csv_file(rows), association, trainer)
    response = trainer_client.post(
        reverse("transfer:confirm"),
        {"association": association.pk, "kind": "learners", "token": preview.token},
    )
    job = Job.objects.get(owner=trainer, kind="transfer-import")
    assert response.url == reverse("accounts:job", args=[job.pk])
    assert not User.objects.filter(display_name="Personne 0").exists()  # waits for the worker
    job_run.call(str(job.pk))
    job.refresh_from_db()
    assert (job.state, job.progress_done, job.progress_total) == ("done", 12, 12)
    assert "12 added" in job.message
    assert User.objects.filter(display_name__startswith="Personne ").count() == 12


@with_urls
def test_an_import_confirmed_twice_says_so_and_adds_nothing(trainer_client, trainer, association):
    preview = preview_of("learners", csv_file([["first_name"], ["Zoé"]]), association, trainer)
    data = {"association": association.pk, "kind": "learners", "token": preview.token}
    trainer_client.post(reverse("transfer:confirm"), data)
    again = trainer_client.post(reverse("transfer:confirm"), data, follow=True)
    assert "This preview is no longer available" in again.content.decode()
    assert User.objects.filter(display_name="Zoé").count() == 1
