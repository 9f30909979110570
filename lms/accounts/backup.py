"""Backups of the whole installation (database and media folder) and their restoration."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT_NAME = "pasapas-backup"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MEDIA_PREFIX = "media/"
DATABASE_MEMBERS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK_BYTES = 1024 * 1024


class BackupError(Exception):
    """A backup cannot be made or restored; the message tells an administrator why."""


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict
    media_files: int
    unapplied_migrations: list[str]


# --- Making a backup ---------------------------------------------------------------------


def backup_create(*, destination: Path, using: str = "default") -> dict:
    """Write a zip archive of the database and the media folder; returns its manifest.

    The database is copied while the site runs (SQLite's online backup API, or pg_dump's
    snapshot), and the archive appears under its final name only once complete.
    """
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in DATABASE_MEMBERS:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    destination = Path(destination).resolve()
    if not destination.parent.is_dir():
        raise BackupError(f"The folder {destination.parent} does not exist.")
    media_root = Path(settings.MEDIA_ROOT).resolve()
    if destination.is_relative_to(media_root):
        raise BackupError("The backup file cannot be written inside the media folder.")

    files = []
    with tempfile.TemporaryDirectory(prefix="pasapas-backup-") as work:
        dump = Path(work) / DATABASE_MEMBERS[vendor]
        if vendor == "sqlite":
            _sqlite_copy(connection.settings_dict["NAME"], dump)
        else:
            _run_pg("pg_dump", connection.settings_dict, ["--format=custom", f"--file={dump}"])
        migrations = _migrations_applied(using)

        partial = destination.with_name(f".{destination.name}.part")
        try:
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                files.append(_archive_add(archive, dump, DATABASE_MEMBERS[vendor]))
                for path in _media_files(media_root):
                    relative = path.relative_to(media_root).as_posix()
                    entry = _archive_add(archive, path, MEDIA_PREFIX + relative)
                    if entry is not None:
                        files.append(entry)
                manifest = {
                    "format": FORMAT_NAME,
                    "format_version": FORMAT_VERSION,
                    "created_at": timezone.now().isoformat(),
                    "database": {"vendor": vendor, "file": DATABASE_MEMBERS[vendor]},
                    "migrations": migrations,
                    "files": files,
                }
                archive.writestr(MANIFEST_NAME, json.dumps(manifest, indent=2, sort_keys=True))
            os.replace(partial, destination)
        finally:
            partial.unlink(missing_ok=True)
    return manifest


def _sqlite_copy(source: str, target: Path) -> None:
    # A separate connection: Django's may be inside a transaction, and the backup API
    # copies a consistent snapshot even while other processes write (WAL).
    if not Path(source).is_file():
        raise BackupError(f"The database file {source} does not exist.")
    source_db = sqlite3.connect(source, timeout=30)
    target_db = sqlite3.connect(target)
    try:
        source_db.backup(target_db)
    finally:
        target_db.close()
        source_db.close()


def _migrations_applied(using: str) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


def _media_files(media_root: Path):
    if not media_root.is_dir():
        return
    for folder, dirnames, filenames in os.walk(media_root):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(folder) / filename
            if path.is_file() and not path.is_symlink():
                yield path


def _archive_add(archive: zipfile.ZipFile, path: Path, name: str) -> dict | None:
    """Copy one file into the archive, hashing exactly the bytes written."""
    digest = hashlib.sha256()
    size = 0
    try:
        source = path.open("rb")
    except FileNotFoundError:
        return None  # deleted by the running site since the folder was listed
    with source, archive.open(name, "w", force_zip64=True) as target:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            target.write(chunk)
            size += len(chunk)
    return {"path": name, "sha256": digest.hexdigest(), "size": size}


# --- Checking a backup -------------------------------------------------------------------


def backup_check(*, source: Path, using: str = "default") -> dict:
    """Return the manifest of a backup this installation can restore, or raise BackupError."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} does not exist.")
    try:
        with zipfile.ZipFile(source) as archive:
            manifest = _manifest_read(archive)
            _manifest_check(manifest, vendor=connections[using].vendor)
            _members_check(archive, manifest)
    except zipfile.BadZipFile as error:
        raise BackupError(f"{source} is damaged or not a backup archive ({error}).") from error
    return manifest


def _manifest_read(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read(MANIFEST_NAME))
    except KeyError:
        raise BackupError(
            "This archive has no manifest.json: it is not a Pas à pas backup."
        ) from None
    except ValueError as error:
        raise BackupError(f"The manifest of this archive is unreadable ({error}).") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise BackupError("This archive is not a Pas à pas backup (unknown manifest format).")
    return manifest


def _manifest_check(manifest: dict, *, vendor: str) -> None:
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise BackupError("The manifest of this backup has no valid format version.")
    if version > FORMAT_VERSION:
        raise BackupError(
            f"This backup uses format version {version}, newer than this installation "
            f"understands ({FORMAT_VERSION}). Upgrade Pas à pas first."
        )
    database = manifest.get("database") or {}
    if database.get("vendor") != vendor:
        raise BackupError(
            f"This backup holds a {database.get('vendor')} database; this installation "
            f"uses {vendor}."
        )
    if database.get("file") != DATABASE_MEMBERS[vendor]:
        raise BackupError("The manifest of this backup names no database file.")
    if not isinstance(manifest.get("files"), list) or not isinstance(
        manifest.get("migrations"), dict
    ):
        raise BackupError("The manifest of this backup has no file list or migration state.")


def _media_path_safe(name: str) -> bool:
    relative = PurePosixPath(name[len(MEDIA_PREFIX) :])
    return (
        name.startswith(MEDIA_PREFIX)
        and not relative.is_absolute()
        and relative.parts != ()
        and ".." not in relative.parts
        and "\\" not in name
    )


def _members_check(archive: zipfile.ZipFile, manifest: dict) -> None:
    names = set(archive.namelist())
    database_file = manifest["database"]["file"]
    listed = set()
    for entry in manifest["files"]:
        name = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not (name == database_file or _media_path_safe(name)):
            raise BackupError(f"The manifest lists an unsafe or unknown path: {name!r}.")
        if name not in names:
            raise BackupError(f"The backup is damaged: {name} is missing.")
        digest = hashlib.sha256()
        with archive.open(name) as member:
            while chunk := member.read(CHUNK_BYTES):
                digest.update(chunk)
        if digest.hexdigest() != entry.get("sha256"):
            raise BackupError(f"The backup is damaged: the checksum of {name} does not match.")
        listed.add(name)
    if database_file not in listed:
        raise BackupError("The backup is damaged: it holds no database.")
    unlisted = names - listed - {MANIFEST_NAME}
    if unlisted:
        raise BackupError(
            f"The backup holds files its manifest does not list: {sorted(unlisted)[:5]}."
        )


# --- Restoring a backup ------------------------------------------------------------------


def installation_is_empty(*, using: str = "default") -> bool:
    """True when nobody and no content exists yet: migrated or not, nothing to lose."""
    from django.contrib.auth import get_user_model
    from wagtail.models import Page

    connection = connections[using]
    tables = set(connection.introspection.table_names())
    user_model = get_user_model()
    if user_model._meta.db_table in tables and user_model.objects.using(using).exists():
        return False
    # The initial tree is the root and one home page; anything more is someone's content.
    if Page._meta.db_table in tables and Page.objects.using(using).filter(depth__gt=2).exists():
        return False
    media_root = Path(settings.MEDIA_ROOT)
    return not (media_root.is_dir() and any(_media_files(media_root)))


def backup_restore(*, source: Path, using: str = "default", force: bool = False) -> RestoreResult:
    """Restore a checked backup into this installation, database first, then media."""
    manifest = backup_check(source=source, using=using)
    unknown = _migrations_unknown(manifest["migrations"])
    if unknown:
        raise BackupError(
            "This backup was made by a newer version of Pas à pas (unknown migrations: "
            f"{', '.join(unknown[:5])}). Upgrade this installation first."
        )
    if not force and not installation_is_empty(using=using):
        raise BackupError(
            "This installation already holds data (people, pages or media files). Restore "
            "into an empty installation, or add --force to replace everything."
        )
    connection = connections[using]
    media_root = Path(settings.MEDIA_ROOT).resolve()
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=media_root.parent))
    try:
        with zipfile.ZipFile(source) as archive:
            media_count = _media_extract(archive, manifest, staging / "media")
            database_file = manifest["database"]["file"]
            dump = staging / database_file
            with archive.open(database_file) as member, dump.open("wb") as target:
                shutil.copyfileobj(member, target, CHUNK_BYTES)
        connection.close()
        if connection.vendor == "sqlite":
            _sqlite_replace(dump, Path(connection.settings_dict["NAME"]))
        else:
            _run_pg(
                "pg_restore",
                connection.settings_dict,
                [
                    "--clean",
                    "--if-exists",
                    "--single-transaction",
                    "--exit-on-error",
                    "--no-owner",
                    "--no-privileges",
                    str(dump),
                ],
            )
        _media_swap(staging / "media", media_root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RestoreResult(
        manifest=manifest,
        media_files=media_count,
        unapplied_migrations=_migrations_pending(using),
    )


def _migrations_unknown(migrations: dict) -> list[str]:
    """Migrations the backup has applied that this code does not know (a newer version)."""
    disk = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    known = set(disk)
    for migration in disk.values():
        known.update(migration.replaces)  # squashed away, still recorded in old databases
    installed = {config.label for config in apps.get_app_configs()}
    return [
        f"{app}.{name}"
        for app, names in sorted(migrations.items())
        if app in installed
        for name in names
        if (app, name) not in known
    ]


def _migrations_pending(using: str) -> list[str]:
    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def _media_extract(archive: zipfile.ZipFile, manifest: dict, target: Path) -> int:
    target.mkdir()
    count = 0
    for entry in manifest["files"]:
        name = entry["path"]
        if name == manifest["database"]["file"]:
            continue
        path = target.joinpath(*PurePosixPath(name[len(MEDIA_PREFIX) :]).parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(name) as member, path.open("wb") as out:
            shutil.copyfileobj(member, out, CHUNK_BYTES)
        count += 1
    return count


def _sqlite_replace(dump: Path, database: Path) -> None:
    check = sqlite3.connect(dump)
    try:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"The database in this backup is unreadable ({error}).") from error
    finally:
        check.close()
    if result != "ok":
        raise BackupError(f"The database in this backup fails its integrity check ({result}).")
    database.parent.mkdir(parents=True, exist_ok=True)
    # Copy next to the target first, so the final step is one atomic rename.
    fd, temporary = tempfile.mkstemp(prefix=f".{database.name}.", dir=database.parent)
    os.close(fd)
    try:
        shutil.copyfile(dump, temporary)
        # A write-ahead log left by the old database must not be replayed into the new one.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        os.replace(temporary, database)
    finally:
        Path(temporary).unlink(missing_ok=True)


def _media_swap(new_media: Path, media_root: Path) -> None:
    old = None
    if media_root.exists():
        old = media_root.with_name(f".{media_root.name}.old-{os.getpid()}")
        os.replace(media_root, old)
    os.replace(new_media, media_root)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _run_pg(program: str, settings_dict: dict, arguments: list[str]) -> None:
    """Run pg_dump or pg_restore against the database Django is configured for."""
    command = [program, "--no-password"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            command.append(f"{flag}={settings_dict[key]}")
    command += [f"--dbname={settings_dict['NAME']}", *arguments]
    environment = {**os.environ}
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    options = settings_dict.get("OPTIONS") or {}
    if options.get("sslmode"):
        environment["PGSSLMODE"] = options["sslmode"]
    try:
        result = subprocess.run(  # noqa: S603  (fixed program, arguments from settings)
            command, env=environment, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as error:
        raise BackupError(f"{program} is not installed or not on PATH.") from error
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip()[-2000:]}")
