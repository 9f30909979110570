"""The H5P activities written here: built byte for byte the same, valid, shown by the catalogue."""

import io
import json
import shutil
import zipfile
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from courses.h5p.validation import h5p_validate
from courses.management.commands.build_h5p import (
    FIXTURES_DIR,
    LIBRARIES_DIR,
    ZIP_DATE,
    h5p_build,
    h5p_sources,
)
from courses.models import ModulePage
from courses.services import CatalogueError, catalogue_load

SOURCES = h5p_sources()
MAX_PICTURE_BYTES = 20 * 1024


def test_there_are_activities_to_build():
    assert {source.name for source in SOURCES} >= {
        "quel-message-est-une-arnaque",
        "que-ne-faut-il-jamais-donner",
    }


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.name)
def test_rebuilding_gives_the_committed_file_byte_for_byte(source):
    first = h5p_build(source)
    assert h5p_build(source) == first
    assert (FIXTURES_DIR / f"{source.name}.h5p").read_bytes() == first, (
        "Run `python manage.py build_h5p` and commit the result."
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.name)
def test_a_built_package_is_valid_and_holds_its_library(source):
    package = h5p_validate(io.BytesIO(h5p_build(source)))
    assert package.main_library.folder == "PasAPas.PictureChoice-1.0"
    assert package.language == ("nl" if source.name.endswith("-nl") else "fr")
    with zipfile.ZipFile(io.BytesIO(h5p_build(source))) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert names == sorted(names)
        assert {info.date_time for info in infos} == {ZIP_DATE}
        assert {info.external_attr >> 16 for info in infos} == {0o100644}
        assert "PasAPas.PictureChoice-1.0/picture-choice.js" in names
        content = json.loads(archive.read("content/content.json"))
        for answer in content["answers"]:
            picture = answer["image"]["path"]
            assert picture.endswith(".png")
            assert archive.read(f"content/{picture}").startswith(b"\x89PNG")
            assert archive.getinfo(f"content/{picture}").file_size < MAX_PICTURE_BYTES
        assert 2 <= len(content["answers"]) <= 4
        assert sum(answer["correct"] for answer in content["answers"]) == 1


def test_the_library_declares_what_h5p_core_needs():
    library = json.loads((LIBRARIES_DIR / "PasAPas.PictureChoice-1.0" / "library.json").read_text())
    assert (library["machineName"], library["majorVersion"], library["minorVersion"]) == (
        "PasAPas.PictureChoice",
        1,
        0,
    )
    assert library["runnable"] == 1
    for key in ("preloadedJs", "preloadedCss"):
        for entry in library[key]:
            assert (LIBRARIES_DIR / "PasAPas.PictureChoice-1.0" / entry["path"]).is_file()


def test_the_check_option_passes_on_the_committed_packages():
    out = StringIO()
    call_command("build_h5p", "--check", stdout=out)
    assert all(line.endswith(": unchanged") for line in out.getvalue().splitlines())


# --- The catalogue shows them ------------------------------------------------------------


def _h5p_steps(slug: str) -> list:
    return [
        step
        for step in ModulePage.objects.get(slug=slug, locale__language_code="fr-be").steps
        if step.block_type == "h5p"
    ]


@pytest.mark.django_db
def test_the_catalogue_points_two_modules_at_the_built_packages(catalogue):
    for slug, name in (
        ("reconnaitre-une-arnaque-par-e-mail", "quel-message-est-une-arnaque"),
        ("la-carte-eid-et-ses-codes", "que-ne-faut-il-jamais-donner"),
    ):
        (step,) = _h5p_steps(slug)
        package = step.value["package"]
        assert package.main_library.machine_name == "PasAPas.PictureChoice"
        with (FIXTURES_DIR / f"{name}.h5p").open("rb") as file:
            assert package.sha256 == h5p_validate(file).sha256
        assert step.value["title"]


@pytest.fixture
def fixtures_copy(tmp_path):
    shutil.copytree(settings.BASE_DIR / "fixtures", tmp_path / "fixtures")
    return tmp_path / "fixtures"


MODULE = "reconnaitre-une-arnaque-par-e-mail"


@pytest.mark.django_db
def test_a_rebuilt_package_revises_only_its_module(catalogue, fixtures_copy):
    source = fixtures_copy / "h5p" / "src" / "quel-message-est-une-arnaque"
    content = source / "content" / "content.json"
    content.write_text(content.read_text().replace("Sophie", "Sofia"), encoding="utf-8")
    (fixtures_copy / "h5p" / "quel-message-est-une-arnaque.h5p").write_bytes(h5p_build(source))
    before = _h5p_steps(MODULE)[0].value["package"]
    report = catalogue_load(directory=fixtures_copy)
    # The Dutch translation plays its own Dutch build of the activity: it stays as it was.
    assert report.updated == [f"module {MODULE}"]
    after = _h5p_steps(MODULE)[0].value["package"]
    assert after.pk != before.pk
    again = catalogue_load(directory=fixtures_copy)
    assert not again.changed

    dutch = fixtures_copy / "h5p" / "src" / "quel-message-est-une-arnaque-nl"
    content = dutch / "content" / "content.json"
    content.write_text(content.read_text().replace("Sophie", "Sofie"), encoding="utf-8")
    (fixtures_copy / "h5p" / "quel-message-est-une-arnaque-nl.h5p").write_bytes(h5p_build(dutch))
    assert catalogue_load(directory=fixtures_copy).updated == [f"module {MODULE} (nl-be)"]


@pytest.mark.django_db
def test_a_missing_package_is_refused_with_the_module_named(catalogue, fixtures_copy):
    (fixtures_copy / "h5p" / "quel-message-est-une-arnaque.h5p").unlink()
    with pytest.raises(CatalogueError, match=f"module {MODULE}: H5P package"):
        catalogue_load(directory=fixtures_copy)


@pytest.mark.django_db
def test_a_refused_package_is_refused_with_the_module_named(catalogue, fixtures_copy):
    (fixtures_copy / "h5p" / "quel-message-est-une-arnaque.h5p").write_text("not a zip")
    with pytest.raises(CatalogueError, match=f"module {MODULE}: H5P package .* refused"):
        catalogue_load(directory=fixtures_copy)


@pytest.mark.django_db
def test_a_package_outside_fixtures_h5p_is_refused(catalogue, fixtures_copy):
    path = fixtures_copy / "catalogue" / "modules" / f"{MODULE}.yaml"
    path.write_text(
        path.read_text().replace(
            "package: quel-message-est-une-arnaque.h5p", "package: ../quel-message.h5p"
        ),
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match=f"module {MODULE}: step 'activite-quel-message'"):
        catalogue_load(directory=fixtures_copy)
