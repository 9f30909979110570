"""What every part of the demo build shares: the period and seed, the catalogue as read once,
and the small records the parts hand each other (people, sessions)."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone
from wagtail.models import Locale

from courses.models import LearningPathPage, ModulePage
from lms.accounts.models import User


@dataclass(frozen=True)
class DemoStep:
    id: str
    iri: str
    kind: str


@dataclass(frozen=True)
class DemoModule:
    """What the generator needs of a module page, read once."""

    pk: int
    iri: str
    steps: tuple[DemoStep, ...]
    steps_total: int  # as progress_rebuild counts them: the default locale's page


@dataclass(frozen=True)
class Person:
    pk: int
    username: str
    pseudonym: uuid.UUID
    joined_on: date


@dataclass
class Context:
    start: date
    today: date
    seed: int
    paths: list[LearningPathPage]
    modules_by_path: dict[int, list[DemoModule]]
    trainers_for: dict[int, list[User]]


def aware(day: date, moment: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, moment))


def demo_modules(paths: list[LearningPathPage]) -> dict[int, list[DemoModule]]:
    steps_total = {
        page.iri: len(page.steps)
        for page in ModulePage.objects.filter(locale=Locale.get_default()).only(
            "id", "steps", "translation_key"
        )
    }
    modules_by_path = {}
    for path in paths:
        modules = []
        for item in path.path_modules.select_related("module"):
            module = item.module.specific
            steps = tuple(
                DemoStep(step.id, module.step_iri(step.id), step.block_type)
                for step in module.steps
            )
            modules.append(
                DemoModule(module.pk, module.iri, steps, steps_total.get(module.iri, len(steps)))
            )
        modules_by_path[path.pk] = modules
    return modules_by_path


@dataclass(frozen=True)
class DemoSession:
    pk: int
    uuid: uuid.UUID
    held_on: date
    starts: datetime
