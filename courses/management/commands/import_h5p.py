"""Import .h5p files into the H5P store: one line per file, non-zero exit if any is refused."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.h5p.models import H5PPackage
from courses.h5p.services import h5p_package_store
from courses.h5p.validation import H5PValidationError, h5p_file_sha256


class Command(BaseCommand):
    help = "Import .h5p packages (exported with their libraries). Safe to re-run."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")

    def handle(self, *args, files: list[Path], **options):
        refused = 0
        for path in files:
            try:
                with path.open("rb") as file:
                    present = H5PPackage.objects.filter(sha256=h5p_file_sha256(file)).exists()
                    package = h5p_package_store(file=file)
            except OSError as error:
                refused += 1
                self.stdout.write(f"{path}: refused: {error.strerror or error}")
            except H5PValidationError as error:
                refused += 1
                self.stdout.write(f"{path}: refused: {error.message}")
            else:
                state = "already present" if present else "stored"
                self.stdout.write(f"{path}: {state} (#{package.pk} “{package.title}”)")
        if refused:
            raise CommandError(f"{refused} of {len(files)} file(s) refused.")
