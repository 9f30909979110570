"""A learner's data export: everything every app holds about the person, JSON-ready.

Each app gives its part (`export` in lms/personal_data.py); the printable version is
lms/privacy/export_sections.py.
"""

from django.utils import timezone

from lms.accounts.models import Association, User
from lms.accounts.services import audit_record
from lms.personal_data import personal_data_providers


def learner_data_export(learner: User) -> dict:
    """Everything held about the person, as a JSON-ready dict (no secrets, no other person's data).

    Card secrets, tokens and short codes are left out: they are keys, not facts about the
    person. Trainers who validated a step are not named: that is their data, not the learner's.
    """
    data = {"format": "pasapas-learner-export/1", "exported_at": timezone.now().isoformat()}
    for provider in personal_data_providers():
        data.update(provider.export(learner))
    return data


def learner_export_record(*, learner: User, by: User, association: Association | None, kind: str):
    """An export is a disclosure of personal data: it goes into the audit trail too."""
    audit_record(
        actor=by,
        action="learner_export",
        obj=learner,
        association=association,
        after={"format": kind},
    )
