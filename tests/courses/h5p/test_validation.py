"""The validator refuses each kind of bad package with its own message, and writes nothing."""

import io
import json
import struct
import zipfile

import pytest
from django.utils import translation

from courses.h5p.models import H5PLibrary, H5PPackage
from courses.h5p.services import h5p_package_store
from courses.h5p.validation import H5PValidationError, h5p_validate

from .packages import h5p_zip, library_json, stored_files, valid_files, valid_package


def without(files: dict, *names: str) -> dict:
    return {name: data for name, data in files.items() if name not in names}


def with_changes(**changes) -> dict:
    files = valid_files()
    files.update(changes)
    return files


def zip_bomb() -> io.BytesIO:
    """A small archive (about 60 KB) whose one content file inflates to 60 MB of zeros."""
    files = valid_files()
    files["content/big.json"] = bytes(60 * 1024 * 1024)
    return h5p_zip(files)


def lying_zip_bomb() -> io.BytesIO:
    """The same bomb, but its headers claim the file is only 1,000 bytes once unpacked."""
    data = bytearray(zip_bomb().getvalue())
    name = b"content/big.json"
    local = data.index(b"PK\x03\x04" + data[4:6])  # first local header, to find ours below
    while data[local + 30 : local + 30 + len(name)] != name:
        local = data.index(b"PK\x03\x04", local + 4)
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name)] != name:
        central = data.index(b"PK\x01\x02", central + 4)
    struct.pack_into("<I", data, local + 22, 1000)
    struct.pack_into("<I", data, central + 24, 1000)
    return io.BytesIO(bytes(data))


BAD_PACKAGES = {
    "not_zip": lambda: io.BytesIO(b"%PDF-1.7 this is not a zip at all"),
    "missing_h5p_json": lambda: h5p_zip(without(valid_files(), "h5p.json")),
    "invalid_h5p_json": lambda: h5p_zip(
        with_changes(**{"h5p.json": json.dumps({"language": "fr", "mainLibrary": "H5P.Test"})})
    ),
    "missing_content_json": lambda: h5p_zip(without(valid_files(), "content/content.json")),
    "missing_library": lambda: h5p_zip(
        without(valid_files(), "H5P.Helper-1.2/library.json", "H5P.Helper-1.2/helper.js")
    ),
    "library_mismatch": lambda: h5p_zip(
        with_changes(**{"H5P.Helper-1.2/library.json": library_json("H5P.Helper", 1, 3, 0)})
    ),
    "missing_library_file": lambda: h5p_zip(without(valid_files(), "H5P.Test-1.0/scripts/test.js")),
    "invalid_library_folder": lambda: h5p_zip(with_changes(**{"scripts/extra.js": "1"})),
    "parent_path": lambda: h5p_zip(with_changes(**{"content/../../evil.json": "{}"})),
    "absolute_path": lambda: h5p_zip(with_changes(**{"/etc/cron.d/evil.txt": "x"})),
    "backslash": lambda: h5p_zip(with_changes(**{"content\\..\\evil.json": "{}"})),
    "symlink": lambda: h5p_zip(
        with_changes(**{"content/passwd.txt": "/etc/passwd"}), symlinks=("content/passwd.txt",)
    ),
    "forbidden_extension": lambda: h5p_zip(with_changes(**{"content/shell.php": "<?php ?>"})),
    "svg_in_content": lambda: h5p_zip(
        with_changes(**{"content/images/logo.svg": "<svg><script>alert(1)</script></svg>"})
    ),
    "duplicate": lambda: h5p_zip(
        [*valid_files().items(), ("content/content.json", json.dumps({"other": True}))]
    ),
    "file_too_large": zip_bomb,
    "damaged": lying_zip_bomb,
    # Rules of H5P's own validator (H5PValidator, H5PCore::$coreApi), hostile variants.
    "core_api_too_new": lambda: h5p_zip(
        with_changes(
            **{
                "H5P.Helper-1.2/library.json": library_json(
                    "H5P.Helper",
                    1,
                    2,
                    0,
                    preloadedJs=[{"path": "helper.js"}],
                    coreApi={"majorVersion": 1, "minorVersion": 99},
                )
            }
        )
    ),
    "invalid_language_file": lambda: h5p_zip(
        with_changes(**{"H5P.Helper-1.2/language/fr.json": '{"semantics": [ not json'})
    ),
    # A library nothing loads is still checked: it is refused, not stored unseen.
    "invalid_library_json": lambda: h5p_zip(
        with_changes(
            **{
                "H5P.Unused-1.0/library.json": json.dumps(
                    {
                        "machineName": "H5P.Unused",
                        "majorVersion": 1,
                        "minorVersion": 0,
                        "patchVersion": 0,
                        "runnable": 0,
                    }
                )
            }
        )
    ),
    "invalid_semantics": lambda: h5p_zip(with_changes(**{"H5P.Test-1.0/semantics.json": "[{]"})),
}


@pytest.mark.django_db
@pytest.mark.parametrize("code", BAD_PACKAGES)
def test_each_bad_package_is_refused_with_its_own_message_and_nothing_is_written(code, media_root):
    with pytest.raises(H5PValidationError) as refused:
        h5p_package_store(file=BAD_PACKAGES[code]())
    assert refused.value.code == code
    assert refused.value.message and "%(" not in refused.value.message
    assert stored_files(media_root) == []
    assert not H5PPackage.objects.exists()
    assert not H5PLibrary.objects.exists()


def test_messages_are_all_different():
    messages = set()
    for make in BAD_PACKAGES.values():
        with pytest.raises(H5PValidationError) as refused:
            h5p_validate(make())
        messages.add(refused.value.message)
    assert len(messages) == len(BAD_PACKAGES)


def test_a_missing_library_message_says_to_export_with_libraries():
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(BAD_PACKAGES["missing_library"]())
    with translation.override("en"):
        assert "H5P.Helper 1.2" in refused.value.message
        assert "with its libraries" in refused.value.message
        assert "H5P.Test-1.0" in refused.value.message  # who needs it


def test_a_refusal_names_the_offending_file():
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(BAD_PACKAGES["forbidden_extension"]())
    assert "content/shell.php" in refused.value.message


@pytest.mark.parametrize("name", ["content/page.html", "content/page.HTM", "content/run.exe"])
def test_html_and_other_unlisted_types_are_refused_in_content(name):
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(h5p_zip(with_changes(**{name: "<p>hi</p>"})))
    assert refused.value.code == "forbidden_extension"


def test_svg_and_scripts_are_accepted_in_libraries_only():
    package = h5p_validate(valid_package())
    assert "H5P.Test-1.0/icon.svg" in package.libraries["H5P.Test-1.0"].files
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(h5p_zip(with_changes(**{"content/run.js": "alert(1)"})))
    assert refused.value.code == "forbidden_extension"


def test_names_differing_only_in_case_are_duplicates():
    files = with_changes(**{"content/images/Photo.png": b"x"})
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(h5p_zip(files))
    assert refused.value.code == "duplicate"


def test_a_name_used_for_a_file_and_a_folder_is_refused():
    files = with_changes(**{"content/images": b"x"})
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(h5p_zip(files))
    assert refused.value.code in {"file_folder_clash", "forbidden_extension"}
    files = with_changes(**{"content/a.json": "{}", "content/a.json/b.json": "{}"})
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(h5p_zip(files))
    assert refused.value.code == "file_folder_clash"


def test_ten_thousand_tiny_files_are_refused_with_the_default_limit(settings):
    assert getattr(settings, "H5P_MAX_FILES", 5000) < 10_000
    files = valid_files()
    files.update({f"content/images/{number}.png": b"." for number in range(10_000)})
    archive = h5p_zip(files, compression=zipfile.ZIP_STORED)
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(archive)
    assert refused.value.code == "too_many_files"
    assert "10009" in refused.value.message


@pytest.fixture
def inflated(monkeypatch) -> list[int]:
    """Counts the bytes zipfile hands out while a test runs."""
    counts: list[int] = []
    read = zipfile.ZipExtFile.read

    def counting_read(self, n=-1):
        data = read(self, n)
        counts.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    return counts


def test_a_zip_bomb_is_refused_from_its_declared_size_before_inflating(inflated):
    archive = zip_bomb()
    assert len(archive.getvalue()) < 200_000
    inflated.clear()
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(archive)
    assert refused.value.code == "file_too_large"
    assert "content/big.json" in refused.value.message
    assert sum(inflated) == 0


def test_a_zip_bomb_lying_about_its_size_never_inflates_past_the_declared_size(inflated):
    archive = lying_zip_bomb()
    inflated.clear()
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(archive)
    assert refused.value.code == "damaged"
    assert sum(inflated) < 100_000


def test_the_total_unpacked_size_is_limited(settings):
    settings.H5P_MAX_TOTAL_BYTES = 8000
    files = with_changes(**{"content/a.json": "0" * 4000, "content/b.json": "0" * 4000})
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(h5p_zip(files))
    assert refused.value.code == "total_too_large"


def test_a_valid_package_is_described_without_its_editor_only_files():
    files = valid_files()
    files["H5PEditor.Test-1.0/library.json"] = library_json("H5PEditor.Test", 1, 0, 2)
    files["H5PEditor.Test-1.0/editor.js"] = "1"
    files["H5P_CONTENT_HERE.txt"] = "stray files at the root are checked, then left out"
    files["__MACOSX/._photo.png"] = b"resource fork"
    package = h5p_validate(h5p_zip(files))
    assert package.title == "Vrai ou faux ?"
    assert package.language == "fr"
    assert str(package.main_library) == "H5P.Test 1.0"
    assert set(package.libraries) == {"H5P.Test-1.0", "H5P.Helper-1.2"}
    assert package.libraries["H5P.Test-1.0"].patch == 3
    assert set(package.content_files) == {
        "h5p.json",
        "content/content.json",
        "content/images/photo.png",
    }
    assert len(package.sha256) == 64


def test_a_stray_root_file_follows_the_content_allow_list():
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(h5p_zip(with_changes(**{"install.sh": "rm -rf /"})))
    assert refused.value.code == "forbidden_extension"


def test_h5p_json_versions_may_be_numbers_or_digit_strings():
    files = valid_files()
    manifest = json.loads(files["h5p.json"])
    manifest["preloadedDependencies"][0].update(majorVersion=1, minorVersion=0)
    files["h5p.json"] = json.dumps(manifest)
    assert h5p_validate(h5p_zip(files)).main_library.major == 1
    manifest["preloadedDependencies"][0].update(majorVersion=True)
    files["h5p.json"] = json.dumps(manifest)
    with pytest.raises(H5PValidationError):
        h5p_validate(h5p_zip(files))


@pytest.mark.parametrize("field", ["title", "language", "mainLibrary", "embedTypes"])
def test_h5p_json_needs_each_required_field(field):
    files = valid_files()
    manifest = json.loads(files["h5p.json"])
    del manifest[field]
    files["h5p.json"] = json.dumps(manifest)
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(h5p_zip(files))
    assert refused.value.code == "invalid_h5p_json"
    assert field in refused.value.message


def test_deeply_nested_json_is_refused_not_crashed():
    files = with_changes(**{"content/content.json": "[" * 100_000 + "]" * 100_000})
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(h5p_zip(files))
    assert refused.value.code == "invalid_content_json"


@pytest.mark.parametrize(
    "name",
    ["language/fr.js.json", "language/../fr.json", "language/fr_BE.json"],
)
def test_a_language_file_with_a_name_h5p_refuses_is_refused(name):
    files = with_changes(**{f"H5P.Helper-1.2/{name}": "{}"})
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(h5p_zip(files))
    assert refused.value.code in {"invalid_language_file", "parent_path", "invalid_name"}


@pytest.mark.parametrize("data", ["[]", '"fr"', "{}", "\ufeff{}"])
def test_a_language_file_must_be_a_json_object(data):
    files = with_changes(**{"H5P.Helper-1.2/language/nl-be.json": data})
    if data.lstrip("\ufeff") == "{}":
        assert h5p_validate(h5p_zip(files)).libraries["H5P.Helper-1.2"]
        return
    with pytest.raises(H5PValidationError) as refused:
        h5p_validate(h5p_zip(files))
    assert refused.value.code == "invalid_language_file"


def test_a_core_api_the_player_has_is_accepted_and_a_newer_one_names_both_versions():
    def with_core_api(minor):
        return h5p_zip(
            with_changes(
                **{
                    "H5P.Helper-1.2/library.json": library_json(
                        "H5P.Helper",
                        1,
                        2,
                        0,
                        preloadedJs=[{"path": "helper.js"}],
                        coreApi={"majorVersion": 1, "minorVersion": minor},
                    )
                }
            )
        )

    assert h5p_validate(with_core_api(24)).libraries["H5P.Helper-1.2"].core_api == (1, 24)
    with pytest.raises(H5PValidationError) as refused, translation.override("en"):
        h5p_validate(with_core_api(25))
    with translation.override("en"):
        assert "1.25" in refused.value.message and "1.24" in refused.value.message
