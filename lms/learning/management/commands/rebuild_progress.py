"""Recompute every progress row from the append-only statements."""

from django.core.management.base import BaseCommand

from lms.learning.progress import progress_rebuild


class Command(BaseCommand):
    help = "Rebuild learners' progress from their statements (all learners, or --learner ID...)."

    def add_arguments(self, parser):
        parser.add_argument("--learner", type=int, action="append", dest="learners")

    def handle(self, *args, learners, **options):
        count = progress_rebuild(learner_ids=learners)
        self.stdout.write(f"Progress rebuilt from {count} statements.")
