"""Writes for H5P: store a validated package and its libraries, delete an unused package."""

import contextlib
import logging
import os
import zipfile
from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from .models import H5PLibrary, H5PPackage
from .selectors import h5p_package_pages
from .validation import (
    H5PValidationError,
    ValidatedPackage,
    h5p_file_sha256,
    h5p_read_member,
    h5p_validate,
)

logger = logging.getLogger(__name__)

CONTENT_ROOT = "h5p/content"
LIBRARY_ROOT = "h5p/libraries"


class H5PPackageInUseError(Exception):
    """A package still shown on pages cannot be deleted; `message` says how many."""

    def __init__(self, *, count: int):
        self.count = count
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return str(
            ngettext_lazy(
                "This H5P activity is used by %(count)s page. Remove it from that page first.",
                "This H5P activity is used by %(count)s pages. Remove it from those pages first.",
                self.count,
            )
            % {"count": self.count}
        )


class _StreamedMember:
    """A zip entry as a read-only file for Storage.save(), never yielding more than the limit."""

    def __init__(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo):
        self._chunks = h5p_read_member(archive, info)
        self.name = info.filename

    def read(self, size: int = -1) -> bytes:
        # File.chunks() asks for fixed-size reads; returning a shorter chunk is allowed.
        return next(self._chunks, b"")


def _storage_files(folder: str) -> list[str]:
    """Every file under a storage folder, recursively (empty if the folder does not exist)."""
    try:
        directories, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    found = [f"{folder}/{name}" for name in files]
    for directory in directories:
        found.extend(_storage_files(f"{folder}/{directory}"))
    return found


def _remove_empty_folders(folder: str) -> None:
    """FileSystemStorage leaves empty directories behind; other storages have none."""
    try:
        root = default_storage.path(folder)
    except NotImplementedError:
        return
    for directory, _dirs, _files in os.walk(root, topdown=False):
        with contextlib.suppress(OSError):  # not empty: something else lives there
            os.rmdir(directory)


def _delete_files(names: list[str], folders: set[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.exception("Could not delete %s while cleaning up an H5P package", name)
    for folder in folders:
        _remove_empty_folders(folder)


def _write_folder(
    archive: zipfile.ZipFile,
    names: tuple[str, ...],
    *,
    strip: str,
    folder: str,
    written: list[str],
    folders: set[str],
) -> None:
    """Write archive entries into a storage folder that nothing else uses yet."""
    folders.add(folder)
    # Leftovers of an interrupted earlier attempt: this folder has no database row yet.
    for stale in _storage_files(folder):
        default_storage.delete(stale)
    for name in names:
        target = f"{folder}/{name.removeprefix(strip)}"
        saved = default_storage.save(target, File(_StreamedMember(archive, archive.getinfo(name))))
        written.append(saved)
        if saved != target:
            raise OSError(f"Storage renamed {target} to {saved}")


def _store(
    file: IO[bytes],
    package: ValidatedPackage,
    *,
    uploaded_by,
    written: list[str],
    folders: set[str],
) -> H5PPackage:
    with zipfile.ZipFile(file) as archive:
        rows: dict[str, H5PLibrary] = {}
        for folder, library in package.libraries.items():
            path = f"{LIBRARY_ROOT}/{library.full_version}"
            # The row is created before its files are written: a concurrent upload of the same
            # library waits on this row's lock, then finds it and writes nothing.
            row, created = H5PLibrary.objects.get_or_create(
                machine_name=library.machine_name,
                major=library.major,
                minor=library.minor,
                patch=library.patch,
                defaults={"path": path, "files_sha256": library.files_sha256},
            )
            if not created and row.files_sha256 != library.files_sha256:
                # Stored files never change: other activities play them as they were checked.
                raise H5PValidationError(
                    _(
                        "This package brings the library %(library)s with other files than the "
                        "%(library)s already stored for other activities. Ask the author to "
                        "give the changed library a new version number (patch), then upload "
                        "the package again."
                    ),
                    code="library_changed",
                    params={"library": str(row)},
                )
            if created:
                _write_folder(
                    archive,
                    library.files,
                    strip=f"{folder}/",
                    folder=path,
                    written=written,
                    folders=folders,
                )
            rows[folder] = row

        content_path = f"{CONTENT_ROOT}/{package.sha256}"
        try:
            with transaction.atomic():
                stored = H5PPackage.objects.create(
                    title=package.title,
                    sha256=package.sha256,
                    main_library=rows[package.main_library.folder],
                    language=package.language,
                    content_path=content_path,
                    size_bytes=package.size_bytes,
                    uploaded_by=uploaded_by,
                )
        except IntegrityError:
            # The same file, stored by a concurrent upload that committed first.
            return H5PPackage.objects.get(sha256=package.sha256)
        stored.libraries.set(rows.values())
        _write_folder(
            archive,
            package.content_files,
            strip="",
            folder=content_path,
            written=written,
            folders=folders,
        )
    return stored


def h5p_package_store(*, file: IO[bytes], uploaded_by=None) -> H5PPackage:
    """Validate an .h5p file, then store its content and any libraries not stored yet.

    Storing the same file again returns the package already stored. Raises
    H5PValidationError (nothing written) when the file is refused.
    """
    existing = H5PPackage.objects.filter(sha256=h5p_file_sha256(file)).first()
    if existing is not None:
        return existing
    package = h5p_validate(file)
    written: list[str] = []
    folders: set[str] = set()
    try:
        with transaction.atomic():
            try:
                return _store(
                    file, package, uploaded_by=uploaded_by, written=written, folders=folders
                )
            except BaseException:
                # Clean up while this transaction still holds its rows, so a concurrent
                # upload of the same library cannot start writing the folder we empty.
                _delete_files(written, folders)
                written.clear()
                raise
    except BaseException:
        # The commit itself failed: the rows are gone, so the files must go too.
        _delete_files(written, folders)
        raise


def h5p_package_files_delete(*, package: H5PPackage) -> None:
    """Delete a package's content folder. Libraries stay: other packages may use them."""
    _delete_files(_storage_files(package.content_path), {package.content_path})


def h5p_package_delete(*, package: H5PPackage) -> None:
    """Delete a package that no page uses; raise H5PPackageInUseError otherwise."""
    pages = h5p_package_pages(package=package)
    if pages:
        raise H5PPackageInUseError(count=len(pages))
    with transaction.atomic():
        package.delete()
        # Inside the transaction, so a re-upload of the same file waits for this to finish.
        h5p_package_files_delete(package=package)


def h5p_packages_upgrade(*, library: H5PLibrary) -> list[H5PPackage]:
    """Move every package playing an older patch of `library`'s major.minor onto it.

    An explicit editor's action (the admin lists the packages first): uploads never do it.
    Returns the packages moved; their library URLs change with their versions.
    """
    with transaction.atomic():
        older = list(
            H5PLibrary.objects.select_for_update().filter(
                machine_name=library.machine_name,
                major=library.major,
                minor=library.minor,
                patch__lt=library.patch,
            )
        )
        ids = set(H5PPackage.objects.filter(libraries__in=older).values_list("pk", flat=True))
        moved = list(H5PPackage.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        for package in moved:
            package.libraries.remove(*older)
            package.libraries.add(library)
            if package.main_library in older:
                package.main_library = library
                package.save(update_fields=["main_library"])
    return moved
