"""Existing H5P libraries get the digest of their stored files; packages keep exact versions.

Library files were already stored under machineName-major.minor.patch, and each package's
`libraries` already named the exact versions it was validated with; only the player read
the highest stored patch instead. This fills `files_sha256` (as
courses.h5p.validation.h5p_library_files_sha256 computes it, copied here so the migration
does not change with the code) so that a later upload of the same version with other files
is refused, and repairs a package whose `libraries` lack a version its main library needs.
"""

import hashlib

from django.core.files.storage import default_storage
from django.db import migrations


def _files(folder: str) -> list[str]:
    try:
        directories, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    found = [f"{folder}/{name}" for name in files]
    for directory in directories:
        found.extend(_files(f"{folder}/{directory}"))
    return found


def _digest(folder: str) -> str:
    entries = []
    for name in _files(folder):
        digest = hashlib.sha256()
        with default_storage.open(name, "rb") as handle:
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
        entries.append(f"{name.removeprefix(folder + '/')}\0{digest.hexdigest()}\n")
    return hashlib.sha256("".join(sorted(entries)).encode("utf-8", "surrogatepass")).hexdigest()


def fill_digests(apps, schema_editor):
    H5PLibrary = apps.get_model("courses", "H5PLibrary")
    H5PPackage = apps.get_model("courses", "H5PPackage")
    for library in H5PLibrary.objects.filter(files_sha256=""):
        library.files_sha256 = _digest(library.path)
        library.save(update_fields=["files_sha256"])
    # A package always plays its own main library version.
    for package in H5PPackage.objects.all():
        if not package.libraries.filter(pk=package.main_library_id).exists():
            package.libraries.add(package.main_library_id)


class Migration(migrations.Migration):
    dependencies = [("courses", "0004_h5p_library_files_sha256")]

    operations = [migrations.RunPython(fill_digests, migrations.RunPython.noop)]
