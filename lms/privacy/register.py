"""The register of processing activities (GDPR art. 30), gathered from every app's declaration.

Each app declares, next to its models, what personal data it holds, why and for how long
(its `personal_data.py`, see lms/personal_data.py); this module puts the declarations
together in one register, and a test checks that it names every model that holds some.
"""

from dataclasses import dataclass, replace

from django.apps import apps
from django.conf import settings

from lms.personal_data import Processing, personal_data_providers

from .retention import retention_days

# The order of the register's rows; an activity not listed here comes after them.
ORDER = ("accounts", "profile", "learning", "logbook", "consents", "audit", "impact", "editing")


def _processing_register() -> tuple[Processing, ...]:
    """Every app's processing activities, with the models other apps add to them."""
    apps.check_apps_ready()  # before then, no app has declared anything yet
    providers = personal_data_providers()
    added: dict[str, dict[str, tuple[str, ...]]] = {}
    for provider in providers:
        for key, models in provider.models_for.items():
            added.setdefault(key, {}).update(models)
    processings = [
        replace(processing, models={**processing.models, **added.get(processing.key, {})})
        for provider in providers
        for processing in provider.processings
    ]
    unknown = set(added) - {processing.key for processing in processings}
    if unknown:
        raise LookupError(f"Models added to processing activities nobody declares: {unknown}")
    position = {key: index for index, key in enumerate(ORDER)}
    return tuple(sorted(processings, key=lambda p: position.get(p.key, len(ORDER))))


def _merged(attribute: str) -> dict:
    merged = {}
    for provider in personal_data_providers():
        merged.update(getattr(provider, attribute))
    return merged


PROCESSING_REGISTER: tuple[Processing, ...] = _processing_register()
# Models whose field names look personal but describe organisations, not people.
NOT_PERSONAL: dict[str, str] = _merged("not_personal")
# Names for models and fields that do not name themselves (Django's default is the English
# attribute name), so the register reads in the person's language.
MODEL_LABELS = _merged("model_labels")
FIELD_LABELS = _merged("field_labels")


def _register_field_label(model, name: str) -> str:
    label = str(model._meta.get_field(name).verbose_name)
    # A field without its own verbose name shows its attribute name: use ours instead.
    if label == name.replace("_", " ") and name in FIELD_LABELS:
        return str(FIELD_LABELS[name])
    # In a list after a colon: lower case, as our own labels are ("Verrouillé par" in Wagtail).
    return label[:1].lower() + label[1:]


@dataclass(frozen=True)
class RegisterRow:
    key: str
    name: str
    purpose: str
    legal_basis: str
    people: str
    recipients: str
    retention: str
    models: list[tuple[str, str, list[str]]]  # (label, verbose name, field verbose names)


def register_rows() -> list[RegisterRow]:
    """The register as shown: texts in the current language, models' and fields' own names."""
    values = {"days": retention_days(), "min": settings.IMPACT_MIN_COUNT}

    def fill(text) -> str:
        return str(text) % values if "%(" in str(text) else str(text)

    rows = []
    for processing in PROCESSING_REGISTER:
        models = []
        for label, names in processing.models.items():
            try:
                model = apps.get_model(label)
            except LookupError:
                continue  # an optional app that is not installed here
            fields = [_register_field_label(model, name) for name in names]
            models.append((label, str(MODEL_LABELS.get(label, model._meta.verbose_name)), fields))
        rows.append(
            RegisterRow(
                key=processing.key,
                name=fill(processing.name),
                purpose=fill(processing.purpose),
                legal_basis=fill(processing.legal_basis),
                people=fill(processing.people),
                recipients=fill(processing.recipients),
                retention=fill(processing.retention),
                models=models,
            )
        )
    return rows
