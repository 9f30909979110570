"""Backups: a demo site backed up and restored elsewhere is identical; bad archives are refused."""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from lms.accounts.backup import (
    DATABASE_MEMBERS,
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST_NAME,
    BackupError,
    backup_check,
    backup_restore,
)
from tests.factories import UserFactory
from tests.lms.databases import migrated_database

PROJECT = Path(settings.BASE_DIR)
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


# --- Two throwaway installations, each run by manage.py in its own process ---------------
# The test database cannot be the source: its data sits in the test's open transaction,
# which neither pg_dump nor SQLite's backup API (another connection) can see.


class Site:
    """One installation: its own database and media folder, driven through manage.py."""

    def __init__(self, root: Path, name: str, database: dict[str, str] | None = None):
        """An empty database, or `database`: the variables of one made elsewhere."""
        self.media = root / f"{name}-media"
        self.environment = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "SQLITE_PATH", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        }
        self.environment.update(
            DJANGO_SETTINGS_MODULE="lms.settings.dev", MEDIA_ROOT=str(self.media)
        )
        self.owns_database = database is None
        if database is not None:
            self.environment.update(database)
            self.database = (
                database["DATABASE_URL"].rsplit("/", 1)[1]
                if ON_POSTGRES
                else database["SQLITE_PATH"]
            )
        elif ON_POSTGRES:
            self.database = f"pasapas_backup_{uuid.uuid4().hex[:12]}_{name}"
            _postgres_admin(f'CREATE DATABASE "{self.database}"')
            self.environment["DATABASE_URL"] = _postgres_url(self.database)
        else:
            self.database = str(root / f"{name}.sqlite3")
            self.environment["SQLITE_PATH"] = self.database

    def manage(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=PROJECT,
            env=self.environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        if check:
            assert result.returncode == 0, result.stderr[-3000:]
        return result

    def rows(self) -> dict[str, list]:
        """Every table's rows, in a stable order, plus the sequences' positions."""
        if ON_POSTGRES:
            import psycopg

            with psycopg.connect(**_postgres_params(self.database)) as db:
                tables = [
                    name
                    for (name,) in db.execute(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                    )
                ]
                contents = {
                    table: sorted(map(repr, db.execute(f'SELECT * FROM "{table}"')))  # noqa: S608  (names from the catalogue)
                    for table in tables
                }
                contents["(sequences)"] = sorted(
                    db.execute(
                        "SELECT sequencename, last_value FROM pg_sequences "
                        "WHERE schemaname = 'public'"
                    )
                )
                return contents
        db = sqlite3.connect(self.database)
        try:
            tables = [
                name
                for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            return {
                table: sorted(map(repr, db.execute(f'SELECT * FROM "{table}"')))  # noqa: S608  (names from the catalogue)
                for table in tables
            }
        finally:
            db.close()

    def media_files(self) -> dict[str, str]:
        return {
            path.relative_to(self.media).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(self.media.rglob("*"))
            if path.is_file()
        }

    def drop(self) -> None:
        if ON_POSTGRES and self.owns_database:
            _postgres_admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


def _postgres_params(database: str) -> dict:
    default = settings.DATABASES["default"]
    params = {"dbname": database, "user": default.get("USER") or None}
    for key, name in (("host", "HOST"), ("port", "PORT"), ("password", "PASSWORD")):
        if default.get(name):
            params[key] = default[name]
    return params


def _postgres_url(database: str) -> str:
    default = settings.DATABASES["default"]
    credentials = quote(default.get("USER") or "", safe="")
    if default.get("PASSWORD"):
        credentials += ":" + quote(str(default["PASSWORD"]), safe="")
    host = default.get("HOST") or "localhost"
    port = f":{default['PORT']}" if default.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{database}"


def _postgres_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(**_postgres_params("postgres"), autocommit=True) as db:
        db.execute(statement)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory, django_db_setup):
    """A small demo backed up, then restored into a second, empty installation.

    The source starts as a copy of the migrated test database (seconds), not as a database
    migrated from nothing by another process (a minute of CI, twice).
    """
    root = tmp_path_factory.mktemp("backup")
    with migrated_database("backup_source", root) as copy:
        source, target = Site(root, "source", copy), Site(root, "target")
        # The copied rows name the catalogue's files (pictograms, H5P): they come along, so
        # that the source is a whole installation, as a real one would be.
        shutil.copytree(settings.MEDIA_ROOT, source.media, dirs_exist_ok=True)
        try:
            source.manage("seed_demo", "--learners=12", "--force")
            archive = root / "pasapas.zip"
            source.manage("backup", str(archive))
            restored = target.manage("restore", str(archive))
            yield source, target, archive, restored
        finally:
            source.drop()
            target.drop()


@pytest.mark.slow  # a demo copied, seeded, backed up and restored
def test_restored_installation_has_every_row_of_every_table(round_trip):
    source, target, _archive, _restored = round_trip
    before, after = source.rows(), target.rows()
    assert len(before["accounts_user"]) > 12
    assert before.keys() == after.keys()
    for table in before:
        assert before[table] == after[table], table


@pytest.mark.slow  # a demo copied, seeded, backed up and restored
def test_restored_installation_has_every_media_file(round_trip):
    source, target, _archive, restored = round_trip
    assert source.media_files()
    assert target.media_files() == source.media_files()
    assert "Restored the backup" in restored.stdout


@pytest.mark.slow  # a demo copied, seeded, backed up and restored
def test_backup_manifest_describes_the_database_and_every_file(round_trip):
    source, _target, archive, _restored = round_trip
    with zipfile.ZipFile(archive) as zipped:
        manifest = json.loads(zipped.read(MANIFEST_NAME))
    assert manifest["format"] == FORMAT_NAME
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["database"]["vendor"] == ("postgresql" if ON_POSTGRES else "sqlite")
    assert "0001_initial" in manifest["migrations"]["accounts"]
    media = {
        entry["path"].removeprefix("media/"): entry["sha256"]
        for entry in manifest["files"]
        if entry["path"].startswith("media/")
    }
    assert media == source.media_files()


@pytest.mark.slow  # a demo copied, seeded, backed up and restored
def test_restore_refuses_an_installation_that_holds_data(round_trip):
    source, _target, archive, _restored = round_trip
    users_before = source.rows()["accounts_user"]
    result = source.manage("restore", str(archive), check=False)
    assert result.returncode != 0
    assert "already holds data" in result.stderr
    assert source.rows()["accounts_user"] == users_before


# --- Damaged and foreign archives, refused before anything is touched --------------------


def _manifest(**changes) -> dict:
    database_file = DATABASE_MEMBERS[connection.vendor]
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created_at": "2026-01-01T00:00:00+00:00",
        "database": {"vendor": connection.vendor, "file": database_file},
        "migrations": {"accounts": ["0001_initial"]},
        "files": [
            {"path": database_file, "sha256": hashlib.sha256(b"db").hexdigest(), "size": 2},
            {"path": "media/a.txt", "sha256": hashlib.sha256(b"a").hexdigest(), "size": 1},
        ],
    }
    manifest.update(changes)
    return manifest


def _archive(path: Path, manifest: dict | None, members: dict[str, bytes] | None = None) -> Path:
    if members is None:
        members = {DATABASE_MEMBERS[connection.vendor]: b"db", "media/a.txt": b"a"}
    with zipfile.ZipFile(path, "w") as zipped:
        for name, data in members.items():
            zipped.writestr(name, data)
        if manifest is not None:
            zipped.writestr(MANIFEST_NAME, json.dumps(manifest))
    return path


def test_well_formed_archive_passes_the_check(tmp_path):
    manifest = backup_check(source=_archive(tmp_path / "ok.zip", _manifest()))
    assert manifest["format"] == FORMAT_NAME


def test_file_that_is_not_an_archive_is_refused(tmp_path):
    path = tmp_path / "notes.zip"
    path.write_text("not a zip")
    with pytest.raises(BackupError, match="damaged or not a backup archive"):
        backup_check(source=path)


def test_truncated_archive_is_refused(tmp_path):
    path = _archive(tmp_path / "cut.zip", _manifest())
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(BackupError, match="damaged"):
        backup_check(source=path)


def test_file_whose_checksum_differs_is_refused(tmp_path):
    members = {DATABASE_MEMBERS[connection.vendor]: b"db", "media/a.txt": b"changed"}
    path = _archive(tmp_path / "changed.zip", _manifest(), members)
    with pytest.raises(BackupError, match=r"checksum of media/a\.txt does not match"):
        backup_check(source=path)


def test_missing_file_is_refused(tmp_path):
    members = {DATABASE_MEMBERS[connection.vendor]: b"db"}
    path = _archive(tmp_path / "missing.zip", _manifest(), members)
    with pytest.raises(BackupError, match=r"media/a\.txt is missing"):
        backup_check(source=path)


def test_archive_without_our_manifest_is_refused(tmp_path):
    with pytest.raises(BackupError, match="not a Pas à pas backup"):
        backup_check(source=_archive(tmp_path / "none.zip", None))
    with pytest.raises(BackupError, match="not a Pas à pas backup"):
        backup_check(source=_archive(tmp_path / "other.zip", _manifest(format="other")))


def test_newer_format_version_is_refused(tmp_path):
    path = _archive(tmp_path / "new.zip", _manifest(format_version=FORMAT_VERSION + 1))
    with pytest.raises(BackupError, match="newer than this installation understands"):
        backup_check(source=path)


def test_backup_of_another_database_vendor_is_refused(tmp_path):
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    manifest = _manifest(database={"vendor": other, "file": DATABASE_MEMBERS[other]})
    with pytest.raises(BackupError, match=f"holds a {other} database"):
        backup_check(source=_archive(tmp_path / "vendor.zip", manifest))


def test_path_escaping_the_media_folder_is_refused(tmp_path):
    manifest = _manifest()
    manifest["files"][1]["path"] = "media/../../evil.txt"
    members = {DATABASE_MEMBERS[connection.vendor]: b"db", "media/../../evil.txt": b"a"}
    with pytest.raises(BackupError, match="unsafe or unknown path"):
        backup_check(source=_archive(tmp_path / "evil.zip", manifest, members))


@pytest.mark.django_db
def test_restore_into_the_test_database_is_refused_because_it_holds_data(tmp_path):
    UserFactory()
    path = _archive(tmp_path / "ok.zip", _manifest())
    with pytest.raises(BackupError, match="already holds data"):
        backup_restore(source=path)
