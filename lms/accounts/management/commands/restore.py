"""Restore a backup made by `backup` into an empty installation."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lms.accounts.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore FILE (made by the backup command) into this installation. Refuses when the "
        "installation already holds data, unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the archive written by backup")
        parser.add_argument("--database", default="default", help="database alias")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the database and media folder even if they already hold data",
        )

    def handle(self, *args, file, database, force, **options):
        try:
            result = backup_restore(source=file, using=database, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {result.manifest['created_at']}: database and "
                f"{result.media_files} media files."
            )
        )
        if result.unapplied_migrations:
            self.stdout.write(
                self.style.WARNING(
                    f"The backup predates {len(result.unapplied_migrations)} migrations of this "
                    "version: run `python manage.py migrate` now."
                )
            )
