"""The personal data learning holds: statements, progress, learning paths followed.

Registered with lms/personal_data.py when the app is ready; lms/privacy reads it.
"""

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.personal_data import PersonalData, Processing, personal_data_provider

from .models import ActivityProgress, ModuleProgress, PathEnrollment, Statement, Verb


def _iso(value) -> str | None:
    return value.isoformat() if value else None


@personal_data_provider
class LearningData(PersonalData):
    processings = (
        Processing(
            key="learning",
            name=_("Learning records and progress"),
            purpose=_(
                "Keep what each learner did and learned, so their progress is never lost and "
                "follows them from one association to another."
            ),
            legal_basis=_("Consent of the learner (GDPR art. 6.1.a), recorded on their record."),
            people=_("Learners; the trainers who validate a step."),
            recipients=_(
                "The learner; trainers and coordinators of their associations. Funders see "
                "only anonymous figures."
            ),
            retention=_(
                "As long as the person is known. After erasure the statements stay under a "
                "pseudonym that nobody can link to the person, so published figures stay true."
            ),
            models={
                "learning.Statement": (
                    "learner",
                    "learner_pseudonym",
                    "response",
                    "score_raw",
                    "score_scaled",
                    "success",
                    "duration_seconds",
                    "association",
                    "instructor",
                    "timestamp",
                ),
                "learning.ActivityProgress": ("learner", "first_response", "best_score_scaled"),
                "learning.ModuleProgress": ("learner", "started_at", "completed_at"),
                "learning.PathEnrollment": ("learner", "path", "enrolled_at"),
            },
        ),
    )
    model_labels = {
        "learning.ActivityProgress": _("progress per step"),
        "learning.ModuleProgress": _("progress per module"),
        "learning.PathEnrollment": _("learning path followed"),
    }
    field_labels = {
        "learner_pseudonym": _("pseudonym"),
        "response": _("answer"),
        "score_raw": _("score"),
        "score_scaled": _("score out of 1"),
        "success": _("succeeded"),
        "duration_seconds": _("duration"),
        "instructor": _("trainer"),
        "first_response": _("first answer"),
        "best_score_scaled": _("best score"),
        "started_at": _("started on"),
        "completed_at": _("finished on"),
        "path": _("learning path"),
        "enrolled_at": _("since"),
    }

    def export(self, learner) -> dict:
        """Trainers who validated a step are not named: that is their data, not the learner's."""
        statements = list(
            Statement.objects.filter(learner=learner).select_related("module", "association")
        )
        return {
            "statements": [
                {
                    "id": str(s.id),
                    "verb": s.verb,
                    "activity": s.object_iri,
                    "module": s.module.title if s.module else s.module_iri,
                    "association": s.association.name if s.association else None,
                    "score_scaled": s.score_scaled,
                    "success": s.success,
                    "completion": s.completion,
                    "response": s.response,
                    "duration_seconds": s.duration_seconds,
                    "timestamp": _iso(s.timestamp),
                }
                for s in statements
            ],
            "validations": [
                {
                    "module": s.module.title if s.module else s.module_iri,
                    "activity": s.object_iri,
                    "help": (s.response or {}).get("help"),
                    "note": (s.response or {}).get("note", ""),
                    "on": _iso(timezone.localdate(s.timestamp)),
                }
                for s in statements
                if s.verb == Verb.VALIDATED
            ],
            "progress": [
                {
                    "module": p.module.title if p.module else p.module_iri,
                    "steps_completed": p.steps_completed,
                    "steps_total": p.steps_total,
                    "started_at": _iso(p.started_at),
                    "completed_at": _iso(p.completed_at),
                }
                for p in ModuleProgress.objects.filter(learner=learner).select_related("module")
            ],
            "learning_paths": [
                {"path": e.path.title, "enrolled_at": _iso(e.enrolled_at)}
                for e in PathEnrollment.objects.filter(learner=learner).select_related("path")
            ],
        }

    def erase(self, learner, *, by, now) -> dict[str, int]:
        """Statements stay under the learner's pseudonym and lose their link to the person,
        trainers' free-text notes in validations go (the help level the figures use stays),
        and so do per-step progress and learning-path choices. Module completions stay: the
        figures count them through the person's row, which erasure keeps."""
        for statement in Statement.objects.filter(
            learner=learner, verb=Verb.VALIDATED, response__isnull=False
        ):
            if isinstance(statement.response, dict) and statement.response.get("note"):
                statement.response = {**statement.response, "note": ""}
                statement.save(update_fields=["response"])
        statements_kept = Statement.objects.filter(learner=learner).update(learner=None)
        PathEnrollment.objects.filter(learner=learner).delete()
        ActivityProgress.objects.filter(learner=learner).delete()
        return {
            "statements_kept": statements_kept,
            "completions_kept": ModuleProgress.objects.filter(
                learner=learner, completed_at__isnull=False
            ).count(),
        }

    def active_since(self, since) -> list:
        return [Exists(Statement.objects.filter(learner=OuterRef("pk"), timestamp__gte=since))]
