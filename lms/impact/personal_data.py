"""The personal data impact holds: who froze a report, access keys, and the summaries of
learning records its figures are counted from (under the learners' pseudonyms).

Registered with lms/personal_data.py when the app is ready; lms/privacy reads it.
"""

from django.utils.translation import gettext_lazy as _

from lms.personal_data import PersonalData, Processing, personal_data_provider


@personal_data_provider
class ImpactData(PersonalData):
    processings = (
        Processing(
            key="impact",
            name=_("Reports to funders"),
            purpose=_("Give funders figures about a closed period that do not change afterwards."),
            legal_basis=_(
                "Legitimate interest of the association and its funders (GDPR art. 6.1.f)."
            ),
            people=_("The staff member who closed the report. The figures name nobody."),
            recipients=_("The programme's funders and the association's coordinators."),
            retention=_("As long as the programme's reports must be kept."),
            models={
                "impact.FrozenReport": ("created_by",),
                # Lets a funder's or coordinator's own tools read the anonymous figures.
                "impact.ApiToken": ("user", "name", "last_used_at"),
            },
        ),
    )
    # The summaries belong to the learning records' processing (lms/learning/personal_data.py).
    models_for = {
        "learning": {
            # Summaries of the statements for the impact figures, under the same pseudonym.
            "impact.LearnerMonth": ("pseudonym", "association", "month", "active_days"),
            "impact.LearnerAreaMonth": ("pseudonym", "association", "month", "area"),
            "impact.OutcomePair": ("pseudonym", "before", "after", "answered_on"),
            "impact.PathCompletion": ("pseudonym", "path_id", "completed_on"),
            "impact.ModuleValidation": ("pseudonym", "first_on", "help"),
            "impact.RollupStale": ("pseudonym",),
        }
    }
    # impact's working tables: named here for the register, as they read to a coordinator.
    model_labels = {
        "impact.LearnerMonth": _("learner active in a month"),
        "impact.LearnerAreaMonth": _("learner's area in a month"),
        "impact.OutcomePair": _("answers before and after"),
        "impact.PathCompletion": _("learning path finished"),
        "impact.ModuleValidation": _("module validated by a trainer"),
        "impact.RollupStale": _("figures to count again"),
    }
    field_labels = {
        "last_used_at": _("last used on"),
        "month": _("month"),
        "active_days": _("active days"),
        "area": _("area"),
        "answered_on": _("answered on"),
        "path_id": _("learning path"),
        "completed_on": _("finished on"),
        "first_on": _("first validated on"),
        "help": _("help needed"),
    }
