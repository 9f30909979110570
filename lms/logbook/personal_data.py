"""The personal data the logbook holds: groups, training sessions, attendance, and the files
waiting for an import's confirmation.

Registered with lms/personal_data.py when the app is ready; lms/privacy reads it.
"""

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.accounts.personal_data import RETENTION_LEARNERS
from lms.personal_data import PersonalData, Processing, personal_data_provider

from .models import Attendance, Group


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@personal_data_provider
class LogbookData(PersonalData):
    processings = (
        Processing(
            key="logbook",
            name=_("Trainer logbook: groups, sessions, attendance"),
            purpose=_("Organise the in-person sessions and know who came."),
            legal_basis=_("Legitimate interest of the association (GDPR art. 6.1.f)."),
            people=_("Learners and trainers."),
            recipients=_("Trainers and coordinators of the association."),
            retention=RETENTION_LEARNERS,
            models={
                "logbook.Group": ("trainers", "learners"),
                "logbook.TrainingSession": ("trainers", "note"),
                "logbook.Attendance": ("learner", "session"),
            },
        ),
        Processing(
            key="imports",
            name=_("Files of learners, groups or sessions waiting for an import's confirmation"),
            purpose=_("Let the trainer check a file before anything is imported."),
            legal_basis=_("Legitimate interest of the association (GDPR art. 6.1.f)."),
            people=_("Learners and trainers named in the file; the trainer who sent it."),
            recipients=_("The trainer who sent the file."),
            retention=_("One hour, then deleted."),
            models={"logbook.PendingImport": ("user", "data", "refused")},
        ),
    )
    field_labels = {"session": _("training session")}

    def export(self, learner) -> dict:
        return {
            "groups": [
                {"name": g.name, "association": g.association.name}
                for g in Group.objects.filter(learners=learner).select_related("association")
            ],
            "attendances": [
                {
                    "date": _iso(a.session.held_on),
                    "starts_at": _iso(a.session.starts_at),
                    "ends_at": _iso(a.session.ends_at),
                    "place": a.session.place,
                    "association": a.session.association.name,
                    "group": a.session.group.name if a.session.group else None,
                }
                for a in Attendance.objects.filter(learner=learner)
                .select_related("session__association", "session__group")
                .order_by("session__held_on", "session__starts_at")
            ],
        }

    def erase(self, learner, *, by, now) -> dict[str, int]:
        """The learner leaves their groups; attendances stay (the sessions' learner-hours
        count them), anonymous once the person's row is."""
        Group.learners.through.objects.filter(user=learner).delete()
        return {"attendances_kept": Attendance.objects.filter(learner=learner).count()}

    def active_since(self, since) -> list:
        return [
            Exists(
                Attendance.objects.filter(
                    learner=OuterRef("pk"), session__held_on__gte=timezone.localdate(since)
                )
            )
        ]
