"""Reads shared by trainer views: groups, sessions, the group matrix, who is stuck or absent."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Max, OuterRef, Prefetch, QuerySet, Subquery
from wagtail.models import Locale

from courses.models import LearningPathPage, ModulePage, localize_pages
from lms.accounts.models import Membership, Role, SignInCard, User
from lms.accounts.names import person_name_comparable
from lms.learning.models import ActivityProgress, ModuleProgress, ProgressStatus, Statement, Verb
from lms.learning.progress import ModuleState, module_state_of

from .models import Attendance, Group, TrainingSession

ABSENT_AFTER = timedelta(weeks=3)
STUCK_AFTER_SESSIONS = 2


def learners_described(people: QuerySet[User], *, associations) -> QuerySet[User]:
    """Learners with what tells two of the same name apart, wherever a trainer picks one.

    Adds `learner_profile` (family name, year of birth), `card_code` (the active card's short
    code, or None), `associations_here` and `groups_here` (their associations and active
    groups among `associations`); `last_login` is the person's last sign-in. Three queries
    for any number of learners.
    """
    active_card = SignInCard.objects.filter(learner=OuterRef("pk"), is_active=True)
    return (
        people.select_related("learner_profile")
        .annotate(card_code=Subquery(active_card.values("short_code")[:1]))
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(
                    role=Role.LEARNER, is_active=True, association__in=associations
                )
                .select_related("association")
                .order_by("association__name"),
                to_attr="memberships_here",
            ),
            Prefetch(
                "learner_groups",
                queryset=Group.objects.filter(association__in=associations, is_active=True)
                .only("pk", "name", "association_id")
                .order_by("name"),
                to_attr="groups_here",
            ),
        )
    )


def homonyms_in(association, first_name: str) -> QuerySet[User]:
    """Learners of the association whose first name is `first_name`, case, accents and
    spaces ignored ("Andre" finds "André"), to flag a homonym before a record is created."""
    wanted = person_name_comparable(first_name)
    learners = User.objects.filter(
        memberships__association=association, memberships__role=Role.LEARNER
    ).distinct()
    # Compared in Python: SQLite has no accent-insensitive comparison. Two short columns.
    ids = [
        pk
        for pk, name in learners.values_list("pk", "display_name")
        if person_name_comparable(name) == wanted
    ]
    return User.objects.filter(pk__in=ids)


def modules_original() -> list[ModulePage]:
    """Live modules in the default language: a translation is the same activity, listed once."""
    return list(ModulePage.objects.live().filter(locale=Locale.get_default()))


def paths_original() -> list[LearningPathPage]:
    """Live learning paths in the default language, by title."""
    return list(
        LearningPathPage.objects.live().filter(locale=Locale.get_default()).order_by("title")
    )


def group_name_taken(association, name: str) -> bool:
    """Whether the association already has a group of this name (whatever its case)."""
    return Group.objects.filter(association=association, name__iexact=name).exists()


def groups_for_trainer(associations) -> QuerySet[Group]:
    return (
        Group.objects.filter(association__in=associations, is_active=True)
        .select_related("association", "learning_path")
        .annotate(learner_count=Count("learners", distinct=True))
        .order_by("association__name", "name")
    )


def recent_sessions(associations, *, limit: int = 10) -> QuerySet[TrainingSession]:
    return (
        TrainingSession.objects.filter(association__in=associations)
        .select_related("group", "association")
        .annotate(attendance_count=Count("attendances", distinct=True))
        .order_by("-held_on", "-starts_at")[:limit]
    )


def group_modules(group: Group | None) -> list[ModulePage]:
    if group is None or not group.learning_path_id:
        return []
    return [
        item.module.specific
        for item in group.learning_path.path_modules.select_related("module").order_by("sort_order")
    ]


def session_modules(session: TrainingSession) -> list[ModulePage]:
    """The modules a session covered, in the order of its group's path (as its form lists
    them), then the others in the catalogue's order."""
    modules = [module.specific for module in session.modules.all()]
    order = {module.pk: index for index, module in enumerate(group_modules(session.group))}
    return sorted(modules, key=lambda module: order.get(module.pk, len(order)))


@dataclass
class LearnerRow:
    learner: User
    cells: list = field(default_factory=list)  # one state per module
    last_seen_on: date | None = None
    is_absent: bool = False
    stuck_on: list = field(default_factory=list)  # module titles


def group_matrix(group: Group, *, today: date) -> tuple[list[ModulePage], list[LearnerRow]]:
    """Learners by modules with their state, who has not come lately, who is stuck.

    A constant number of queries whatever the size of the group or the path.
    """
    modules = group_modules(group)
    learners = list(
        learners_described(group.learners.all(), associations=[group.association]).order_by(
            "display_name", "pk"
        )
    )
    learner_ids = [learner.pk for learner in learners]
    iris = [module.iri for module in modules]
    progress = {
        (row.learner_id, row.module_iri): row
        for row in ModuleProgress.objects.filter(learner_id__in=learner_ids, module_iri__in=iris)
    }
    validated = set(
        ActivityProgress.objects.filter(
            learner_id__in=learner_ids, module_iri__in=iris, is_validated_by_trainer=True
        ).values_list("learner_id", "module_iri")
    )
    # Checkpoints the learners reached that no trainer has validated yet, per module.
    awaiting = {
        (row["learner_id"], row["module_iri"]): row["count"]
        for row in ActivityProgress.objects.filter(
            learner_id__in=learner_ids,
            module_iri__in=iris,
            status=ProgressStatus.AWAITING_TRAINER,
        )
        .order_by()
        .values("learner_id", "module_iri")
        .annotate(count=Count("pk"))
    }
    last_seen = dict(
        Attendance.objects.filter(learner_id__in=learner_ids, session__group=group)
        .values("learner_id")
        .annotate(last=Max("session__held_on"))
        .values_list("learner_id", "last")
    )
    scores = best_scores(learner_ids, iris)
    group_has_met = TrainingSession.objects.filter(group=group).exists()
    # The dates of each learner's latest sessions, to tell whether progress moved since.
    recent = {}
    for learner_id, held_on in (
        Attendance.objects.filter(learner_id__in=learner_ids, session__group=group)
        .order_by("learner_id", "-session__held_on")
        .values_list("learner_id", "session__held_on")
    ):
        recent.setdefault(learner_id, [])
        if len(recent[learner_id]) < STUCK_AFTER_SESSIONS:
            recent[learner_id].append(held_on)

    rows = []
    for learner in learners:
        row = LearnerRow(learner=learner, last_seen_on=last_seen.get(learner.pk))
        row.is_absent = group_has_met and (
            row.last_seen_on is None or today - row.last_seen_on > ABSENT_AFTER
        )
        sessions = recent.get(learner.pk, [])
        for module in modules:
            summary = progress.get((learner.pk, module.iri))
            validated_here = (learner.pk, module.iri) in validated
            if summary is None:
                state = ModuleState.NEW
            else:
                state = module_state_of(
                    completed_at=summary.completed_at,
                    steps_completed=summary.steps_completed,
                    steps_total=summary.steps_total,
                    steps_awaiting_trainer=awaiting.get((learner.pk, module.iri), 0),
                    validated=validated_here,
                )
                # Came to two sessions since this module last moved: stuck (not when
                # all that is left is the trainer's own validation).
                if (
                    state == ModuleState.STARTED
                    and len(sessions) == STUCK_AFTER_SESSIONS
                    and summary.updated_at.date() < min(sessions)
                ):
                    row.stuck_on.append(module.title)
            row.cells.append(
                {
                    "state": state,
                    "progress": summary,
                    "validated": validated_here,
                    "score": scores.get((learner.pk, module.iri, False)),
                    "self_reported_score": scores.get((learner.pk, module.iri, True)),
                }
            )
        rows.append(row)
    return modules, rows


def best_scores(learner_ids: list[int], module_iris: list[str]) -> dict[tuple, int]:
    """Best score in percent per learner, module and whether the browser computed it.

    One query for the whole group. Scores computed in the learner's browser (H5P) are
    self-reported and kept apart from those the server graded (quizzes, practice).
    """
    rows = (
        Statement.objects.filter(
            learner_id__in=learner_ids,
            module_iri__in=module_iris,
            verb__in=[Verb.ANSWERED, Verb.COMPLETED],
            score_scaled__isnull=False,
        )
        .order_by()
        .values("learner_id", "module_iri", "is_self_reported")
        .annotate(best=Max("score_scaled"))
    )
    return {
        (row["learner_id"], row["module_iri"], row["is_self_reported"]): round(100 * row["best"])
        for row in rows
    }


def checkpoints_of(modules: list[ModulePage]) -> list[tuple[ModulePage, object]]:
    return [
        (module, step)
        for module in modules
        for step in module.steps
        if step.block_type == "checkpoint"
    ]


@dataclass(frozen=True)
class TrainerCheckpoint:
    """A checkpoint as the trainer's session screen shows it, in the trainer's language.

    `module` is the page the session names (validations are recorded against it);
    `label` and `module_title` come from its translation in the interface's language when
    there is one, and `language` says which language they are written in.
    """

    module: ModulePage
    step_id: str
    label: str
    module_title: str
    language: str


def checkpoints_for_trainer(modules: list[ModulePage]) -> list[TrainerCheckpoint]:
    """The modules' checkpoints with their short trainer label ("Envoie une photo par
    e-mail"), not the learner's wording ("Montrez à votre formateur…"), which is shown only
    for a checkpoint written before trainer labels existed. One query for the translations."""
    localized = [page.specific for page in localize_pages(modules)]
    found = []
    for module, shown in zip(modules, localized, strict=True):
        shown_steps = {step.id: step for step in shown.steps}
        for step in module.steps:
            if step.block_type != "checkpoint":
                continue
            value = shown_steps.get(step.id, step).value
            found.append(
                TrainerCheckpoint(
                    module=module,
                    step_id=step.id,
                    label=value.get("trainer_label") or value["text"],
                    module_title=shown.title,
                    language=shown.locale.language_code,
                )
            )
    return found
