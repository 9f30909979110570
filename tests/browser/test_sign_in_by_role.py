"""Each demo account signs in and lands on its own home page, which passes an axe-core scan."""

import pytest

from .conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser

EXPECTED_HOME = {
    "apprenant": ("/mon-parcours/", "Bonjour Amina"),
    "formateur": ("/formateur/", "Espace formateur"),
    "coordinateur": ("/formateur/", "Espace formateur"),
    "bailleur": ("/impact/", "Impact de vos programmes"),
    "editeur": ("/admin/", "Pas à pas"),
    "admin": ("/admin/", "Pas à pas"),
}


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_each_role_lands_on_its_own_home_page(new_page, size):
    for username, (path, heading) in EXPECTED_HOME.items():
        page = new_page(size)
        sign_in(page, username)
        assert page.url.endswith(path), f"{username} landed on {page.url}"
        assert heading in page.content()
        screenshot(page, f"home-{username}-{size}")
        if not path.startswith("/admin/"):
            assert axe_violations(page) == [], username
        page.context.close()
