"""What one demo learner does over the months: which sessions they come to, the steps they
work through there and at home, and the statements that records, as the site would store them.

Each group's learners share a random generator seeded with the group (who comes, what they
answer); the seconds spent on each step come from one of their own.
"""

import random
import uuid
from collections import namedtuple
from datetime import date, datetime, time, timedelta

from lms.learning.models import Verb

from .context import Context, DemoModule, DemoSession, DemoStep, Person, aware

# The outcome question at the start and at the end of a module ("Pouvez-vous le faire seul·e ?").
LEVELS = ["not_yet", "with_help", "alone"]
START_LEVEL_WEIGHTS = [50, 35, 15]
# What a learner answers at the end, given their answer at the start: most say they improved.
END_LEVEL_WEIGHTS = {"not_yet": [15, 45, 40], "with_help": [0, 35, 65], "alone": [0, 0, 100]}
H5P_SCORE_MAX = 4
DEMO_NAMESPACE = uuid.UUID("6f1d3b0e-5a52-4c1e-9a43-1d2c0de5a9e1")


# A statement as the generator makes it, with the attributes progress reads; the field
# names are the Statement model's attnames, in the order the rows are written.
DemoStatement = namedtuple(
    "DemoStatement",
    [
        "id",
        "learner_id",
        "learner_pseudonym",
        "verb",
        "object_iri",
        "object_kind",
        "module_iri",
        "module_id",
        "score_raw",
        "score_min",
        "score_max",
        "score_scaled",
        "success",
        "completion",
        "response",
        "is_self_reported",
        "association_id",
        "session_uuid",
        "instructor_id",
        "timestamp",
        "stored_at",
        "duration_seconds",
    ],
    defaults=[None] * 22,
)


class LearnerPlay:
    """One learner over the months: which sessions they come to and what they do there."""

    def __init__(
        self, rng, person: Person, association_id, lead_id, modules, following, context: Context
    ):
        self.rng = rng
        # The seconds spent on each step come from a generator of their own: the rest of
        # the demo (who comes, what they answer) stays what it was before durations.
        self.time_rng = random.Random(f"demo/{context.seed}/time/{person.username}")
        self.person = person
        self.association_id = association_id
        self.lead_id = lead_id
        own = {module.pk for module in modules}
        self.following = following
        self.following_modules = (
            [m for m in context.modules_by_path.get(following.pk, []) if m.pk not in own]
            if following
            else []
        )
        self.modules = modules + self.following_modules
        self.enrollments: list[tuple] = []
        self.today = context.today
        self.statements: list[DemoStatement] = []
        # Most stay; some stop coming after a few weeks (Amina, the demo account, stays).
        stays = person.username == "apprenant" or rng.random() < 0.45
        self.leaves_on = None if stays else person.joined_on + timedelta(days=rng.randint(14, 100))
        self.presence = rng.uniform(0.6, 0.95)
        self.pace = rng.randint(2, 4)
        self.works_at_home = rng.random() < 0.3
        self.position: dict[int, int] = {}  # module pk -> next step index
        self.level: dict[int, str] = {}  # module pk -> answer at the start
        self.done: set[int] = set()

    def attends(self, day: date) -> bool:
        if day < self.person.joined_on or (self.leaves_on and day > self.leaves_on):
            return False
        return self.rng.random() < self.presence

    def session_work(self, session: DemoSession, module: DemoModule | None) -> None:
        if module is None:
            return
        moment = session.starts + timedelta(minutes=self.rng.randint(5, 15))
        budget = self.rng.randint(max(1, self.pace - 1), self.pace + 2)
        module = self._next_module(module)
        moment = self._work(module, budget, moment, session=session)
        if self.works_at_home and self.rng.random() < 0.5:
            day = session.held_on + timedelta(days=2)
            if day < self.today:
                evening = aware(day, time(18, 0)) + timedelta(minutes=self.rng.randint(0, 180))
                self._work(self._next_module(module), self.rng.randint(1, 3), evening)

    def _next_module(self, module: DemoModule | None) -> DemoModule | None:
        """The group's module, or once it is done, the first unfinished one of the paths."""
        if module is not None and module.pk not in self.done:
            return module
        return next((m for m in self.modules if m.pk not in self.done), None)

    def _work(self, module, budget: int, moment: datetime, *, session=None) -> datetime:
        while module is not None and budget > 0:
            if module.pk not in self.level:
                if module in self.following_modules and not self.enrollments:
                    self.enrollments.append((self.person.pk, self.following.pk, moment))
                level = self.rng.choices(LEVELS, weights=START_LEVEL_WEIGHTS)[0]
                self.level[module.pk] = level
                self._assess(module, "start", level, moment, session)
                moment += timedelta(minutes=1)
            position = self.position.get(module.pk, 0)
            while budget > 0 and position < len(module.steps):
                moment = self._step(module, module.steps[position], moment, session)
                position += 1
                budget -= 1
            self.position[module.pk] = position
            if position >= len(module.steps):
                self.done.add(module.pk)
                weights = END_LEVEL_WEIGHTS[self.level[module.pk]]
                self._assess(module, "end", self.rng.choices(LEVELS, weights)[0], moment, session)
                moment += timedelta(minutes=1)
                module = self._next_module(None)
        return moment

    def _add(self, module, step_iri, kind, verb, moment, session, **result) -> None:
        self.statements.append(
            DemoStatement(
                id=uuid.uuid5(DEMO_NAMESPACE, f"{self.person.pseudonym}/{len(self.statements)}"),
                learner_id=self.person.pk,
                learner_pseudonym=self.person.pseudonym,
                verb=verb,
                object_iri=step_iri,
                object_kind=kind,
                module_iri=module.iri,
                module_id=module.pk,
                association_id=self.association_id,
                session_uuid=session.uuid if session else None,
                timestamp=moment,
                stored_at=moment,
                **{"is_self_reported": False, **result},
            )
        )

    def _seconds(self, *, again: bool = False) -> int:
        """Seconds on a step, as the player measures them: most steps take a minute or
        less, a few up to three (a skewed spread); trying again after feedback is quicker."""
        if again:
            return round(self.time_rng.triangular(10, 60, 15))
        return round(self.time_rng.triangular(20, 180, 35))

    def _assess(self, module, phase: str, level: str, moment, session) -> None:
        self._add(
            module,
            module.iri,
            "module",
            Verb.ASSESSED,
            moment,
            session,
            response={"phase": phase, "level": level},
            is_self_reported=True,
        )

    def _step(self, module, step: DemoStep, moment: datetime, session) -> datetime:
        """The statements of one step; returns the time after it."""
        rng, add, kind = self.rng, self._add, step.kind
        if kind == "quiz":
            right_first = rng.random() < 0.6
            add(
                module,
                step.iri,
                kind,
                Verb.ANSWERED,
                moment,
                session,
                success=right_first,
                score_raw=int(right_first),
                score_max=1,
                score_min=0,
                score_scaled=float(right_first),
                response={"answer": 0 if right_first else 1},
                duration_seconds=self._seconds(),
            )
            if not right_first:
                moment += timedelta(minutes=1)
                add(
                    module,
                    step.iri,
                    kind,
                    Verb.ANSWERED,
                    moment,
                    session,
                    success=True,
                    score_raw=1,
                    score_max=1,
                    score_min=0,
                    score_scaled=1.0,
                    response={"answer": 0},
                    duration_seconds=self._seconds(again=True),
                )
        elif kind.startswith("practice_"):
            add(
                module,
                step.iri,
                kind,
                Verb.ANSWERED,
                moment,
                session,
                success=True,
                completion=True,
                score_scaled=round(rng.uniform(0.6, 1), 2),
                duration_seconds=self._seconds(),
            )
        elif kind == "h5p":
            # As learning.submissions.h5p_result records it: a score computed in the browser.
            raw = rng.choices(range(H5P_SCORE_MAX + 1), weights=[5, 10, 20, 30, 35])[0]
            attempts = [raw]
            if raw < H5P_SCORE_MAX - 1 and rng.random() < 0.5:
                attempts.append(rng.randint(raw + 1, H5P_SCORE_MAX))
            for attempt, score in enumerate(attempts):
                add(
                    module,
                    step.iri,
                    kind,
                    Verb.ANSWERED,
                    moment + timedelta(minutes=attempt),
                    session,
                    score_raw=float(score),
                    score_min=0.0,
                    score_max=float(H5P_SCORE_MAX),
                    score_scaled=round(score / H5P_SCORE_MAX, 2),
                    success=score >= H5P_SCORE_MAX - 1,
                    completion=True,
                    is_self_reported=True,
                    duration_seconds=self._seconds(again=attempt > 0),
                )
            moment += timedelta(minutes=len(attempts) - 1)
        elif kind == "checkpoint":
            add(
                module,
                step.iri,
                kind,
                Verb.COMPLETED,
                moment,
                session,
                duration_seconds=self._seconds(),
            )
            # A trainer validates what they saw: only in a session.
            if session is not None and rng.random() < 0.7:
                moment += timedelta(minutes=2)
                add(
                    module,
                    step.iri,
                    kind,
                    Verb.VALIDATED,
                    moment,
                    session,
                    instructor_id=self.lead_id,
                    success=True,
                    response={"help": rng.choice(["alone", "little_help", "lot_of_help"])},
                )
        else:
            add(
                module,
                step.iri,
                kind,
                Verb.COMPLETED,
                moment,
                session,
                duration_seconds=self._seconds(),
            )
        return moment + timedelta(minutes=rng.randint(2, 5))
