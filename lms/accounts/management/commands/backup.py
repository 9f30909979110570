"""Back up the database and the media folder into one archive, while the site runs."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lms.accounts.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Write a compressed backup (zip with manifest.json) of the database and the media "
        "folder to FILE. Safe while the site runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the archive to write, e.g. backup.zip")
        parser.add_argument("--database", default="default", help="database alias")

    def handle(self, *args, file, database, **options):
        try:
            manifest = backup_create(destination=file, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        media = sum(1 for entry in manifest["files"] if entry["path"].startswith("media/"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written to {file}: {manifest['database']['vendor']} database and "
                f"{media} media files."
            )
        )
