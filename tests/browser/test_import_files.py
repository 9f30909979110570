"""On a tablet (820 by 1180): a trainer downloads the template, fills it in French, sees what
the file would do (a likely duplicate to decide on, a refused row), imports the valid rows and
downloads the refused one to correct it."""

import io
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from lms.accounts.models import Association, LearnerProfile, User
from lms.logbook.transfer_files import table_read
from tests.factories import learner_in

from .conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser
TABLET = {"width": 820, "height": 1180}


def assert_accessible(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name


def test_the_template_is_filled_checked_and_imported_without_duplicates(new_page, tmp_path):
    tilleuls = Association.objects.get(slug="les-tilleuls")
    known = learner_in(tilleuls, display_name="Philomène")
    LearnerProfile.objects.create(user=known, family_name="Verhaegen", year_of_birth=1962)
    page = new_page("tablet")
    page.set_viewport_size(TABLET)
    sign_in(page, "formateur")
    page.goto(f"{reverse('transfer:import')}?association={tilleuls.pk}")
    expect(page.get_by_role("heading", name="Partir d'un fichier vide")).to_be_visible()
    assert_accessible(page, "import-page")

    with page.expect_download() as download:
        page.locator(
            f'a[href^="{reverse("transfer:template", args=["learners", "xlsx"])}"]'
        ).click()
    template = tmp_path / download.value.suggested_filename
    download.value.save_as(template)
    workbook = openpyxl.load_workbook(template)
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]][:4] == [
        "Prénom ou surnom",
        "Nom de famille",
        "Année de naissance",
        "Genre",
    ]
    assert sheet.data_validations.dataValidation  # the drop-down lists
    sheet.append(["Philomène", "Verhaegen", None, "Femme", "4000", "", "Senior"])
    sheet.append(["Mehdi", "Benali", 1850, "H", "", "", ""])
    sheet.append(["Sofie", "Janssens", 1991, "V", "4020", "néerlandais", "werkzoekende"])
    workbook.save(template)

    page.get_by_label("Association").select_option(str(tilleuls.pk))
    page.locator('input[name="kind"][value="learners"]').check()
    page.get_by_label("Fichier", exact=True).set_input_files(str(template))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_role("heading", name="Déjà enregistré·e\u202f?")).to_be_visible()
    expect(page.get_by_text("1 ligne a un problème.")).to_be_visible()
    assert_accessible(page, "import-preview")

    page.get_by_role("radio", name="Une autre personne").check()
    page.get_by_role("button", name="Importer les 2 lignes sans problème").click()
    expect(page.get_by_text("2 ajouté(s)")).to_be_visible()
    assert_accessible(page, "import-done")
    assert User.objects.filter(display_name="Philomène").count() == 2
    sofie = LearnerProfile.objects.get(user__display_name="Sofie", family_name="Janssens")
    assert (sofie.gender, sofie.situations) == ("woman", ["job_seeker"])
    assert not User.objects.filter(display_name="Mehdi").exists()

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger les lignes à corriger").click()
    refused = table_read(Path(download.value.path()).read_bytes())
    assert download.value.suggested_filename.endswith(".xlsx")
    assert [number for number, _cells in refused.rows] == [2]
    assert refused.rows[0][1][:2] == ["Mehdi", "Benali"]
    assert "1850" in refused.rows[0][1][-1]

    # The same file again: the two imported learners are found, nobody is added twice.
    page.goto(f"{reverse('transfer:import')}?association={tilleuls.pk}")
    page.get_by_label("Association").select_option(str(tilleuls.pk))
    page.locator('input[name="kind"][value="learners"]').check()
    workbook = openpyxl.load_workbook(io.BytesIO(template.read_bytes()))
    workbook.worksheets[0].delete_rows(3)  # Mehdi, refused
    workbook.worksheets[0]["C2"] = 1962  # Philomène: now the known one
    workbook.save(template)
    page.get_by_label("Fichier", exact=True).set_input_files(str(template))
    page.get_by_role("button", name="Vérifier le fichier").click()
    expect(page.get_by_text("0 nouveau(x), 1 à mettre à jour, 1 déjà à jour")).to_be_visible()
    expect(page.get_by_role("cell", name="Déjà à jour")).to_be_visible()
    assert_accessible(page, "import-preview-again")
