"""Files in the trainer's words, imports that do not duplicate, and partial imports (#23 part 4).

The trainer works in French here (Dutch where said): the files they export, fill in a
spreadsheet and import again use their column names and words, never internal codes.
"""

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from lms.accounts.models import LearnerProfile, Membership, Role, User
from lms.logbook import transfer_store
from lms.logbook.transfer_cells import cell_text
from lms.logbook.transfer_files import XLSX_MIMETYPE, file_format, table_read, table_write
from lms.logbook.transfer_learners import LearnerResource
from lms.logbook.transfer_services import (
    ALL_OR_NOTHING,
    VALID_ROWS,
    transfer_confirm,
    transfer_export,
    transfer_preview,
    transfer_template,
)
from tests.factories import AssociationFactory, GroupFactory, learner_in, trainer_in

pytestmark = pytest.mark.django_db

FORMATS = ["csv", "xlsx", "ods"]


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr-be"):
        yield


@pytest.fixture
def association():
    return AssociationFactory(name="Les Tilleuls", slug="les-tilleuls")


@pytest.fixture
def trainer(association):
    return trainer_in(association, display_name="Formatrice")


def learner_with(association, *, first, family="", year=None, **profile):
    learner = learner_in(association, display_name=first)
    LearnerProfile.objects.create(user=learner, family_name=family, year_of_birth=year, **profile)
    return learner


@pytest.fixture
def learners(association, trainer):
    """Three learners, one with every detail; the export must write them in French."""
    amina = learner_with(
        association,
        first="Amina",
        family="Benali",
        year=1984,
        gender="woman",
        postcode="4000",
        first_language="arabe",
        situations=["job_seeker", "cpas"],
        consent_given_at=timezone.now() - datetime.timedelta(days=3),
        consent_recorded_by=trainer,
    )
    jean = learner_with(association, first="Jean", family="Dupont", year=1950, gender="man")
    zoe = learner_with(association, first="Zoé", situations=["senior"])
    return {"amina": amina, "jean": jean, "zoe": zoe}


def upload(content: bytes, name: str = "fichier") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def learner_file(rows, fmt="csv", headers=None) -> SimpleUploadedFile:
    headers = headers or [label for _key, label in LearnerResource.columns]
    content = table_write(fmt=fmt, headers=[str(h) for h in headers], rows=rows, title="Feuille")
    return upload(content, f"apprenants.{fmt}")


def french_spaces(lines: list[str]) -> list[str]:
    """Messages with French typography's narrow no-break spaces written as plain spaces."""
    return [line.replace("\u202f", " ").replace("\xa0", " ") for line in lines]


def preview_of(file, association, trainer):
    return transfer_preview(kind="learners", file=file, association=association, user=trainer)


def imported(file, association, trainer, *, mode=ALL_OR_NOTHING, decisions=None):
    preview = preview_of(file, association, trainer)
    assert preview.token, preview.messages
    return transfer_confirm(
        kind="learners",
        token=preview.token,
        association=association,
        user=trainer,
        mode=mode,
        decisions=decisions,
    )


def state(association):
    """Everything an import could change, learner by learner."""
    return sorted(
        User.objects.filter(memberships__association=association).values_list(
            "pk",
            "display_name",
            "learner_profile__family_name",
            "learner_profile__year_of_birth",
            "learner_profile__gender",
            "learner_profile__postcode",
            "learner_profile__situations",
            "learner_profile__consent_given_at",
        )
    ), Membership.objects.count()


# --- Exports and templates in the trainer's words -----------------------------------------


def test_an_export_writes_french_headers_and_labels_never_codes(association, learners):
    content = transfer_export(kind="learners", association=association, fmt="csv")[0]
    text = content.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.startswith("Identifiant;Prénom ou surnom;Nom de famille;Année de naissance")
    assert "Femme" in text and "Homme" in text
    assert "Demandeur·euse d'emploi, Bénéficiaire du CPAS" in text
    for code in ("woman", "man;", "job_seeker", "cpas", "senior"):
        assert code not in text.replace("Bénéficiaire du CPAS", "")
    with translation.override("nl-be"):
        dutch = transfer_export(kind="learners", association=association, fmt="csv")[0]
    assert "Voornaam of roepnaam" in dutch.decode("utf-8-sig")
    assert "Werkzoekende, Cliënt van het OCMW" in dutch.decode("utf-8-sig")


@pytest.mark.parametrize("fmt", FORMATS)
def test_exporting_then_importing_in_french_changes_nothing(association, trainer, learners, fmt):
    content, _type, filename = transfer_export(kind="learners", association=association, fmt=fmt)
    assert file_format(content) == fmt
    before = state(association)
    result = imported(upload(content, filename), association, trainer)
    assert result.is_committed
    assert result.totals == {"new": 0, "update": 0, "skip": 3, "error": 0}
    assert state(association) == before


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_edited_export_updates_exactly_the_edited_learner(association, trainer, learners, fmt):
    content, _type, filename = transfer_export(kind="learners", association=association, fmt=fmt)
    table = table_read(content)
    headers = [cell_text(cell) for cell in table.headers]
    rows = [[cell_text(cell) for cell in cells] for _number, cells in table.rows]
    jean = next(row for row in rows if row[1] == "Jean")
    jean[headers.index("Code postal")] = "4020"
    jean[headers.index("Situations")] = "CPAS, demandeur d'emploi"
    before = dict(
        User.objects.exclude(pk=learners["jean"].pk).values_list("pk", "learner_profile__postcode")
    )
    edited = table_write(fmt=fmt, headers=headers, rows=rows, title="Apprenants")
    result = imported(upload(edited, filename), association, trainer)
    assert result.totals == {"new": 0, "update": 1, "skip": 2, "error": 0}
    profile = LearnerProfile.objects.get(user=learners["jean"])
    assert (profile.postcode, profile.situations) == ("4020", ["cpas", "job_seeker"])
    after = dict(
        User.objects.exclude(pk=learners["jean"].pk).values_list("pk", "learner_profile__postcode")
    )
    assert after == before


def test_the_xlsx_template_has_french_columns_and_drop_down_lists(association):
    GroupFactory(association=association, name="Lundi matin")
    content, content_type, filename = transfer_template(
        kind="learners", association=association, fmt="xlsx"
    )
    assert (content_type, filename) == (XLSX_MIMETYPE, "modele-apprenantes.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    sheet = workbook.worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers[0] == "Prénom ou surnom" and "Identifiant" not in headers
    lists = workbook.worksheets[1]
    assert lists.sheet_state == "hidden"
    validations = {
        str(validation.sqref).split(":")[0]: validation
        for validation in sheet.data_validations.dataValidation
    }
    gender = validations[f"{openpyxl.utils.get_column_letter(headers.index('Genre') + 1)}2"]
    assert gender.type == "list" and gender.showErrorMessage
    column = gender.formula1.split("$")[1]
    offered = [cell.value for cell in lists[column] if cell.value]
    assert offered == ["Femme", "Homme", "Autre", "Préfère ne pas le dire"]
    situations = validations[
        f"{openpyxl.utils.get_column_letter(headers.index('Situations') + 1)}2"
    ]
    assert not situations.showErrorMessage  # several may be written, with commas

    sessions = openpyxl.load_workbook(
        io.BytesIO(transfer_template(kind="sessions", association=association, fmt="xlsx")[0])
    )
    assert [cell.value for cell in sessions.worksheets[1]["A"]] == ["Lundi matin"]


def test_a_template_filled_in_is_imported(association, trainer):
    content = transfer_template(kind="learners", association=association, fmt="xlsx")[0]
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    workbook.worksheets[0].append(["Fatima", "El Idrissi", 1975, "Femme", "1080", "", "CPAS"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = imported(upload(buffer.getvalue(), "modele.xlsx"), association, trainer)
    assert result.totals["new"] == 1
    profile = LearnerProfile.objects.get(user__display_name="Fatima")
    assert (profile.gender, profile.situations) == ("woman", ["cpas"])
    csv_template = transfer_template(kind="learners", association=association, fmt="csv")[0]
    assert csv_template.decode("utf-8-sig").startswith("Prénom ou surnom;Nom de famille;")


# --- The words trainers write ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("gender", "situations", "expected"),
    [
        ("Femme", "demandeur d'emploi", ("woman", ["job_seeker"])),
        ("F", "Demandeuse d’emploi, CPAS", ("woman", ["job_seeker", "cpas"])),
        ("homme", "PRIMO-ARRIVANT", ("man", ["newcomer"])),
        ("H", "beneficiaire du cpas; senior", ("man", ["cpas", "senior"])),
        ("X", "handicap", ("other", ["disability"])),
        ("Vrouw", "werkzoekende, OCMW", ("woman", ["job_seeker", "cpas"])),
        ("V", "Nieuwkomer", ("woman", ["newcomer"])),
        ("Man", "oudere", ("man", ["senior"])),
        ("M", "Persoon met een beperking", ("man", ["disability"])),
        ("Zegt het liever niet", "", ("unsaid", [])),
        ("woman", "job_seeker", ("woman", ["job_seeker"])),
    ],
)
def test_the_words_trainers_write_are_understood(
    association, trainer, gender, situations, expected
):
    file = learner_file([["", "Amina", "", "", gender, "", "", situations, ""]])
    imported(file, association, trainer)
    profile = LearnerProfile.objects.get(user__display_name="Amina")
    assert (profile.gender, profile.situations) == expected


def test_an_unknown_word_is_refused_with_the_words_to_use_in_french(association, trainer):
    file = learner_file([["", "Amina", "", "", "Madame", "", "", "étudiante", ""]])
    assert french_spaces(preview_of(file, association, trainer).messages) == [
        "Ligne 2 : le genre « Madame » est inconnu (utilisez Femme, Homme, Autre, "
        "Préfère ne pas le dire)",
        "Ligne 2 : la situation “étudiante” est inconnue (utilisez Demandeur·euse d'emploi, "
        "Senior, Bénéficiaire du CPAS, Primo-arrivant·e, Personne en situation de handicap)",
    ]


@pytest.mark.parametrize(
    "headers",
    [
        ["Voornaam of roepnaam", "Familienaam", "Geboortejaar", "Gender"],
        ["first name or nickname", "family name", "year of birth", "gender"],
        ["PRENOM OU SURNOM", "Nom de famille", "Annee de naissance", "genre"],
    ],
    ids=["dutch", "english", "no-accents"],
)
def test_headers_are_read_in_dutch_english_or_without_accents(association, trainer, headers):
    file = learner_file([["Lotte", "Peeters", "1990", "Vrouw"]], headers=headers)
    preview = preview_of(file, association, trainer)
    assert not preview.has_errors and not preview.warnings, preview.messages
    imported(file, association, trainer)
    profile = LearnerProfile.objects.get(user__display_name="Lotte")
    assert (profile.family_name, profile.year_of_birth, profile.gender) == (
        "Peeters",
        1990,
        "woman",
    )


# --- The same file twice adds nobody twice ----------------------------------------------------


NO_IDENTIFIERS = ["Prénom ou surnom", "Nom de famille", "Année de naissance", "Code postal"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_file_without_identifiers_imported_twice_creates_nobody_twice(association, trainer, fmt):
    rows = [["Amina", "Benali", "1984", "4000"], ["Jean", "Dupont", "1950", ""]]
    first = imported(learner_file(rows, fmt, NO_IDENTIFIERS), association, trainer)
    assert first.totals["new"] == 2
    before = state(association)
    again = preview_of(learner_file(rows, fmt, NO_IDENTIFIERS), association, trainer)
    assert again.totals == {"new": 0, "update": 0, "skip": 2, "error": 0}
    rows[1][3] = "1000"
    second = imported(learner_file(rows, fmt, NO_IDENTIFIERS), association, trainer)
    assert second.totals == {"new": 0, "update": 1, "skip": 1, "error": 0}
    assert len(state(association)[0]) == len(before[0])
    assert LearnerProfile.objects.get(user__display_name="Jean").postcode == "1000"


def test_names_are_matched_whatever_the_case_and_accents(association, trainer):
    zoe = learner_with(association, first="Zoé", family="Lefèvre", year=2001)
    file = learner_file([["ZOE", "lefevre", "2001", "1000"]], headers=NO_IDENTIFIERS)
    result = imported(file, association, trainer)
    assert result.totals["update"] == 1
    assert LearnerProfile.objects.get(user=zoe).postcode == "1000"
    zoe.refresh_from_db()
    assert zoe.display_name == "ZOE"  # the file's spelling is what the trainer wants now


def test_a_learner_of_another_association_is_never_matched(association, trainer):
    elsewhere = AssociationFactory()
    learner_with(elsewhere, first="Amina", family="Benali", year=1984)
    file = learner_file([["Amina", "Benali", "1984", ""]], headers=NO_IDENTIFIERS)
    preview = preview_of(file, association, trainer)
    assert preview.totals["new"] == 1 and not preview.duplicates


def test_two_rows_for_the_same_person_are_refused(association, trainer):
    learner_with(association, first="Amina", family="Benali", year=1984)
    file = learner_file(
        [["Amina", "Benali", "1984", "4000"], ["amina", "BENALI", "1984", "4020"]],
        headers=NO_IDENTIFIERS,
    )
    assert french_spaces(preview_of(file, association, trainer).messages) == [
        "Ligne 3 : cette personne (mêmes noms et même année de naissance) figure déjà à la ligne 2"
    ]


def test_likely_duplicates_are_listed_and_the_trainer_decides(association, trainer):
    jean = learner_with(association, first="Jean", family="Dupont", year=1950)
    other_jean = learner_with(association, first="Jean", family="Dupont")
    file_rows = [["Jean", "Dupont", "", "4000"], ["Jean", "Dupont", "1951", "4020"]]
    preview = preview_of(learner_file(file_rows, headers=NO_IDENTIFIERS), association, trainer)
    assert preview.totals == {"new": 2, "update": 0, "skip": 0, "error": 0}
    assert [duplicate.number for duplicate in preview.duplicates] == [2, 3]
    identifiers = {identifier for identifier, _label in preview.duplicates[0].candidates}
    assert identifiers == {str(jean.pseudonym), str(other_jean.pseudonym)}
    assert "Jean Dupont (né·e en 1950" in " ".join(
        label for _identifier, label in preview.duplicates[0].candidates
    )
    assert any(warning.startswith("Ligne 2") for warning in preview.warnings)  # homonyms too

    result = transfer_confirm(
        kind="learners",
        token=preview.token,
        association=association,
        user=trainer,
        decisions={2: str(jean.pseudonym), 3: "new"},
    )
    assert result.totals == {"new": 1, "update": 1, "skip": 0, "error": 0}
    assert LearnerProfile.objects.get(user=jean).postcode == "4000"
    assert User.objects.filter(display_name="Jean").count() == 3


def test_a_decision_naming_a_stranger_is_refused(association, trainer):
    stranger = learner_with(AssociationFactory(), first="Jean", family="Dupont", year=1950)
    learner_with(association, first="Jean", family="Dupont")
    preview = preview_of(
        learner_file([["Jean", "Dupont", "", ""]], headers=NO_IDENTIFIERS), association, trainer
    )
    result = transfer_confirm(
        kind="learners",
        token=preview.token,
        association=association,
        user=trainer,
        decisions={2: str(stranger.pseudonym)},
    )
    assert not result.is_committed
    assert french_spaces(result.messages) == [
        f"Ligne 2 : aucun·e apprenant·e n'a l'identifiant « {stranger.pseudonym} » "
        "dans cette association"
    ]


# --- Import the valid rows, download the refused ones ----------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_valid_rows_go_in_and_the_refused_ones_come_back_to_correct(association, trainer, fmt):
    rows = [
        ["Amina", "Benali", "1984", "4000"],
        ["Jean", "Dupont", "1850", "4000"],
        ["Zoé", "", "", "40000"],
        ["Lotte", "Peeters", "1990", ""],
    ]
    file = learner_file(rows, fmt, NO_IDENTIFIERS)
    preview = preview_of(file, association, trainer)
    assert preview.can_import_valid_rows and preview.valid_count == 2
    found = transfer_store.refused_rows_download(
        token=preview.token, kind="learners", association=association, user=trainer
    )
    content, content_type, filename = found
    assert content_type.startswith(("text/csv", "application/"))
    assert filename == f"lignes-refusees-apprenantes.{fmt}"
    assert file_format(content) == fmt
    refused = table_read(content)
    assert [cell_text(cell) for cell in refused.headers] == [*NO_IDENTIFIERS, "À corriger"]
    assert [[cell_text(cell) for cell in cells[:2]] for _n, cells in refused.rows] == [
        ["Jean", "Dupont"],
        ["Zoé", ""],
    ]
    assert "1850" in refused.rows[0][1][4] and "40000" in refused.rows[1][1][4]

    result = transfer_confirm(
        kind="learners",
        token=preview.token,
        association=association,
        user=trainer,
        mode=VALID_ROWS,
    )
    assert result.is_committed
    assert result.totals == {"new": 2, "update": 0, "skip": 0, "error": 2}
    assert sorted(
        User.objects.filter(display_name__in=["Amina", "Lotte", "Jean", "Zoé"]).values_list(
            "display_name", flat=True
        )
    ) == ["Amina", "Lotte"]

    # Corrected, the refused rows go in; the column "À corriger" is left out without a word.
    fixed = [[cell_text(cell) for cell in cells] for _n, cells in refused.rows]
    fixed[0][2], fixed[1][3] = "1950", "4000"
    headers = [cell_text(cell) for cell in refused.headers]
    again = learner_file(fixed, fmt, headers)
    preview = preview_of(again, association, trainer)
    assert not preview.has_errors and not preview.warnings, preview.messages
    assert transfer_confirm(
        kind="learners", token=preview.token, association=association, user=trainer
    ).totals == {"new": 2, "update": 0, "skip": 0, "error": 0}


def test_all_or_nothing_stays_the_rule_unless_the_trainer_chooses(association, trainer):
    file = learner_file([["Amina", "", "", ""], ["Jean", "", "1850", ""]], headers=NO_IDENTIFIERS)
    preview = preview_of(file, association, trainer)
    result = transfer_confirm(
        kind="learners", token=preview.token, association=association, user=trainer
    )
    assert not result.is_committed
    assert not User.objects.filter(display_name="Amina").exists()


def test_nobody_else_downloads_the_refused_rows(association, trainer, client):
    file = learner_file([["Amina", "", "", ""], ["Jean", "", "1850", ""]], headers=NO_IDENTIFIERS)
    preview = preview_of(file, association, trainer)
    url = reverse("transfer:refused", args=["learners"])
    query = {"association": association.pk, "token": preview.token}
    colleague = trainer_in(association, display_name="Collègue")
    client.force_login(colleague)
    assert client.get(url, query).status_code == 404
    assert client.get(reverse("transfer:refused", args=["groups"]), query).status_code == 404
    client.force_login(trainer)
    response = client.get(url, query)
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="lignes-refusees-apprenantes.csv"'
    )
    assert client.get(url, {**query, "token": "../" * 11}).status_code == 404


def test_the_import_page_offers_the_templates_and_the_preview_the_choices(
    client, association, trainer
):
    learner_with(association, first="Jean", family="Dupont", year=1950)
    client.force_login(trainer)
    page = client.get(reverse("transfer:import")).content.decode()
    for kind in ("learners", "groups", "sessions"):
        for fmt in ("xlsx", "csv"):
            assert reverse("transfer:template", args=[kind, fmt]) in page
    response = client.get(
        reverse("transfer:template", args=["learners", "xlsx"]), {"association": association.pk}
    )
    assert response["Content-Type"] == XLSX_MIMETYPE
    assert client.get(reverse("transfer:template", args=["learners", "ods"])).status_code == 404

    file = learner_file(
        [["Jean", "Dupont", "", ""], ["Amina", "", "1850", ""], ["Zoé", "", "", ""]],
        headers=NO_IDENTIFIERS,
    )
    response = client.post(
        reverse("transfer:import"),
        {"association": association.pk, "kind": "learners", "file": file},
        HTTP_ACCEPT_LANGUAGE="fr-be",
    )
    content = response.content.decode()
    assert "Déjà enregistré·e\u202f?" in content
    assert 'name="duplicate-2"' in content
    assert "Importer les 2 lignes sans problème" in content
    assert "Télécharger la ligne à corriger" in content
    token = response.context["preview"].token
    jean = User.objects.get(display_name="Jean")
    response = client.post(
        reverse("transfer:confirm"),
        {
            "association": association.pk,
            "kind": "learners",
            "token": token,
            "mode": "valid",
            "duplicate-2": str(jean.pseudonym),
        },
        follow=True,
    )
    content = response.content.decode()
    assert "1 ajouté(s), 1 mis à jour" in content.replace("\xa0", " ")
    assert reverse("transfer:refused", args=["learners"]) in content
    assert User.objects.filter(memberships__role=Role.LEARNER).count() == 2  # Jean and Zoé
