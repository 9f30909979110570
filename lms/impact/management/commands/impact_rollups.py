"""Bring the impact rollups up to date (or, with --all, rebuild them from every record)."""

import time

from django.core.management.base import BaseCommand

from lms.impact.rollups import rollups_refresh, rollups_reset


class Command(BaseCommand):
    help = "Bring the impact rollups up to date; --all rebuilds every learner's rows."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="rebuild every learner's rows")

    def handle(self, *args, **options):
        started = time.perf_counter()
        count = rollups_reset() if options["all"] else rollups_refresh()
        seconds = time.perf_counter() - started
        self.stdout.write(f"{count} learners rolled up in {seconds:.1f} s")
