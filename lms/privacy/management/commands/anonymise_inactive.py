"""Anonymise learners inactive for longer than LEARNER_RETENTION_DAYS (run it daily)."""

from django.core.management.base import BaseCommand, CommandError

from lms.privacy.erasure import ErasureRefused, learner_erase
from lms.privacy.retention import learners_inactive, retention_days


class Command(BaseCommand):
    help = (
        "Erase the personal data of learners with no statement, attendance or sign-in for "
        "longer than LEARNER_RETENTION_DAYS; their anonymous learning records stay. "
        "Safe to run again: erased learners are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count who would be anonymised, change nothing"
        )
        parser.add_argument(
            "--days", type=int, default=None, help="override LEARNER_RETENTION_DAYS for this run"
        )

    def handle(self, *args, dry_run, days, **options):
        days = retention_days() if days is None else days
        if days < 1:
            raise CommandError("The retention period must be at least one day.")
        learners = list(learners_inactive(days=days))
        if dry_run:
            self.stdout.write(
                f"{len(learners)} learners inactive for more than {days} days would be "
                "anonymised (dry run: nothing changed)."
            )
            return
        erased = skipped = 0
        for learner in learners:
            try:
                # One transaction per person: an error stops at one learner, not at all.
                result = learner_erase(learner=learner, by=None, reason="retention")
            except ErasureRefused:
                skipped += 1
                continue
            erased += 0 if result.already_erased else 1
        self.stdout.write(
            self.style.SUCCESS(
                f"{erased} learners inactive for more than {days} days anonymised"
                + (f", {skipped} skipped (they also work here)." if skipped else ".")
            )
        )
