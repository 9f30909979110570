"""An editor moves H5P activities onto a newer library patch, on purpose, in the Wagtail admin.

Uploading a package that carries a newer patch of a library changes nothing for the
activities already stored; the editor sees which ones a move affects, then confirms.
"""

import re
import uuid

import pytest
from playwright.sync_api import expect

from courses.h5p.selectors import h5p_libraries_resolve
from courses.h5p.services import h5p_package_store
from tests.courses.h5p.packages import h5p_zip, valid_files

from .conftest import axe_violations, screenshot, sign_in

pytestmark = pytest.mark.browser

# A library of this test's own: other browser tests store H5P.Test, which the move must
# not touch (nor count on).
LIBRARY = "H5P.Upgrade"


def package(title: str, patch: int):
    files = valid_files(title=title, test_patch=patch)
    return h5p_zip(
        {
            name.replace("H5P.Test", LIBRARY): (
                data.replace("H5P.Test", LIBRARY) if isinstance(data, str) else data
            )
            for name, data in files.items()
        }
    )


def test_an_editor_sees_the_activities_a_patch_moves_then_moves_them(new_page):
    key = uuid.uuid4().hex[:6]
    older = h5p_package_store(file=package(f"Ancienne version {key}", 3))
    newer = h5p_package_store(file=package(f"Nouvelle version {key}", 5))
    # The upload of 1.0.5 left the older activity on the version it was checked with.
    assert h5p_libraries_resolve(package=older)[f"{LIBRARY}-1.0"].patch == 3

    page = new_page("laptop")
    sign_in(page, "editeur")  # Wagtail's Editors group, not a superuser
    # The H5P activities are part of the editor's admin.
    page.get_by_role("link", name="Activités H5P").click()
    expect(page.get_by_role("link", name=f"Ancienne version {key}")).to_be_visible()

    page.get_by_role("link", name="Mises à jour H5P").click()
    expect(page.get_by_role("heading", name="Mises à jour des bibliothèques H5P")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=f"{LIBRARY} 1.0.5")
    expect(row.get_by_role("cell").nth(1)).to_have_text("1")
    screenshot(page, "editor-h5p-updates")
    assert axe_violations(page) == []

    row.get_by_role("link", name="Voir les activités").click()
    expect(page.get_by_role("heading", name=f"Mettre à jour vers {LIBRARY} 1.0.5")).to_be_visible()
    listed = page.locator("tbody").get_by_role("row")
    expect(listed).to_have_count(1)
    expect(listed.get_by_role("cell")).to_have_text([f"Ancienne version {key}", "1.0.3"])
    screenshot(page, "editor-h5p-update-confirm")
    assert axe_violations(page) == []
    # Looking moves nothing.
    assert h5p_libraries_resolve(package=older)[f"{LIBRARY}-1.0"].patch == 3

    page.get_by_role("button", name=f"Passer ces activités à {LIBRARY} 1.0.5").click()
    expect(page.get_by_text(f"1 activité H5P utilise maintenant {LIBRARY} 1.0.5.")).to_be_visible()
    screenshot(page, "editor-h5p-updated")
    expect(page.get_by_role("row").filter(has_text=re.escape(LIBRARY))).to_have_count(0)
    assert h5p_libraries_resolve(package=older)[f"{LIBRARY}-1.0"].patch == 5
    assert h5p_libraries_resolve(package=newer)[f"{LIBRARY}-1.0"].patch == 5
