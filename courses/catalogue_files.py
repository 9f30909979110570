"""The starter catalogue's files as the loader reads them (docs/catalogue-format.md).

A file is read as YAML; a translation file (`<name>.nl.yaml`) gives only the strings, put into
the French structure, and refused, naming the file and the place, when it misses a string or
adds one; a module's steps become StreamField data with ids stable across loads and
languages. Nothing here writes: courses/services.py `catalogue_load` writes what these give.
"""

from pathlib import Path

import yaml
from django.core.exceptions import ValidationError

from .blocks import StepBlock
from .h5p.models import H5PPackage
from .models import stable_uuid

# The texts a translation gives; everything else (keys, answers' order, which one is right,
# expected answers...) comes from the French file. `expected`, `choices`, `sender` and `service`
# may stay as they are (a password, an e-mail address or MyMinfin reads the same in every
# language).
TRANSLATED_KEYS = {
    "title",
    "intro",
    "goal",
    "text",
    "question",
    "feedback",
    "label",
    "help",
    "subject",
    "body",
    "explanation",
    "request",
    "trainer_label",
}
# `package`: an H5P step may name the same activity built in the translation's language
# (fixtures/h5p/src/<name>-nl/); without it the page plays the French activity.
OPTIONAL_TRANSLATED_KEYS = {"expected", "choices", "sender", "service", "package"}


class CatalogueError(Exception):
    """A fixture file that cannot be loaded; the message names the file and the problem."""


def yaml_read(path: Path):
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CatalogueError(f"{path}: {error}") from error


# --- Steps -------------------------------------------------------------------------------


def _step_raw(module_slug: str, step: dict, packages: dict[str, H5PPackage] | None = None) -> dict:
    """Turn one step of a module file into StreamField data with stable ids."""
    kind = step["type"]
    key = step["key"]

    def item_id(*parts):
        return str(stable_uuid("fixtures", module_slug, key, *parts))

    def items(values, prefix):
        return [
            {"type": "item", "value": value, "id": item_id(prefix, index)}
            for index, value in enumerate(values)
        ]

    if kind == "explanation":
        value = {"title": step["title"], "text": step["text"].strip(), "image": None, "audio": None}
    elif kind == "quiz":
        answers = [
            {
                "text": answer["text"],
                "image": None,
                "is_correct": bool(answer.get("correct")),
                "feedback": answer["feedback"],
            }
            for answer in step["answers"]
        ]
        value = {"question": step["question"], "image": None, "answers": items(answers, "answer")}
    elif kind == "practice_form":
        fields = [
            {
                "label": item["label"],
                "help": item.get("help") or "",
                "kind": item.get("kind", "text"),
                "required": bool(item.get("required", True)),
                "expected": str(item.get("expected") or ""),
                "choices": "|".join(item.get("choices") or []),
            }
            for item in step["fields"]
        ]
        value = {
            "title": step["title"],
            "intro": (step.get("intro") or "").strip(),
            "fields": items(fields, "field"),
        }
    elif kind == "practice_inbox":
        messages = [
            {
                "sender": item["sender"],
                "subject": item["subject"],
                "body": item["body"].strip(),
                "is_scam": bool(item.get("is_scam")),
                "explanation": item["explanation"],
            }
            for item in step["messages"]
        ]
        value = {
            "title": step["title"],
            "intro": (step.get("intro") or "").strip(),
            "messages": items(messages, "message"),
        }
    elif kind == "practice_itsme":
        value = {
            "title": step["title"],
            "intro": (step.get("intro") or "").strip(),
            "service": step["service"],
            "request": step["request"],
            "started_by_learner": bool(step.get("started_by_learner", True)),
            "explanation": step["explanation"],
        }
    elif kind == "practice_eid":
        value = {
            "title": step["title"],
            "intro": (step.get("intro") or "").strip(),
            "service": step["service"],
        }
    elif kind == "practice_login":
        value = {
            "title": step["title"],
            "intro": step["intro"].strip(),
            "service": step["service"],
            "right_method": step["right_method"],
            "explanation": step["explanation"],
        }
    elif kind == "checkpoint":
        # The learner's wording ("Montrez à votre formateur…") and the trainer's short label.
        value = {
            "text": step["text"].strip(),
            "trainer_label": (step.get("trainer_label") or "").strip(),
        }
    elif kind == "h5p":
        # h5p_packages_load has stored every package the module names.
        value = {"title": step.get("title") or "", "package": (packages or {})[step["package"]].pk}
    else:
        raise CatalogueError(f"module {module_slug}: unknown step type {kind!r}")
    return {"type": kind, "value": value, "id": str(stable_uuid("fixtures", module_slug, key))}


def steps_value(module_slug: str, steps: list[dict], packages: dict[str, H5PPackage] | None = None):
    keys = [step["key"] for step in steps]
    if len(keys) != len(set(keys)):
        raise CatalogueError(f"module {module_slug}: two steps share a key")
    block = StepBlock()
    value = block.to_python([_step_raw(module_slug, step, packages) for step in steps])
    try:
        block.clean(value)
    except ValidationError as error:
        raise CatalogueError(f"module {module_slug}: {error}") from error
    return value


# --- Translations ------------------------------------------------------------------------


def _is_records(value) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict)


def _translated(source: dict, translation, where: str) -> dict:
    """The French data with the translated strings put in; the structure stays French.

    Fails, naming the file and the place, on a missing string, an unknown key or a list
    whose length differs: a half-translated page would mix both languages.
    """
    if not isinstance(translation, dict):
        raise CatalogueError(f"{where}: expected the texts as a mapping")
    result = dict(source)
    for key, text in translation.items():
        value = source.get(key)
        if _is_records(value):
            if not isinstance(text, list) or len(text) != len(value):
                raise CatalogueError(f"{where} > {key}: give the {len(value)} items in order")
            result[key] = [
                _translated(item, item_text, f"{where} > {key} {index}")
                for index, (item, item_text) in enumerate(zip(value, text, strict=True), 1)
            ]
        elif key not in source or key not in TRANSLATED_KEYS | OPTIONAL_TRANSLATED_KEYS:
            raise CatalogueError(f"{where}: {key} cannot be translated")
        elif isinstance(value, list) and (not isinstance(text, list) or len(text) != len(value)):
            raise CatalogueError(f"{where} > {key}: give the {len(value)} items in order")
        elif text in (None, ""):
            raise CatalogueError(f"{where}: {key} is empty")
        else:
            result[key] = text
    missing = [
        key
        for key, value in source.items()
        if key not in translation and ((key in TRANSLATED_KEYS and value) or _is_records(value))
    ]
    if missing:
        raise CatalogueError(f"{where}: not translated: {', '.join(missing)}")
    return result


def module_translated(data: dict, path: Path) -> dict:
    """A module file with the strings of its translation file (steps keyed by their key)."""
    translation = yaml_read(path)
    if not isinstance(translation, dict) or not isinstance(translation.get("steps"), dict):
        raise CatalogueError(f"{path}: expected title, goal and steps (keyed by step key)")
    steps = translation["steps"]
    keys = [step["key"] for step in data["steps"]]
    if set(steps) != set(keys):
        raise CatalogueError(
            f"{path}: the steps are {keys}; missing {sorted(set(keys) - set(steps))}, "
            f"unknown {sorted(set(steps) - set(keys))}"
        )
    result = _translated(
        {key: value for key, value in data.items() if key != "steps"},
        {key: value for key, value in translation.items() if key != "steps"},
        str(path),
    )
    result["steps"] = [
        _translated(step, steps[step["key"]] or {}, f"{path} > {step['key']}")
        for step in data["steps"]
    ]
    return result


def list_translated(items: list[dict], path: Path) -> list[dict]:
    """themes.yaml or paths.yaml with the strings of its translation (a mapping by slug)."""
    translation = yaml_read(path) if path.exists() else None
    if not isinstance(translation, dict):
        raise CatalogueError(f"{path}: expected the texts of every entry, keyed by slug")
    slugs = [item["slug"] for item in items]
    if set(translation) != set(slugs):
        raise CatalogueError(
            f"{path}: missing {sorted(set(slugs) - set(translation))}, "
            f"unknown {sorted(set(translation) - set(slugs))}"
        )
    return [
        _translated(item, translation[item["slug"]], f"{path} > {item['slug']}") for item in items
    ]
