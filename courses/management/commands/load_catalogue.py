"""Load the competence frameworks and the starter catalogue from fixtures/ (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from courses.services import CatalogueError, catalogue_load, competences_load


class Command(BaseCommand):
    help = "Load competence frameworks and the starter catalogue from fixtures/. Safe to re-run."

    def handle(self, *args, **options):
        try:
            competences = competences_load()
            catalogue = catalogue_load()
        except CatalogueError as error:
            raise CommandError(str(error)) from error
        for report, what in ((competences, "competences"), (catalogue, "catalogue")):
            self.stdout.write(
                f"{what}: {len(report.created)} created, {len(report.updated)} updated, "
                f"{report.unchanged} unchanged"
            )
