"""A funder follows a background export on its page until the file is ready, then downloads it."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from lms.accounts.jobs import job_run
from lms.accounts.models import Job, User
from lms.impact.models import Programme

from .conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_the_job_page_follows_the_export_and_offers_the_file(new_page, size):
    funder = User.objects.get(username="bailleur")
    programme = Programme.objects.get(funder__members=funder)
    # As with a worker (production): the job is queued and runs while the page is open.
    job = Job.objects.create(
        kind="impact-export",
        owner=funder,
        title="Chiffres d’impact : démonstration",
        language="fr-be",
        return_url="/impact/",
        params={
            "programme": programme.pk,
            "association_ids": list(programme.associations.values_list("pk", flat=True)),
            "start": programme.starts_on.isoformat(),
            "end": programme.ends_on.isoformat(),
            "label": programme.name,
            "kind": "csv",
        },
    )
    page = new_page(size)
    sign_in(page, "bailleur")
    page.goto(f"/taches/{job.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Chiffres d’impact : démonstration")
    expect(page.get_by_text("En attente")).to_be_visible()
    expect(page.get_by_text("Vous pouvez quitter cette page")).to_be_visible()
    screenshot(page, f"job-waiting-{size}")
    assert axe_violations(page) == []

    job_run.call(str(job.pk))  # what `manage.py db_worker` does
    download_link = page.get_by_role("link", name="Télécharger le fichier")
    expect(download_link).to_be_visible(timeout=10_000)  # the page asks every 2 seconds
    expect(page.get_by_text("Terminé")).to_be_visible()
    screenshot(page, f"job-done-{size}")
    assert axe_violations(page) == []
    with page.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename.endswith(".csv")
    assert "Apprenant" in Path(download.value.path()).read_text(encoding="utf-8")
