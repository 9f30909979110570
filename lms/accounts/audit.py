"""The change log as people read it: one sentence per entry, with names and labels.

An `AuditEntry` keeps ids and raw values, as they were when the change was made. This module
turns a page of entries into sentences in the reader's language ("Thomas logged the session
of 7 December 2026: 9 present, modules Wi-Fi and touch screen"), and keeps the raw before and
after next to them for whoever needs the detail.

Each app describes its own actions, as it declares its own personal data: it registers one
function for one or more actions,

    @audit_describer("session_create", "session_update")
    def sessions(entries) -> dict[int, AuditSentence]: ...

called once per page with every entry of those actions, so that a page costs a query or two
per kind of action, never one per entry. Names are looked up when the page is read, not stored
in the entry: once a person is erased, every entry that mentioned them says "Erased person".
An action no app describes reads "<who>: <action>".
"""

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .audit_values import AUDIT_ACTIONS, ERASED_MARK, HIDDEN_KEYS, field_label, short_value
from .models import AuditEntry, Consent, ConsentPurpose, User


@dataclass(frozen=True)
class AuditSentence:
    """What one entry says: a sentence, lines under it, and a link to what it is about."""

    text: str
    lines: tuple[str, ...] = ()
    link_url: str = ""
    link_label: str = ""
    # The link is shown only to this person (a job's page opens only for its owner).
    link_for_user_id: int | None = None


Describer = Callable[[list[AuditEntry]], dict[int, AuditSentence]]
DESCRIBERS: dict[str, Describer] = {}
# The names of the raw values under "Details", by key, contributed by each app.
VALUE_LABELS: dict[str, Promise] = {}


def audit_describer(*actions: str) -> Callable[[Describer], Describer]:
    """Register the function that writes the sentences of these actions."""

    def register(describer: Describer) -> Describer:
        for action in actions:
            DESCRIBERS[action] = describer
        return describer

    return register


def audit_field_labels(labels: dict[str, Promise]) -> None:
    """Name the keys an app records in before and after, for the raw values under "Details"."""
    VALUE_LABELS.update(labels)


def raw_label(key: str) -> str:
    return capfirst(str(VALUE_LABELS[key])) if key in VALUE_LABELS else field_label(key)


def raw_value(value) -> str:
    """A recorded value as it was stored; nested lists as JSON rather than Python's repr."""
    if isinstance(value, list) and any(isinstance(item, list | dict) for item in value):
        return json.dumps(value, ensure_ascii=False)
    return short_value(value)


# --- Small helpers the describers share -----------------------------------------------------


def actor_name(entry: AuditEntry) -> str:
    """Who did it; a change made by the platform itself (a nightly job) says so."""
    if entry.actor_id is None:
        return _("Pas à pas (automatically)")
    return entry.actor.public_name


def names_join(names: Iterable[str]) -> str:
    """ "A", "A and B", "A, B and C", in the reader's language."""
    names = [str(name) for name in names if name]
    if len(names) <= 1:
        return "".join(names)
    return _("%(items)s and %(last)s") % {"items": ", ".join(names[:-1]), "last": names[-1]}


def day(value: str | date | None) -> str:
    """A date in words ("7 December 2026"), from a date or its ISO text."""
    if not value:
        return "–"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return date_format(value, "DATE_FORMAT")


def people_names(ids: Iterable) -> dict[int, str]:
    """People's names by id, in one query; an erased person reads "Erased person"."""
    wanted = {int(pk) for pk in ids if str(pk).isdigit()}
    if not wanted:
        return {}
    people = User.objects.filter(pk__in=wanted).only(
        "pk", "username", "first_name", "display_name", "erased_at"
    )
    return {person.pk: person.public_name for person in people}


def name_of(names: dict[int, str], pk) -> str:
    """A person's name, or a neutral word when the record is gone (merged duplicates)."""
    try:
        return names.get(int(pk)) or _("a deleted record")
    except (TypeError, ValueError):
        return _("a deleted record")


def ids_of(entries: Iterable[AuditEntry], *keys: str) -> set[int]:
    """Every id found under these keys of the entries' before and after (numbers or lists)."""
    found = set()
    for entry in entries:
        for values in (entry.before or {}, entry.after or {}):
            for key in keys:
                value = values.get(key)
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, int) or (isinstance(item, str) and item.isdigit()):
                        found.add(int(item))
    return found


def with_details(event: str, details: Iterable[str]) -> str:
    """ "<event>: <detail>, <detail>", or the event alone when nothing more is known."""
    details = [detail for detail in details if detail]
    if not details:
        return event
    return _("%(event)s: %(details)s") % {"event": event, "details": ", ".join(details)}


# --- The rows of the change log page --------------------------------------------------------


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    sentence: AuditSentence
    action: str
    learner_id: int | None
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    is_redacted: bool = False

    @property
    def text(self) -> str:
        return self.sentence.text


def audit_rows(entries, *, viewer: User | None = None) -> list[AuditRow]:
    """A page of entries as sentences, newest first as given, with their raw before and after.

    `viewer` is the person reading: links they could not open are left out.
    """
    entries = list(entries)
    by_action: dict[Describer, list[AuditEntry]] = {}
    for entry in entries:
        describer = DESCRIBERS.get(entry.action)
        if describer is not None:
            by_action.setdefault(describer, []).append(entry)
    sentences: dict[int, AuditSentence] = {}
    for describer, group in by_action.items():
        sentences.update(describer(group))
    # Entries about a person link to their page, while it still opens.
    people_ids = {
        int(entry.object_id)
        for entry in entries
        if entry.object_type == User._meta.label and entry.object_id.isdigit()
    }
    linkable = set(
        User.objects.filter(pk__in=people_ids, erased_at__isnull=True).values_list("pk", flat=True)
    )
    rows = []
    for entry in entries:
        action = str(AUDIT_ACTIONS.get(entry.action, entry.action))
        sentence = sentences.get(entry.pk) or AuditSentence(
            _("%(who)s: %(action)s") % {"who": actor_name(entry), "action": action}
        )
        if sentence.link_for_user_id is not None and (
            viewer is None or viewer.pk != sentence.link_for_user_id
        ):
            sentence = AuditSentence(sentence.text, sentence.lines)
        before, after = entry.before or {}, entry.after or {}
        redacted = after == ERASED_MARK
        keys = (
            []
            if redacted
            else [k for k in dict.fromkeys([*before, *after]) if k not in HIDDEN_KEYS]
        )
        learner_id = None
        if entry.object_type == User._meta.label and entry.object_id.isdigit():
            learner_id = int(entry.object_id) if int(entry.object_id) in linkable else None
        rows.append(
            AuditRow(
                at=entry.at,
                sentence=sentence,
                action=action,
                learner_id=learner_id,
                changes=[
                    (raw_label(k), raw_value(before.get(k)), raw_value(after.get(k))) for k in keys
                ],
                is_redacted=redacted,
            )
        )
    return rows


# --- What accounts itself records: people's data, consents, erasure -------------------------


def _learner_names(entries: list[AuditEntry]) -> dict[int, str]:
    return people_names(e.object_id for e in entries if e.object_type == User._meta.label)


@audit_describer("learner_create")
def _learners_registered(entries):
    names = _learner_names(entries)
    return {
        e.pk: AuditSentence(
            _("%(who)s registered the learner %(name)s")
            % {"who": actor_name(e), "name": name_of(names, e.object_id)}
        )
        for e in entries
    }


@audit_describer("learner_update")
def _learners_corrected(entries):
    names = _learner_names(entries)
    sentences = {}
    for e in entries:
        fields = (
            []
            if e.after == ERASED_MARK
            else list(dict.fromkeys([*(e.before or {}), *(e.after or {})]))
        )
        event = _("%(who)s corrected the record of the learner %(name)s") % {
            "who": actor_name(e),
            "name": name_of(names, e.object_id),
        }
        sentences[e.pk] = AuditSentence(
            with_details(event, [names_join(field_label(k).lower() for k in fields)])
        )
    return sentences


@audit_describer("learner_export")
def _learners_exported(entries):
    names = _learner_names(entries)
    sentences = {}
    for e in entries:
        kind = (e.after or {}).get("format")
        values = {"who": actor_name(e), "name": name_of(names, e.object_id)}
        text = (
            _("%(who)s downloaded the data of the learner %(name)s (%(format)s)")
            % {**values, "format": str(kind).upper()}
            if kind
            else _("%(who)s downloaded the data of the learner %(name)s") % values
        )
        sentences[e.pk] = AuditSentence(text)
    return sentences


@audit_describer("learner_erase")
def _learners_erased(entries):
    sentences = {}
    for e in entries:
        after = e.after or {}
        event = _("%(who)s erased the personal data of a learner") % {"who": actor_name(e)}
        kept = after.get("statements_kept")
        details = []
        if isinstance(kept, int):
            details.append(
                ngettext(
                    "%(count)s learning record kept without a name",
                    "%(count)s learning records kept without a name",
                    kept,
                )
                % {"count": kept}
            )
        if after.get("reason") == "retention":
            details.append(_("no activity for too long"))
        sentences[e.pk] = AuditSentence(with_details(event, details))
    return sentences


@audit_describer("consent_give", "consent_withdraw")
def _consents(entries):
    consent_ids = [
        int(e.object_id)
        for e in entries
        if e.object_type == Consent._meta.label and e.object_id.isdigit()
    ]
    consents = {
        consent.pk: consent
        for consent in Consent.objects.filter(pk__in=consent_ids).only("pk", "learner", "purpose")
    }
    learner_of = {pk: consent.learner_id for pk, consent in consents.items()}
    names = people_names(
        [*learner_of.values(), *(e.object_id for e in entries if e.object_type == User._meta.label)]
    )
    purposes = dict(ConsentPurpose.choices)
    sentences = {}
    for e in entries:
        if e.object_type == Consent._meta.label:
            consent = consents.get(int(e.object_id)) if e.object_id.isdigit() else None
            learner = consent.learner_id if consent else None
            purpose = purposes.get(consent.purpose) if consent else None
        else:
            learner, purpose = e.object_id, purposes[ConsentPurpose.LEARNING_RECORDS]
        values = {"who": actor_name(e), "name": name_of(names, learner)}
        if e.action == "consent_give":
            event = _("%(who)s recorded the consent of the learner %(name)s") % values
        else:
            event = _("%(who)s recorded that the learner %(name)s withdrew a consent") % values
        sentences[e.pk] = AuditSentence(with_details(event, [str(purpose) if purpose else ""]))
    return sentences
