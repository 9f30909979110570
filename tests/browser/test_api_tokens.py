"""A funder creates an API token, sees it once, uses it, revokes it; a coordinator downloads xAPI."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from lms.impact.models import ApiToken

from .conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser


def assert_accessible(page, name: str) -> None:
    screenshot(page, name)
    assert axe_violations(page) == [], name


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_a_funder_creates_a_token_sees_it_once_and_revokes_it(new_page, size):
    name = f"Tableur de suivi ({size})"
    page = new_page(size)
    sign_in(page, "bailleur")
    page.get_by_role("link", name="Accès pour vos outils (API)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accès pour vos outils (API)")
    assert_accessible(page, f"api-tokens-empty-{size}")

    page.get_by_label("Nom du jeton").fill(name)
    page.get_by_role("button", name="Créer un jeton").click()
    expect(page.get_by_text("Il ne sera plus jamais affiché.")).to_be_visible()
    secret = page.get_by_label("Jeton", exact=True).input_value()
    assert secret.startswith("pap_")
    expect(page.get_by_role("button", name="Copier le jeton")).to_be_visible()
    assert_accessible(page, f"api-tokens-new-{size}")

    # The token works against the API, with the funder's programme in it.
    answer = page.request.get("/api/v1/programmes", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200
    assert [p["name"] for p in json.loads(answer.body())] == ["Inclusion numérique – démonstration"]

    page.reload()
    expect(page.get_by_text("Il ne sera plus jamais affiché.")).to_have_count(0)
    assert secret not in page.content()
    row = page.get_by_role("listitem").filter(has_text=name)
    expect(row.get_by_text("Actif")).to_be_visible()

    row.get_by_role("link", name="Révoquer").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Révoquer le jeton")
    assert_accessible(page, f"api-tokens-revoke-{size}")
    page.get_by_role("button", name="Oui, le révoquer").click()
    expect(page.get_by_text("est révoqué. Il ne marche plus.")).to_be_visible()
    expect(
        page.get_by_role("listitem").filter(has_text=name).get_by_text("Révoqué le")
    ).to_be_visible()
    assert_accessible(page, f"api-tokens-revoked-{size}")
    answer = page.request.get("/api/v1/programmes", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 401
    assert ApiToken.objects.get(name=name).revoked_at is not None


def test_a_coordinator_downloads_the_xapi_statements(new_page):
    page = new_page("tablet")
    sign_in(page, "coordinateur")
    page.goto("/impact/")
    page.get_by_role("link", name="Accès pour vos outils (API)").click()
    expect(page.get_by_role("heading", name="Traces d'apprentissage brutes (xAPI)")).to_be_visible()
    assert_accessible(page, "api-tokens-coordinator")
    with page.expect_download() as waiting:
        page.get_by_role("button", name="Télécharger (xAPI, JSON)").click()
    download = waiting.value
    assert download.suggested_filename.startswith("xapi-les-tilleuls-")
    statements = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert statements and statements[0]["actor"]["objectType"] == "Agent"
