"""Every indicator, breakdown and export column, with its label, unit and definition, once.

The dashboard, the CSV and XLSX exports and docs/data-dictionary.md all read from here.
Bump DEFINITIONS_VERSION whenever a definition changes: frozen reports keep the version
they were computed with.
"""

from dataclasses import dataclass

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from lms.accounts.models import Gender, Region, Situation

DEFINITIONS_VERSION = "1.4"


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    definition: str
    unit: str = ""
    counts_people: bool = True
    # Figures computed over the people these count: hidden whenever one of them is hidden,
    # so an average or a share never speaks about fewer than IMPACT_MIN_COUNT people.
    hidden_with: tuple[str, ...] = ()
    group: str = "main"


@dataclass(frozen=True)
class FigureGroup:
    key: str
    title: str
    sentence: str


FIGURE_GROUPS = {
    item.key: item
    for item in [
        FigureGroup("main", _("Key figures"), _("The main figures of the period.")),
        FigureGroup(
            "outcome",
            _("What learners say they can do"),
            _(
                "At the start and at the end of a module, learners say if they can do it: not yet, with help, or alone."
            ),
        ),
        FigureGroup(
            "scores",
            _("Results of exercises"),
            _(
                "Quizzes and practice exercises are checked by the server. Interactive activities (H5P) compute their score in the learner's browser: these scores are self-reported. A trainer's validation stays the stronger evidence."
            ),
        ),
    ]
}


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
            "modules_completed_online",
            _("Modules completed online, without a trainer"),
            _(
                "Of the modules completed: those of which no trainer had validated a step in person by the end of the period. The learner did them alone, online."
            ),
            _("modules"),
        ),
        Indicator(
            "modules_validated",
            _("Modules validated by a trainer"),
            _(
                "Of the modules completed: those of which a trainer had validated a step in person (“Show your trainer”) by the end of the period, at any association. The two figures add up to the modules completed."
            ),
            _("modules"),
        ),
        Indicator(
            "modules_awaiting_trainer",
            _("Modules done online, waiting for a trainer"),
            _(
                "Modules of which the learner did every step online, but a “Show your trainer” step no trainer has validated yet: not counted as completed. As it stands today, for the modules last worked on during the period."
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
        Indicator(
            "online_hours",
            _("Online learning time"),
            _(
                "Sum of the time learners spent on the steps of online modules at these associations during the period, as the module player measures it: the time a step is on screen with the page in front, leaving out any pause of more than 5 minutes without a touch, a key or a scroll. Time on a step after its last answer, and activities recorded without a duration, add nothing: the figure is a minimum. Time online during an in-person session is also part of learner-hours."
            ),
            _("hours"),
            counts_people=False,
            hidden_with=("online_learners",),
        ),
        Indicator(
            "online_learners",
            _("Learners with recorded online time"),
            _("Learners with at least one online activity with a recorded duration."),
            _("learners"),
        ),
        Indicator(
            "paths_completed",
            _("Learning paths completed"),
            _(
                "Learning paths a learner follows of which they completed every module, the last one during the period (one per learner and path)."
            ),
            _("learning paths"),
        ),
        Indicator(
            "outcome_learners",
            _("Learners who answered at the start and at the end"),
            _(
                "Learners who said what they could do at the start of a module and, during the period, again at its end."
            ),
            _("learners"),
            group="outcome",
        ),
        Indicator(
            "outcome_answered",
            _("Modules with a start and an end answer"),
            _(
                "Learner and module pairs with an answer at the start and one at the end, the end answer given during the period (their first start answer, wherever given, and their latest end answer after it)."
            ),
            _("learners × modules"),
            hidden_with=("outcome_learners",),
            group="outcome",
        ),
        Indicator(
            "outcome_alone",
            _("Now able to do it alone"),
            _(
                "Of those pairs: the learner answered “not yet” or “with help” at the start and “alone” at the end."
            ),
            _("learners × modules"),
            hidden_with=("outcome_learners",),
            group="outcome",
        ),
        Indicator(
            "outcome_alone_share",
            _("Share now able to do it alone"),
            _("Now able to do it alone, divided by modules with a start and an end answer."),
            "%",
            counts_people=False,
            hidden_with=("outcome_learners", "outcome_answered", "outcome_alone"),
            group="outcome",
        ),
        Indicator(
            "quiz_learners",
            _("Learners who answered quizzes and exercises"),
            _(
                "Learners with at least one answer to a quiz or a practice exercise, graded by the server, during the period."
            ),
            _("learners"),
            group="scores",
        ),
        Indicator(
            "quiz_answers",
            _("Answers to quizzes and exercises"),
            _("Answers to quizzes and practice exercises graded by the server (every try)."),
            _("answers"),
            counts_people=False,
            hidden_with=("quiz_learners",),
            group="scores",
        ),
        Indicator(
            "quiz_average_score",
            _("Average score of quizzes and exercises (checked by the server)"),
            _(
                "Average of the scores of those answers, in percent. Hidden when fewer learners than the threshold answered."
            ),
            "%",
            counts_people=False,
            hidden_with=("quiz_learners",),
            group="scores",
        ),
        Indicator(
            "h5p_learners",
            _("Learners who answered interactive activities (H5P)"),
            _("Learners with at least one scored result of an H5P activity during the period."),
            _("learners"),
            group="scores",
        ),
        Indicator(
            "h5p_answers",
            _("Results of interactive activities (H5P)"),
            _("Scored results sent by H5P activities (every try)."),
            _("answers"),
            counts_people=False,
            hidden_with=("h5p_learners",),
            group="scores",
        ),
        Indicator(
            "h5p_average_score",
            _(
                "Average score of interactive activities (H5P): self-reported (computed in the learner's browser)"
            ),
            _(
                "Average of the scores of those results, in percent. The score is computed in the learner's browser, not checked by the server: it is self-reported. Hidden when fewer learners than the threshold answered."
            ),
            "%",
            counts_people=False,
            hidden_with=("h5p_learners",),
            group="scores",
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
COMPLETION_LABELS = {
    "online": _("Online, no trainer"),
    "alone": _("Validated: alone"),
    "little_help": _("Validated: with a little help"),
    "lot_of_help": _("Validated: with a lot of help"),
    "unknown": _("Validated: help not recorded"),
}
HELP_LABELS = {
    "alone": _("Alone"),
    "little_help": _("With a little help"),
    "lot_of_help": _("With a lot of help"),
}
OUTCOME_LEVEL_LABELS = {
    "not_yet": _("Not yet"),
    "with_help": _("With help"),
    "alone": _("Alone"),
}
OUTCOME_SHIFT_LABELS = {
    f"{before}>{after}": format_lazy("{} → {}", before_label, after_label)
    for before, before_label in OUTCOME_LEVEL_LABELS.items()
    for after, after_label in OUTCOME_LEVEL_LABELS.items()
}
OTHER_LABELS = {"unknown": _("Unknown"), "other": _("Other"), "none": _("None declared")}


@dataclass(frozen=True)
class Breakdown:
    key: str
    title: str
    sentence: str
    labels: dict
    # What a cell counts, when it is not simply learners (column header and unit).
    count_label: str | None = None
    unit: str | None = None

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
            "module_completion",
            _("How the modules were completed"),
            _(
                "Modules completed during the period: done online with no trainer, or validated in person by a trainer, with the help the learner needed as last recorded."
            ),
            COMPLETION_LABELS,
            count_label=_("Modules"),
            unit=_("modules"),
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
        Breakdown(
            "outcome_shift",
            _("From the start to the end of a module"),
            _(
                "Learner and module pairs by what the learner said at the start → at the end: not yet, with help, alone."
            ),
            OUTCOME_SHIFT_LABELS,
            count_label=_("Learners × modules"),
            unit=_("learners × modules"),
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
    "A count of 1 to %(limit)s people is hidden and shown as “fewer than %(minimum)s”. When a hidden count could be worked out from a total or from another figure, those figures (or the total) are hidden too and shown as “masked”, whatever their size."
)
