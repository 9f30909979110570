"""Print who may open which URL (lms/accounts/access_matrix.py) as a Markdown table."""

from django.core.management.base import BaseCommand

from lms.accounts.access_matrix import as_markdown


class Command(BaseCommand):
    help = "Print the access-control matrix (every URL against every role) as Markdown."

    def handle(self, *args, **options):
        self.stdout.write(as_markdown())
