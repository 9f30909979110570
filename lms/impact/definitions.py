"""Every indicator, breakdown and export column, with its label, unit and definition, once.

The dashboard, the CSV and XLSX exports and docs/data-dictionary.md all read from here.
Bump DEFINITIONS_VERSION whenever a definition changes: frozen reports keep the version
they were computed with.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from lms.accounts.models import Gender, Region, Situation

DEFINITIONS_VERSION = "1.0"


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    definition: str
    unit: str = ""
    counts_people: bool = True


KEY_FIGURES = {
    item.key: item
    for item in [
        Indicator(
            "learners",
            _("Learners reached"),
            _(
                "Distinct learners who attended an in-person session or had a recorded activity at one of the associations during the period."
            ),
            _("learners"),
        ),
        Indicator(
            "new_learners",
            _("New learners"),
            _(
                "Learners reached whose first session or activity at these associations falls in the period."
            ),
            _("learners"),
        ),
        Indicator(
            "sessions",
            _("In-person sessions"),
            _("Training sessions logged by trainers, held during the period."),
            _("sessions"),
            counts_people=False,
        ),
        Indicator(
            "hours",
            _("Hours delivered"),
            _("Sum of the durations of the in-person sessions (end time minus start time)."),
            _("hours"),
            counts_people=False,
        ),
        Indicator(
            "learner_hours",
            _("Learner-hours"),
            _("For each session, its duration times the number of learners present, summed."),
            _("hours"),
            counts_people=False,
        ),
        Indicator(
            "modules_completed",
            _("Modules completed"),
            _(
                "Modules a learner of these associations finished during the period (one per learner and module)."
            ),
            _("modules"),
        ),
        Indicator(
            "learners_validated",
            _("Learners with a validated competence"),
            _("Learners for whom a trainer validated at least one step during the period."),
            _("learners"),
        ),
        Indicator(
            "returning_learners",
            _("Learners who came back"),
            _("Learners reached who were active on at least 3 distinct days during the period."),
            _("learners"),
        ),
        Indicator(
            "active_recently",
            _("Active in the last 30 days"),
            _("Learners active during the last 30 days of the period."),
            _("learners"),
        ),
    ]
}

AGE_LABELS = {
    "under_25": _("Under 25"),
    "25_44": _("25 to 44"),
    "45_64": _("45 to 64"),
    "65_plus": _("65 and over"),
    "unknown": _("Unknown"),
}
REGION_LABELS = {
    Region.BRUSSELS.value: Region.BRUSSELS.label,
    Region.WALLONIA.value: Region.WALLONIA.label,
    Region.FLANDERS.value: Region.FLANDERS.label,
    "unknown": _("Unknown"),
}
HELP_LABELS = {
    "alone": _("Alone"),
    "little_help": _("With a little help"),
    "lot_of_help": _("With a lot of help"),
}
OTHER_LABELS = {"unknown": _("Unknown"), "other": _("Other"), "none": _("None declared")}


@dataclass(frozen=True)
class Breakdown:
    key: str
    title: str
    sentence: str
    labels: dict

    def label(self, code: str) -> str:
        return str(self.labels.get(code) or OTHER_LABELS.get(code) or code.capitalize())


BREAKDOWNS = {
    item.key: item
    for item in [
        Breakdown(
            "age",
            _("Age"),
            _("Learners reached by age at the end of the period."),
            AGE_LABELS,
        ),
        Breakdown(
            "gender",
            _("Gender"),
            _("Learners reached by gender, as they declared it."),
            dict(Gender.choices),
        ),
        Breakdown(
            "situation",
            _("Situation"),
            _("Learners reached by situation; a learner may be in several, so rows do not add up."),
            dict(Situation.choices),
        ),
        Breakdown(
            "region",
            _("Region"),
            _("Learners reached by the region of the postcode where they live."),
            REGION_LABELS,
        ),
        Breakdown(
            "language",
            _("First language"),
            _("Learners reached by first language: the five most frequent, then the others."),
            {},
        ),
        Breakdown(
            "competence_area",
            _("Competences validated by area"),
            _("Learners for whom a trainer validated a step of a module in each DigComp area."),
            {},
        ),
        Breakdown(
            "validation_help",
            _("How competences were validated"),
            _("Learners validated at least once alone, with a little help or with a lot of help."),
            HELP_LABELS,
        ),
    ]
}

TREND_COLUMNS = {
    "month": _("Month"),
    "learners": KEY_FIGURES["learners"].label,
    "new_learners": KEY_FIGURES["new_learners"].label,
    "sessions": KEY_FIGURES["sessions"].label,
    "hours": KEY_FIGURES["hours"].label,
    "learner_hours": KEY_FIGURES["learner_hours"].label,
    "modules_completed": KEY_FIGURES["modules_completed"].label,
}

BREAKDOWN_COLUMNS = {
    "category": _("Category"),
    "learners": _("Learners"),
}

TARGET_COLUMNS = {
    "indicator": _("Indicator"),
    "value": _("Value"),
    "target": _("Target"),
    "percent": _("Percentage of target"),
}

SUPPRESSION_RULE = _(
    "A count of 1 to %(limit)s people is hidden and shown as “< %(minimum)s”. When a hidden count could be worked out from a total, other small counts (or the total) are hidden too."
)
