"""Reads for H5P: the admin list, which pages use a package, which library versions play it."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404
from wagtail.models import Page, ReferenceIndex

from .models import H5PLibrary, H5PPackage
from .validation import LIBRARY_FOLDER_RE


def h5p_package_get(package_id: int, *, only: tuple[str, ...] = ()) -> H5PPackage:
    """A package by id (packages are public content); "not found" when there is none."""
    packages = H5PPackage.objects.only(*only) if only else H5PPackage.objects.all()
    try:
        return packages.get(pk=package_id)
    except H5PPackage.DoesNotExist as missing:
        raise Http404 from missing


def h5p_library_get(library_id: int) -> H5PLibrary:
    try:
        return H5PLibrary.objects.get(pk=library_id)
    except H5PLibrary.DoesNotExist as missing:
        raise Http404 from missing


def h5p_package_list() -> QuerySet[H5PPackage]:
    """Packages for the admin list, each with `usage_count`: the pages that show it."""
    return H5PPackage.objects.select_related("main_library").annotate(
        usage_count=ReferenceIndex.usage_count_subquery(H5PPackage)
    )


def _mentions(value: Any, package_id: int) -> bool:
    # H5PBlock's raw value is {"package": <id>, "title": ...}, wherever the block sits.
    if isinstance(value, dict):
        if value.get("package") == package_id:
            return True
        return any(_mentions(item, package_id) for item in value.values())
    if isinstance(value, list):
        return any(_mentions(item, package_id) for item in value)
    return False


def _raw_steps(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def h5p_package_pages(*, package: H5PPackage) -> list[Page]:
    """Every page that shows the package, published or in a draft.

    Wagtail's reference index only sees live content and is updated by a background task,
    so module pages (live steps and latest draft) are also read directly.
    """
    from courses.models import ModulePage  # courses.models imports this app's models

    page_type = ContentType.objects.get_for_model(Page)
    ids = {
        int(object_id)
        for object_id in ReferenceIndex.get_references_to(package)
        .filter(base_content_type=page_type)
        .values_list("object_id", flat=True)
    }
    for module in ModulePage.objects.select_related("latest_revision"):
        if module.pk in ids:
            continue
        live = list(module.steps.raw_data)
        draft = None
        if module.has_unpublished_changes and module.latest_revision:
            draft = _raw_steps(module.latest_revision.content.get("steps"))
        if _mentions(live, package.pk) or _mentions(draft, package.pk):
            ids.add(module.pk)
    return list(Page.objects.filter(pk__in=ids).order_by("title"))


def h5p_libraries_resolve(*, package: H5PPackage) -> dict[str, H5PLibrary]:
    """For each library folder the package uses, the exact version the player loads.

    That is the version the package was validated with (or moved to by an editor, see
    h5p_packages_upgrade): a newer patch uploaded with another package changes nothing here.
    """
    return {library.folder: library for library in package.libraries.all()}


def h5p_library_of_package(*, package_id: int, folder: str) -> H5PLibrary | None:
    """The exact library version a package plays for `machineName-major.minor`, or None."""
    match = LIBRARY_FOLDER_RE.match(folder)
    if not match:
        return None
    return H5PLibrary.objects.filter(
        packages__pk=package_id,
        machine_name=match["name"],
        major=int(match["major"]),
        minor=int(match["minor"]),
    ).first()


def h5p_libraries_revision(*, package: H5PPackage) -> str:
    """A token naming the exact versions a package plays, for its library URLs.

    It changes only when the package is moved to other versions, so the files can be cached
    for a year; a URL carrying another package's token (other versions) is not served.
    """
    versions = sorted(library.full_version for library in package.libraries.all())
    return hashlib.sha256("\n".join(versions).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LibraryUpgrade:
    """A stored patch newer than what some packages play, and those packages."""

    library: H5PLibrary
    packages: list[H5PPackage]
    # For each package, the version it plays now ("1.0.3"), in the same order.
    current: list[str]


def h5p_library_upgrades() -> list[LibraryUpgrade]:
    """For each newest stored patch of a machineName-major.minor, the packages on older ones."""
    newest: dict[tuple[str, int, int], H5PLibrary] = {}
    for library in H5PLibrary.objects.order_by("machine_name", "major", "minor", "patch"):
        newest[(library.machine_name, library.major, library.minor)] = library
    upgrades = []
    for library in newest.values():
        upgrade = h5p_library_upgrade_of(library=library)
        if upgrade.packages:
            upgrades.append(upgrade)
    return upgrades


def h5p_library_upgrade_of(*, library: H5PLibrary) -> LibraryUpgrade:
    """The packages that play an older patch of `library`'s major.minor (what moving affects)."""
    older = H5PLibrary.objects.filter(
        machine_name=library.machine_name,
        major=library.major,
        minor=library.minor,
        patch__lt=library.patch,
    )
    packages, current = [], []
    for package in (
        H5PPackage.objects.filter(libraries__in=older).distinct().order_by("title", "pk")
    ):
        played = package.libraries.get(pk__in=older)
        packages.append(package)
        current.append(f"{played.major}.{played.minor}.{played.patch}")
    return LibraryUpgrade(library=library, packages=packages, current=current)
