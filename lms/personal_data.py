"""What each app declares about the personal data it holds: the contract with lms/privacy.

In the spirit of Moodle's privacy providers: every app that stores something about people
has a `personal_data.py` with one `PersonalData` subclass, registered with
`@personal_data_provider` when the app is ready (its `AppConfig.ready` imports the module).
lms/privacy reads them all to export a learner's data, erase it, find inactive learners and
write the register of processing activities, so that it never has to know an app's models
and no app imports lms/privacy. This module sits in the shared layer at the bottom so that
any app, the catalogue included, may declare its data here.

A provider says:
- `processings`: the processing activities (GDPR art. 30) it is responsible for, and
  `models_for`: the models it adds to another app's processing (`{key: {label: fields}}`);
- `model_labels`, `field_labels`: names for models and fields that do not name themselves;
  `not_personal`: models whose fields look personal but describe organisations;
- `export(learner)`: its part of the learner's export, a dict of JSON-ready values;
- `erase(learner, by=, now=)`: removes what identifies the learner, inside the erasure's
  transaction, and returns what it kept anonymous (`{"statements_kept": 12}`);
- `active_since(since)`: conditions on a learner (filters on `User`, built on `OuterRef("pk")`)
  that are true when the learner did something here since `since`: retention keeps them.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.functional import Promise


@dataclass(frozen=True)
class Processing:
    """One processing activity (GDPR art. 30): why, on what basis, who sees it, how long."""

    key: str
    name: Promise
    purpose: Promise
    legal_basis: Promise
    people: Promise
    recipients: Promise
    retention: Promise
    # model label -> the fields of that model that hold personal data
    models: dict[str, tuple[str, ...]]


class PersonalData:
    """What one app holds about people; every part is optional."""

    processings: tuple[Processing, ...] = ()
    models_for: dict[str, dict[str, tuple[str, ...]]] = {}
    model_labels: dict[str, Promise] = {}
    field_labels: dict[str, Promise] = {}
    not_personal: dict[str, str] = {}

    def export(self, learner) -> dict:
        return {}

    def erase(self, learner, *, by, now: datetime) -> dict[str, int]:
        return {}

    def active_since(self, since: datetime) -> list:
        return []


_PROVIDERS: list[PersonalData] = []


def personal_data_provider(cls: type[PersonalData]) -> type[PersonalData]:
    """Register an app's provider (once, however often its module is imported)."""
    if not any(type(provider) is cls for provider in _PROVIDERS):
        _PROVIDERS.append(cls())
    return cls


def personal_data_providers() -> list[PersonalData]:
    """Every registered provider, in the order the apps became ready (INSTALLED_APPS)."""
    return list(_PROVIDERS)
