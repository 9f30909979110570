"""The data migration gives stored libraries the digest an upload would compute."""

import importlib

import pytest
from django.apps import apps

from courses.h5p.models import H5PLibrary
from courses.h5p.selectors import h5p_libraries_resolve
from courses.h5p.services import h5p_package_store
from courses.h5p.validation import H5PValidationError

from .packages import h5p_zip, valid_files, valid_package

pytestmark = pytest.mark.django_db

migration = importlib.import_module(
    "courses.migrations.0005_h5p_library_digests_and_exact_versions"
)


def test_stored_libraries_get_the_digest_of_their_files_and_packages_their_main_library(
    media_root,
):
    package = h5p_package_store(file=valid_package(test_patch=3))
    newer = h5p_package_store(file=valid_package(title="Newer", test_patch=7))
    computed = dict(H5PLibrary.objects.values_list("path", "files_sha256"))
    assert all(computed.values())
    # As the rows were before this change: no digest; and one package missing its main row.
    H5PLibrary.objects.update(files_sha256="")
    package.libraries.remove(package.main_library)

    migration.fill_digests(apps, None)

    assert dict(H5PLibrary.objects.values_list("path", "files_sha256")) == computed
    assert h5p_libraries_resolve(package=package)["H5P.Test-1.0"].patch == 3
    assert h5p_libraries_resolve(package=newer)["H5P.Test-1.0"].patch == 7
    # And the rule holds for libraries stored before it: other files, same version, refused.
    files = valid_files(title="Hostile", test_patch=3)
    files["H5P.Test-1.0/scripts/test.js"] = "alert(1)"
    with pytest.raises(H5PValidationError):
        h5p_package_store(file=h5p_zip(files))


def test_running_it_again_changes_nothing(media_root):
    h5p_package_store(file=valid_package())
    before = list(H5PLibrary.objects.values_list("pk", "files_sha256"))
    migration.fill_digests(apps, None)
    assert list(H5PLibrary.objects.values_list("pk", "files_sha256")) == before
