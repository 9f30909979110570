"""Checks an uploaded .h5p file without writing anything, and says clearly why one is refused.

Why this module is longer than 500 lines: an .h5p file is a zip archive anyone with an H5P
editor can make, opened on the server, so every check that keeps it harmless runs before a
byte is written: names and paths (`_check_name`), declared and real sizes, every entry
inflated once (`_check_entries`, `_check_contents`), file types (`_check_extension`),
the package's h5p.json (`_check_manifest`), each library's library.json and files
(`_check_library`) and the dependencies between them (`_check_dependencies`). Split, the
checks would have to pass the open archive and the totals between modules, and a reader
could no longer see in one place that nothing is trusted before it is checked.
"""

import hashlib
import json
import lzma
import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# H5P core's allow-lists (H5PCore::$defaultContentWhitelist and $defaultLibraryWhitelistExtras),
# except SVG in content: an SVG can carry script, and content is written by anyone who can
# use an H5P editor, whereas libraries come from the H5P hub.
CONTENT_EXTENSIONS = frozenset(
    (  # noqa: SIM905 (kept in H5P core's own space-separated form, to compare at a glance)
        "json png jpg jpeg gif bmp tif tiff eot ttf woff woff2 otf webm mp4 ogg mp3 m4a wav txt "
        "pdf rtf doc docx xls xlsx ppt pptx odt ods odp xml csv diff patch swf md textile vtt "
        "webvtt gltf glb"
    ).split()
)
LIBRARY_EXTENSIONS = CONTENT_EXTENSIONS | {"js", "css", "svg"}

DEFAULT_MAX_FILES = 5000
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_TOTAL_BYTES = 200 * 1024 * 1024

# Patterns from H5P core's validator (H5PValidator::$h5pRequired and $libraryRequired).
MACHINE_NAME_RE = re.compile(r"^[\w.\-]{1,255}$", re.ASCII)
LANGUAGE_RE = re.compile(r"^[-a-zA-Z]{1,10}$")
VERSION_RE = re.compile(r"^\d{1,5}$")
LIBRARY_FOLDER_RE = re.compile(r"^(?P<name>.+)-(?P<major>\d{1,5})\.(?P<minor>\d{1,5})$")
EMBED_TYPES = {"div", "iframe"}
TITLE_RE = re.compile(r"^.{1,255}$", re.DOTALL)
# H5P core's pattern for the files of a library's language/ folder (H5PValidator).
LANGUAGE_FILE_RE = re.compile(r"^(-?[a-z]+){1,7}\.json$", re.IGNORECASE)
# The H5P core API the player provides, as H5PCore::$coreApi says it on a server. The
# h5p-standalone 3.8.2 frame played every sample library (coreApi up to 1.24, see
# /work/shared/h5p-samples/SOURCES.md); a library asking for more is refused, as H5P does.
PLAYER_CORE_API = (1, 24)
# Far above any real file name, well under what file systems accept.
MAX_NAME_BYTES = 1000
MAX_PART_BYTES = 200
CHUNK_BYTES = 1024 * 1024

# What a damaged or hostile archive can raise from zipfile and its decompressors.
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,  # includes UnicodeDecodeError for badly encoded names
    NotImplementedError,  # unsupported compression method
    RuntimeError,  # encrypted entry
    zlib.error,
    lzma.LZMAError,
    struct.error,
)


class H5PValidationError(Exception):
    """A refused package. `message` is for people (translated when read), `code` for programs."""

    def __init__(self, message, *, code: str, params: dict[str, Any] | None = None):
        super().__init__(message)
        self.message_template = message
        self.code = code
        self.params = params or {}

    @property
    def message(self) -> str:
        template = str(self.message_template)
        return template % self.params if self.params else template

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class LibraryRef:
    """A dependency as H5P names it: machine name and major.minor, whatever the patch."""

    machine_name: str
    major: int
    minor: int

    @property
    def folder(self) -> str:
        return f"{self.machine_name}-{self.major}.{self.minor}"

    def __str__(self) -> str:
        return f"{self.machine_name} {self.major}.{self.minor}"


@dataclass(frozen=True)
class ValidatedLibrary:
    machine_name: str
    major: int
    minor: int
    patch: int
    folder: str
    dependencies: tuple[LibraryRef, ...]
    # Archive names of the files to store, all under `folder/`.
    files: tuple[str, ...]
    # h5p_library_files_sha256 of those files: the same version must always be the same files.
    files_sha256: str
    # The H5P core API the library needs (coreApi in library.json), (1, 0) when unsaid.
    core_api: tuple[int, int] = (1, 0)

    @property
    def full_version(self) -> str:
        return f"{self.folder}.{self.patch}"


@dataclass(frozen=True)
class ValidatedPackage:
    sha256: str
    size_bytes: int
    unpacked_bytes: int
    title: str
    language: str
    main_library: LibraryRef
    # Only the libraries the player loads (preloaded dependencies of h5p.json, recursively);
    # editor libraries in the archive are checked but not kept.
    libraries: dict[str, ValidatedLibrary]
    # Archive names of the content to store: h5p.json and content/...
    content_files: tuple[str, ...]


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _file_size(file: IO[bytes]) -> int:
    file.seek(0, os.SEEK_END)
    size = file.tell()
    file.seek(0)
    return size


def h5p_file_sha256(file: IO[bytes]) -> str:
    """The SHA-256 of a whole file; the file is left at its start."""
    digest = hashlib.sha256()
    file.seek(0)
    while chunk := file.read(CHUNK_BYTES):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def h5p_read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, limit: int | None = None
) -> Iterator[bytes]:
    """Yield an entry's bytes, stopping as soon as more than `limit` bytes come out.

    zipfile already stops at the size the archive declares; counting here as well means a
    lying header can never make us inflate more than the limit (H5P_MAX_FILE_BYTES by default).
    """
    if limit is None:
        limit = _limit("H5P_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)
    read = 0
    with archive.open(info) as member:
        while chunk := member.read(CHUNK_BYTES):
            read += len(chunk)
            if read > limit:
                raise H5PValidationError(
                    _("The file “%(name)s” is too large once unpacked (at most %(limit)s)."),
                    code="file_too_large",
                    params={"name": info.filename, "limit": filesizeformat(limit)},
                )
            yield chunk


def _is_hidden(parts: list[str]) -> bool:
    # Operating systems leave these behind (.DS_Store, __MACOSX/); H5P core skips them too.
    return parts[0] == "__MACOSX" or any(part.startswith(".") for part in parts)


def _extension(name: str) -> str:
    return PurePosixPath(name).suffix[1:].lower()


def _check_name(info: zipfile.ZipInfo) -> list[str]:
    """Refuse names that could escape the package folder or confuse a file system."""
    # orig_filename keeps what zipfile would silently cut at a NUL byte.
    raw = info.orig_filename
    name = info.filename
    if "\\" in raw:
        raise H5PValidationError(
            _("The file name “%(name)s” uses backslashes; H5P packages use forward slashes."),
            code="backslash",
            params={"name": name},
        )
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
        raise H5PValidationError(
            _("The file “%(name)s” has an absolute path; an H5P package only has relative paths."),
            code="absolute_path",
            params={"name": name},
        )
    parts = raw.removesuffix("/").split("/")
    if ".." in parts:
        raise H5PValidationError(
            _("The file “%(name)s” points outside the package (“..”)."),
            code="parent_path",
            params={"name": name},
        )
    if (
        any(part in ("", ".") for part in parts)
        or any(unicodedata.category(char).startswith("C") for char in raw)
        or len(raw.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES
        or any(len(part.encode("utf-8", "surrogatepass")) > MAX_PART_BYTES for part in parts)
    ):
        raise H5PValidationError(
            _("The file name “%(name)s” is not allowed (unusual characters, or too long)."),
            code="invalid_name",
            params={"name": name.encode("ascii", "backslashreplace").decode()},
        )
    return parts


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    # Unix zip tools keep the file mode in the high 16 bits of external_attr.
    return stat.S_ISLNK(info.external_attr >> 16)


def _read_json(archive: zipfile.ZipFile, info: zipfile.ZipInfo, *, error) -> Any:
    data = b"".join(h5p_read_member(archive, info))
    try:
        # utf-8-sig: some H5P editors write a byte order mark.
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise error from None


def _version(value: Any) -> int | None:
    # h5p.json often writes versions as strings ("1"), library.json as numbers.
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 <= value <= 99999:
        return value
    if isinstance(value, str) and VERSION_RE.match(value):
        return int(value)
    return None


def _library_ref(value: Any) -> LibraryRef | None:
    if not isinstance(value, dict):
        return None
    name = value.get("machineName")
    major, minor = _version(value.get("majorVersion")), _version(value.get("minorVersion"))
    if not isinstance(name, str) or not MACHINE_NAME_RE.match(name) or None in (major, minor):
        return None
    return LibraryRef(name, major, minor)


def _dependencies(value: Any) -> tuple[LibraryRef, ...] | None:
    if value is None:
        return ()
    if not isinstance(value, list):
        return None
    refs = [_library_ref(item) for item in value]
    return None if None in refs else tuple(refs)


def _manifest_error(field: str) -> H5PValidationError:
    return H5PValidationError(
        _("The h5p.json file is incomplete: “%(field)s” is missing or not valid."),
        code="invalid_h5p_json",
        params={"field": field},
    )


def _check_manifest(manifest: Any) -> tuple[str, str, LibraryRef, tuple[LibraryRef, ...]]:
    if not isinstance(manifest, dict):
        raise _manifest_error("title")
    title = manifest.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 255:
        raise _manifest_error("title")
    language = manifest.get("language")
    if not isinstance(language, str) or not LANGUAGE_RE.match(language):
        raise _manifest_error("language")
    main_name = manifest.get("mainLibrary")
    if not isinstance(main_name, str) or not MACHINE_NAME_RE.match(main_name):
        raise _manifest_error("mainLibrary")
    dependencies = _dependencies(manifest.get("preloadedDependencies"))
    if not dependencies:
        raise _manifest_error("preloadedDependencies")
    embed_types = manifest.get("embedTypes")
    if (
        not isinstance(embed_types, list)
        or not embed_types
        or not all(isinstance(kind, str) and kind in EMBED_TYPES for kind in embed_types)
    ):
        raise _manifest_error("embedTypes")
    main = next((ref for ref in dependencies if ref.machine_name == main_name), None)
    if main is None:
        raise H5PValidationError(
            _(
                "The h5p.json file names “%(library)s” as its main library but does not list it "
                "in its dependencies."
            ),
            code="main_library_not_listed",
            params={"library": main_name},
        )
    return title.strip(), language, main, dependencies


def _check_library(
    archive: zipfile.ZipFile, folder: str, infos: dict[str, zipfile.ZipInfo]
) -> ValidatedLibrary:
    match = LIBRARY_FOLDER_RE.match(folder)
    if not match or not MACHINE_NAME_RE.match(match["name"]):
        raise H5PValidationError(
            _(
                "The folder “%(folder)s” is not an H5P library folder: library folders are named "
                "like “H5P.Example-1.2”."
            ),
            code="invalid_library_folder",
            params={"folder": folder},
        )
    info = infos.get(f"{folder}/library.json")
    if info is None:
        raise H5PValidationError(
            _("The library folder “%(folder)s” has no library.json file."),
            code="missing_library_json",
            params={"folder": folder},
        )

    def invalid(field: str) -> H5PValidationError:
        return H5PValidationError(
            _(
                "The library.json file of “%(folder)s” is not valid: “%(field)s” is missing or wrong."
            ),
            code="invalid_library_json",
            params={"folder": folder, "field": field},
        )

    data = _read_json(archive, info, error=invalid("library.json"))
    if not isinstance(data, dict):
        raise invalid("library.json")
    ref = _library_ref(data)
    if ref is None:
        raise invalid("machineName")
    patch = _version(data.get("patchVersion"))
    if patch is None:
        raise invalid("patchVersion")
    if ref.folder != folder:
        raise H5PValidationError(
            _(
                "The folder “%(folder)s” holds the library %(library)s: the folder name and its "
                "library.json must agree."
            ),
            code="library_mismatch",
            params={"folder": folder, "library": str(ref)},
        )
    title = data.get("title")
    if not isinstance(title, str) or not TITLE_RE.match(title):
        raise invalid("title")
    if data.get("runnable") not in (0, 1, True, False):
        raise invalid("runnable")
    if "fullscreen" in data and data["fullscreen"] not in (0, 1, True, False):
        raise invalid("fullscreen")
    embed_types = data.get("embedTypes", ["div"])
    if not isinstance(embed_types, list) or not all(
        isinstance(kind, str) and kind in EMBED_TYPES for kind in embed_types
    ):
        raise invalid("embedTypes")
    core_api = _core_api(data.get("coreApi"))
    if core_api is None:
        raise invalid("coreApi")
    if core_api > PLAYER_CORE_API:
        raise H5PValidationError(
            _(
                "The library %(library)s needs a newer H5P player (core API %(needed)s; this "
                "site plays up to %(supported)s). Export the activity from an older H5P, or ask "
                "the site's team to update the player."
            ),
            code="core_api_too_new",
            params={
                "library": str(ref),
                "needed": ".".join(map(str, core_api)),
                "supported": ".".join(map(str, PLAYER_CORE_API)),
            },
        )
    dependencies = _dependencies(data.get("preloadedDependencies"))
    if dependencies is None:
        raise invalid("preloadedDependencies")
    for key in ("dynamicDependencies", "editorDependencies"):
        if _dependencies(data.get(key)) is None:
            raise invalid(key)
    for key in ("preloadedJs", "preloadedCss"):
        entries = data.get(key, [])
        if not isinstance(entries, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("path"), str) for entry in entries
        ):
            raise invalid(key)
        for entry in entries:
            if f"{folder}/{entry['path']}" not in infos:
                raise H5PValidationError(
                    _(
                        "The library “%(folder)s” needs the file “%(name)s”, which is missing "
                        "from the package."
                    ),
                    code="missing_library_file",
                    params={"folder": folder, "name": entry["path"]},
                )
    files = tuple(name for name in infos if name.startswith(f"{folder}/"))
    _check_library_json_files(archive, folder, files, infos)
    return ValidatedLibrary(
        ref.machine_name,
        ref.major,
        ref.minor,
        patch,
        folder,
        dependencies,
        files,
        files_sha256=h5p_library_files_sha256(
            (name.removeprefix(f"{folder}/"), h5p_read_member(archive, infos[name]))
            for name in files
        ),
        core_api=core_api,
    )


def _core_api(value: Any) -> tuple[int, int] | None:
    """coreApi of library.json as (major, minor); absent means 1.0, as in H5P core."""
    if value is None:
        return (1, 0)
    if not isinstance(value, dict):
        return None
    major, minor = _version(value.get("majorVersion")), _version(value.get("minorVersion"))
    return None if None in (major, minor) else (major, minor)


def _check_library_json_files(
    archive: zipfile.ZipFile,
    folder: str,
    files: tuple[str, ...],
    infos: dict[str, zipfile.ZipInfo],
) -> None:
    """language/*.json and semantics.json are read by H5P: they must be JSON, as H5P checks."""
    for name in files:
        relative = name.removeprefix(f"{folder}/")
        parts = relative.split("/")
        is_language = len(parts) == 2 and parts[0] == "language"
        if is_language and not LANGUAGE_FILE_RE.match(parts[1]):
            raise H5PValidationError(
                _(
                    "The library “%(folder)s” has a language file named “%(name)s”: language "
                    "files are named like “fr.json” or “nl-be.json”."
                ),
                code="invalid_language_file",
                params={"folder": folder, "name": relative},
            )
        if is_language or relative == "semantics.json":
            refused = H5PValidationError(
                _("The file “%(name)s” of the library “%(folder)s” is not valid JSON."),
                code="invalid_language_file" if is_language else "invalid_semantics",
                params={"folder": folder, "name": relative},
            )
            data = _read_json(archive, infos[name], error=refused)
            if not isinstance(data, dict if is_language else list):
                raise refused


def h5p_library_files_sha256(files: Iterator[tuple[str, Iterator[bytes]]]) -> str:
    """One digest for a library's files: their names (relative to its folder) and contents.

    The same names and bytes give the same digest whatever their order in the archive.
    """
    entries = []
    for name, chunks in files:
        digest = hashlib.sha256()
        for chunk in chunks:
            digest.update(chunk)
        entries.append(f"{name}\0{digest.hexdigest()}\n")
    return hashlib.sha256("".join(sorted(entries)).encode("utf-8", "surrogatepass")).hexdigest()


def _check_entries(
    infos: list[zipfile.ZipInfo],
) -> tuple[dict[str, zipfile.ZipInfo], int]:
    """Names, types and declared sizes of every entry; returns the files to keep by name."""
    max_file = _limit("H5P_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)
    max_total = _limit("H5P_MAX_TOTAL_BYTES", DEFAULT_MAX_TOTAL_BYTES)
    seen: dict[str, str] = {}
    folders: set[str] = set()
    kept: dict[str, zipfile.ZipInfo] = {}
    declared = 0
    for info in infos:
        parts = _check_name(info)
        name = info.filename
        if _is_symlink(info):
            raise H5PValidationError(
                _("The package contains a symbolic link (“%(name)s”), which is not allowed."),
                code="symlink",
                params={"name": name},
            )
        # Two names one file system could confuse (case, Unicode normalisation) are duplicates.
        folded = unicodedata.normalize("NFC", "/".join(parts)).casefold()
        if folded in seen:
            raise H5PValidationError(
                _(
                    "The package contains “%(name)s” twice (names that differ only in capital "
                    "letters count as the same)."
                ),
                code="duplicate",
                params={"name": name},
            )
        seen[folded] = name
        if info.is_dir():
            continue
        folded_parts = folded.split("/")
        folders.update("/".join(folded_parts[:i]) for i in range(1, len(folded_parts)))
        if info.flag_bits & 0x1:
            raise H5PValidationError(
                _("The file “%(name)s” is encrypted; H5P packages cannot be."),
                code="encrypted",
                params={"name": name},
            )
        if info.file_size > max_file:
            raise H5PValidationError(
                _("The file “%(name)s” is too large once unpacked (at most %(limit)s)."),
                code="file_too_large",
                params={"name": name, "limit": filesizeformat(max_file)},
            )
        declared += info.file_size
        if declared > max_total:
            raise H5PValidationError(
                _("The package is too large once unpacked (at most %(limit)s)."),
                code="total_too_large",
                params={"limit": filesizeformat(max_total)},
            )
        if _is_hidden(parts):
            continue
        _check_extension(name, parts)
        kept[name] = info
    for folded, name in seen.items():
        if folded in folders and not name.endswith("/"):
            raise H5PValidationError(
                _("The package contains “%(name)s” both as a file and as a folder."),
                code="file_folder_clash",
                params={"name": name},
            )
    return kept, declared


def _check_extension(name: str, parts: list[str]) -> None:
    extension = _extension(name)
    is_library_file = len(parts) > 1 and parts[0] != "content"
    if extension == "svg" and not is_library_file:
        raise H5PValidationError(
            _(
                "The image “%(name)s” is an SVG file, which is not allowed in H5P content "
                "because it can contain scripts. Use a PNG or JPEG image instead."
            ),
            code="svg_in_content",
            params={"name": name},
        )
    allowed = LIBRARY_EXTENSIONS if is_library_file else CONTENT_EXTENSIONS
    if extension not in allowed:
        raise H5PValidationError(
            _("The file “%(name)s” is not allowed in an H5P package (type “%(extension)s”)."),
            code="forbidden_extension",
            params={"name": name, "extension": extension or "?"},
        )


def _check_contents(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> int:
    """Inflate every entry once, so a damaged or lying archive is refused before any write."""
    max_file = _limit("H5P_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)
    max_total = _limit("H5P_MAX_TOTAL_BYTES", DEFAULT_MAX_TOTAL_BYTES)
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        try:
            for chunk in h5p_read_member(archive, info, limit=max_file):
                total += len(chunk)
                if total > max_total:
                    raise H5PValidationError(
                        _("The package is too large once unpacked (at most %(limit)s)."),
                        code="total_too_large",
                        params={"limit": filesizeformat(max_total)},
                    )
        except ZIP_ERRORS:
            raise H5PValidationError(
                _("The file “%(name)s” cannot be read: the package is damaged."),
                code="damaged",
                params={"name": info.filename},
            ) from None
    return total


def h5p_validate(file: IO[bytes]) -> ValidatedPackage:
    """Check an uploaded .h5p file (a binary file object); write nothing.

    Raises H5PValidationError with a message for the person who uploaded it.
    """
    max_files = _limit("H5P_MAX_FILES", DEFAULT_MAX_FILES)
    max_total = _limit("H5P_MAX_TOTAL_BYTES", DEFAULT_MAX_TOTAL_BYTES)
    size = _file_size(file)
    if size > max_total:
        raise H5PValidationError(
            _("The package is too large (at most %(limit)s)."),
            code="too_large",
            params={"limit": filesizeformat(max_total)},
        )
    sha256 = h5p_file_sha256(file)
    not_zip = H5PValidationError(
        _("This file is not an H5P package: it is not a valid ZIP archive."), code="not_zip"
    )
    too_many = H5PValidationError(
        _("The package holds too many files: %(count)s, at most %(limit)s."),
        code="too_many_files",
    )
    try:
        # Read the entry count from the end record first: a forged central directory could
        # otherwise make zipfile build millions of entries in memory before we can count them.
        end_record = zipfile._EndRecData(file)
        file.seek(0)
        if end_record is None:
            raise not_zip
        if end_record[zipfile._ECD_ENTRIES_TOTAL] > max_files:
            too_many.params = {"count": end_record[zipfile._ECD_ENTRIES_TOTAL], "limit": max_files}
            raise too_many
        archive = zipfile.ZipFile(file)
    except ZIP_ERRORS:
        raise not_zip from None
    with archive:
        infos = archive.infolist()
        if len(infos) > max_files:
            too_many.params = {"count": len(infos), "limit": max_files}
            raise too_many
        kept, _declared = _check_entries(infos)
        unpacked = _check_contents(archive, infos)

        if "h5p.json" not in kept:
            raise H5PValidationError(
                _("The package has no h5p.json file at its root. Export it again from H5P."),
                code="missing_h5p_json",
            )
        manifest = _read_json(
            archive,
            kept["h5p.json"],
            error=H5PValidationError(
                _("The h5p.json file is not valid JSON."), code="invalid_h5p_json"
            ),
        )
        title, language, main, dependencies = _check_manifest(manifest)

        if "content/content.json" not in kept:
            raise H5PValidationError(
                _("The package has no content/content.json file."), code="missing_content_json"
            )
        content = _read_json(
            archive,
            kept["content/content.json"],
            error=H5PValidationError(
                _("The content/content.json file is not valid JSON."),
                code="invalid_content_json",
            ),
        )
        if not isinstance(content, dict):
            raise H5PValidationError(
                _("The content/content.json file is not valid JSON."),
                code="invalid_content_json",
            )

        folders = sorted(
            {name.split("/")[0] for name in kept if "/" in name} - {"content"}, key=str.lower
        )
        libraries = {folder: _check_library(archive, folder, kept) for folder in folders}

    _check_dependencies(libraries, dependencies)
    needed: dict[str, ValidatedLibrary] = {}
    queue = list(dependencies)
    while queue:
        ref = queue.pop()
        if ref.folder not in needed:
            needed[ref.folder] = libraries[ref.folder]
            queue.extend(needed[ref.folder].dependencies)
    return ValidatedPackage(
        sha256=sha256,
        size_bytes=size,
        unpacked_bytes=unpacked,
        title=title,
        language=language,
        main_library=main,
        libraries=dict(sorted(needed.items())),
        content_files=tuple(
            name for name in kept if name == "h5p.json" or name.startswith("content/")
        ),
    )


def _check_dependencies(
    libraries: dict[str, ValidatedLibrary], dependencies: tuple[LibraryRef, ...]
) -> None:
    wanted = [("h5p.json", ref) for ref in dependencies] + [
        (library.folder, ref) for library in libraries.values() for ref in library.dependencies
    ]
    for needed_by, ref in wanted:
        if ref.folder not in libraries:
            raise H5PValidationError(
                _(
                    "The library %(library)s, needed by %(needed_by)s, is not in the package. "
                    "Export the activity again with its libraries (in H5P: “Download” with "
                    "libraries) and upload that file."
                ),
                code="missing_library",
                params={"library": str(ref), "needed_by": needed_by},
            )
