"""Build the deterministic demo: associations, people, sessions and progress."""

from datetime import date

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from lms.demo.builder import (
    DEMO_ACCOUNTS,
    DEMO_CARD_CODE,
    DEMO_CARD_PIN,
    DEMO_CARD_TOKEN,
    DEMO_PASSWORD,
    demo_build,
)


class Command(BaseCommand):
    help = "Build the demo data (idempotent). Refuses to run with DEBUG off unless --force."

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, default=200, help="number of learners")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--months", type=int, default=6, help="months of history")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=None,
            help="the day the demo treats as today (YYYY-MM-DD)",
        )
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")

    def handle(self, *args, learners, seed, months, today, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with the password 'demo'. DEBUG is off, so this "
                "looks like a real installation: add --force if you really want the demo here."
            )
        if learners < 1:
            raise CommandError("--learners must be at least 1.")
        call_command("load_catalogue", stdout=self.stdout)
        shown = set()

        def progress(done: int, total: int) -> None:
            tenth = done * 10 // total
            if learners >= 5000 and tenth not in shown:
                shown.add(tenth)
                self.stdout.write(f"  groups built: {done:,} of {total:,}")

        counts = demo_build(
            learners=learners, today=today, seed=seed, months=months, progress=progress
        )
        self.stdout.write(
            f"Demo ready: {counts['associations']} associations, {counts['learners']} learners, "
            f"{counts['sessions']} sessions, {counts['statements']} statements."
        )
        self.stdout.write(f"Demo accounts (password '{DEMO_PASSWORD}'):")
        for account in DEMO_ACCOUNTS:
            self.stdout.write(f"  {account.username:<14} {account.description}")
        self.stdout.write(
            f"Amina's sign-in card: open /c/{DEMO_CARD_TOKEN}/ (the QR code) or type "
            f"{DEMO_CARD_CODE} on a trusted device; secret code {DEMO_CARD_PIN}, "
            "or the pictures sun, cat, star."
        )
