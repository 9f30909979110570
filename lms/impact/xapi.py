"""An association's learning statements as xAPI 1.0.3 statements, streamed as one JSON array.

Actors are pseudonymous: the learner's pseudonym as an xAPI account, never a name, an
e-mail address or a database id. Rows are read with `.values()` and `iterator()`, so an
export of millions of statements never sits in memory.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.utils import translation

from lms.learning.models import Statement, Verb

from .selectors import day_bounds

XAPI_VERSION = "1.0.3"
CHUNK_SIZE = 2000
# Statements per piece of the response: big enough to compress well, small enough to stream.
STATEMENTS_PER_PIECE = 200
MODULE_TYPE = "http://adlnet.gov/expapi/activities/module"
VERB_LANGUAGES = {"fr-BE": "fr-be", "en-US": "en"}
FIELDS = (
    "id",
    "learner_pseudonym",
    "verb",
    "object_iri",
    "object_kind",
    "module_iri",
    "score_raw",
    "score_min",
    "score_max",
    "score_scaled",
    "success",
    "completion",
    "response",
    "duration_seconds",
    "is_self_reported",
    "association_id",
    "session_uuid",
    "instructor__pseudonym",
    "timestamp",
    "stored_at",
)


@dataclass(frozen=True)
class Vocabulary:
    """What every statement of one export repeats, read once: settings are slow to read."""

    home_page: str  # the actors' account home page: XAPI_IRI_BASE as configured
    iri_base: str  # the same without a trailing slash, to build IRIs on
    verbs: dict[str, dict]


def vocabulary() -> Vocabulary:
    return Vocabulary(
        home_page=settings.XAPI_IRI_BASE,
        iri_base=settings.XAPI_IRI_BASE.rstrip("/"),
        verbs=verb_displays(),
    )


def statements_for_export(*, association_id: int, start: date | None, end: date | None):
    """The association's statements in the period (open-ended when a bound is missing)."""
    statements = Statement.objects.filter(association_id=association_id)
    if start is not None:
        statements = statements.filter(timestamp__gte=day_bounds(start, start)[0])
    if end is not None:
        statements = statements.filter(timestamp__lt=day_bounds(end, end)[1])
    # The (association, timestamp) index serves both the filter and the order.
    return statements.order_by("timestamp", "stored_at", "id").values(*FIELDS)


def duration(seconds: int) -> str:
    """Seconds as an ISO 8601 duration: 3725 → PT1H2M5S."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours}H" if hours else "", f"{minutes}M" if minutes else ""]
    if seconds or not (hours or minutes):
        parts.append(f"{seconds}S")
    return "PT" + "".join(parts)


def verb_displays() -> dict[str, dict]:
    """Each verb's id and its label in French and English, worked out once per export."""
    verbs = {}
    for verb in Verb:
        display = {}
        for xapi_language, django_language in VERB_LANGUAGES.items():
            with translation.override(django_language):
                display[xapi_language] = str(verb.label)
        verbs[verb.value] = {"id": verb.iri, "display": display}
    return verbs


def agent(pseudonym, home_page: str) -> dict:
    return {"objectType": "Agent", "account": {"homePage": home_page, "name": str(pseudonym)}}


def statement(row: dict, words: Vocabulary) -> dict:
    """One row of `statements_for_export` as an xAPI statement."""
    iri_base = words.iri_base
    activity = {"objectType": "Activity", "id": row["object_iri"]}
    if row["object_kind"]:
        activity["definition"] = {"type": f"{iri_base}/activity-types/{row['object_kind']}"}
    result = {}
    score = {
        key: row[f"score_{key}"]
        for key in ("scaled", "raw", "min", "max")
        if row[f"score_{key}"] is not None
    }
    if score:
        result["score"] = score
    if row["success"] is not None:
        result["success"] = row["success"]
    if row["completion"] is not None:
        result["completion"] = row["completion"]
    if row["response"] is not None:
        # xAPI responses are strings; ours may be structured (a validation's level of help).
        response = row["response"]
        result["response"] = response if isinstance(response, str) else json.dumps(response)
    if row["duration_seconds"] is not None:
        result["duration"] = duration(row["duration_seconds"])
    context = {
        "extensions": {
            f"{iri_base}/extensions/association": (
                f"{iri_base}/associations/{row['association_id']}"
            ),
            f"{iri_base}/extensions/self-reported": row["is_self_reported"],
        }
    }
    if row["session_uuid"] is not None:
        context["registration"] = str(row["session_uuid"])
    if row["instructor__pseudonym"] is not None:
        context["instructor"] = agent(row["instructor__pseudonym"], words.home_page)
    if row["module_iri"] and row["module_iri"] != row["object_iri"]:
        context["contextActivities"] = {
            "parent": [
                {
                    "objectType": "Activity",
                    "id": row["module_iri"],
                    "definition": {"type": MODULE_TYPE},
                }
            ]
        }
    verb = words.verbs.get(row["verb"]) or {"id": f"{iri_base}/verbs/{row['verb']}"}
    data = {
        "id": str(row["id"]),
        "actor": agent(row["learner_pseudonym"], words.home_page),
        "verb": verb,
        "object": activity,
    }
    if result:
        data["result"] = result
    data["context"] = context
    data["timestamp"] = row["timestamp"].isoformat()
    data["stored"] = row["stored_at"].isoformat()
    data["version"] = XAPI_VERSION
    return data


def json_array(rows: Iterable[dict]) -> Iterator[str]:
    """The statements as one JSON array, a few hundred statements per piece."""
    words = vocabulary()
    yield "["
    separator = "\n"
    piece: list[str] = []
    for row in rows:
        piece.append(
            separator + json.dumps(statement(row, words), ensure_ascii=False, separators=(",", ":"))
        )
        separator = ",\n"
        if len(piece) >= STATEMENTS_PER_PIECE:
            yield "".join(piece)
            piece = []
    yield "".join(piece) + "\n]\n"


def export_stream(*, association_id: int, start: date | None, end: date | None) -> Iterator[str]:
    rows = statements_for_export(association_id=association_id, start=start, end=end)
    # The rows are read while the response streams, after the view (and the middleware
    # that may send this request's reads to a replica) has returned: choose the database now.
    rows = rows.using(rows.db)
    return json_array(rows.iterator(chunk_size=CHUNK_SIZE))
