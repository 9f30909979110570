"""The logbook's sentences in the change log: sessions, validations, groups, trainers, files.

Registered with lms/accounts/audit.py when the app is ready; see there how sentences are made.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from courses.models import LearningPathPage, ModulePage
from lms.accounts.audit import (
    AuditSentence,
    actor_name,
    audit_describer,
    audit_field_labels,
    day,
    ids_of,
    name_of,
    names_join,
    people_names,
    with_details,
)
from lms.accounts.models import Association, AuditEntry, Job

from .forms import help_label
from .models import Group, TrainingSession
from .transfer import KINDS

# A session's fields, in the order a trainer fills them, as the correction sentence names them.
SESSION_FIELDS = {
    "held_on": gettext_lazy("date"),
    "starts_at": gettext_lazy("start time"),
    "ends_at": gettext_lazy("end time"),
    "place": gettext_lazy("place"),
    "group": gettext_lazy("group"),
    "note": gettext_lazy("note"),
    "trainers": gettext_lazy("trainers"),
    "modules": gettext_lazy("modules"),
    "present": gettext_lazy("attendance"),
}
audit_field_labels(
    {
        **SESSION_FIELDS,
        "validations": gettext_lazy("validations"),
        "name": gettext_lazy("name"),
        "learning_path": gettext_lazy("learning path"),
        "learners": gettext_lazy("learners"),
        "from_card_of": gettext_lazy("card of the association"),
        "duplicate": gettext_lazy("duplicate record"),
        "duplicate_name": gettext_lazy("name of the duplicate record"),
        "kept": gettext_lazy("record kept"),
        "statements_moved": gettext_lazy("learning records moved"),
        "username": gettext_lazy("user name"),
        "kind": gettext_lazy("list"),
        "added": gettext_lazy("rows added"),
        "updated": gettext_lazy("rows updated"),
        "unchanged": gettext_lazy("rows unchanged"),
    }
)


def module_titles(ids) -> dict[int, str]:
    return dict(ModulePage.objects.filter(pk__in=set(ids)).values_list("pk", "title"))


def modules_text(titles: dict[int, str], ids) -> str:
    """ "module Wi-Fi" or "modules Wi-Fi and touch screen"; nothing when there is none."""
    names = [titles[pk] for pk in ids or () if pk in titles]
    if not names:
        return ""
    return ngettext("module %(names)s", "modules %(names)s", len(names)) % {
        "names": names_join(names)
    }


def present_text(ids) -> str:
    count = len(ids or ())
    return ngettext("%(count)s present", "%(count)s present", count) % {"count": count}


def session_days(entries: list[AuditEntry]) -> dict[str, str]:
    """Each session's date in words, by the entry's object id (validations name no date)."""
    ids = [e.object_id for e in entries if e.object_id.isdigit()]
    return {
        str(pk): day(held_on)
        for pk, held_on in TrainingSession.objects.filter(pk__in=ids).values_list("pk", "held_on")
    }


@audit_describer("session_create", "session_update")
def sessions(entries):
    titles = module_titles(ids_of(entries, "modules"))
    names = people_names(ids_of(entries, "present"))
    sentences = {}
    for e in entries:
        before, after = e.before or {}, e.after or {}
        values = {"who": actor_name(e), "date": day(after.get("held_on"))}
        if e.action == "session_create":
            event = _("%(who)s logged the session of %(date)s") % values
            details = [
                present_text(after.get("present")),
                modules_text(titles, after.get("modules")),
            ]
            sentences[e.pk] = AuditSentence(with_details(event, details))
            continue
        event = _("%(who)s corrected the session of %(date)s") % values
        changed = [key for key in SESSION_FIELDS if before.get(key) != after.get(key)]
        lines = []
        came = [pk for pk in after.get("present") or () if pk not in (before.get("present") or ())]
        left = [pk for pk in before.get("present") or () if pk not in (after.get("present") or ())]
        if came:
            lines.append(
                _("Added to the attendance: %(names)s")
                % {"names": names_join(name_of(names, pk) for pk in came)}
            )
        if left:
            lines.append(
                _("Removed from the attendance: %(names)s")
                % {"names": names_join(name_of(names, pk) for pk in left)}
            )
        if "modules" in changed:
            lines.append(
                _("Modules now: %(names)s")
                % {
                    "names": names_join(titles.get(pk, "") for pk in after.get("modules") or ())
                    or "–"
                }
            )
        fields = names_join(str(SESSION_FIELDS[key]) for key in changed)
        sentences[e.pk] = AuditSentence(
            with_details(event, [fields or _("nothing changed")]), lines=tuple(lines)
        )
    return sentences


@audit_describer("validations_record")
def validations(entries):
    rows = [row for e in entries for row in (e.after or {}).get("validations") or ()]
    names = people_names(row[0] for row in rows if row)
    titles = module_titles(row[1] for row in rows if len(row) > 1)
    days = session_days(entries)
    sentences = {}
    for e in entries:
        recorded = [row for row in (e.after or {}).get("validations") or () if len(row) >= 4]
        event = ngettext(
            "%(who)s recorded %(count)s validation at the session of %(date)s",
            "%(who)s recorded %(count)s validations at the session of %(date)s",
            len(recorded),
        ) % {"who": actor_name(e), "count": len(recorded), "date": days.get(e.object_id, "–")}
        lines = tuple(
            _("Validations: %(name)s – %(help)s (%(module)s)")
            % {
                "name": name_of(names, learner),
                "help": help_label(help_level),
                "module": titles.get(module, "–"),
            }
            for learner, module, _step, help_level in (row[:4] for row in recorded)
        )
        sentences[e.pk] = AuditSentence(event, lines=lines)
    return sentences


@audit_describer("group_create", "group_learners_add")
def groups(entries):
    group_names = dict(
        Group.objects.filter(
            pk__in=[e.object_id for e in entries if e.object_id.isdigit()]
        ).values_list("pk", "name")
    )
    names = people_names(ids_of(entries, "trainers", "learners"))
    paths = dict(
        LearningPathPage.objects.filter(pk__in=ids_of(entries, "learning_path")).values_list(
            "pk", "title"
        )
    )
    sentences = {}
    for e in entries:
        after = e.after or {}
        group = after.get("name") or group_names.get(int(e.object_id), "–")
        if e.action == "group_create":
            event = _("%(who)s created the group %(group)s") % {
                "who": actor_name(e),
                "group": group,
            }
            details = []
            if after.get("learning_path") in paths:
                details.append(_("path %(name)s") % {"name": paths[after["learning_path"]]})
            trainers = [name_of(names, pk) for pk in after.get("trainers") or ()]
            if trainers:
                details.append(
                    ngettext("trainer %(names)s", "trainers %(names)s", len(trainers))
                    % {"names": names_join(trainers)}
                )
            sentences[e.pk] = AuditSentence(with_details(event, details))
        else:
            learners = [name_of(names, pk) for pk in after.get("learners") or ()]
            sentences[e.pk] = AuditSentence(
                _("%(who)s added %(names)s to the group %(group)s")
                % {"who": actor_name(e), "names": names_join(learners) or "–", "group": group}
            )
    return sentences


@audit_describer("learner_join", "learner_merge", "trainer_add", "trainer_deactivate")
def people(entries):
    names = people_names(e.object_id for e in entries)
    associations = dict(
        Association.objects.filter(pk__in=ids_of(entries, "from_card_of")).values_list("pk", "name")
    )
    sentences = {}
    for e in entries:
        after = e.after or {}
        values = {"who": actor_name(e), "name": name_of(names, e.object_id)}
        if e.action == "learner_join":
            text = _(
                "%(who)s welcomed the learner %(name)s, who came with a sign-in card of "
                "%(association)s"
            ) % {**values, "association": associations.get(after.get("from_card_of"), "–")}
        elif e.action == "learner_merge":
            moved = after.get("statements_moved") or 0
            text = with_details(
                _("%(who)s merged two records of the learner %(name)s") % values,
                [
                    ngettext(
                        "%(count)s learning record moved",
                        "%(count)s learning records moved",
                        moved,
                    )
                    % {"count": moved}
                ],
            )
        elif e.action == "trainer_add":
            text = _("%(who)s added %(name)s as a trainer") % values
        else:
            text = _("%(who)s removed the trainer access of %(name)s") % values
        sentences[e.pk] = AuditSentence(text)
    return sentences


# --- Imports and exports --------------------------------------------------------------------


def kind_label(kind) -> str:
    return str(KINDS[kind][1]).lower() if kind in KINDS else "–"


@audit_describer("transfer_import", "transfer_export")
def transfers(entries):
    jobs = {
        str(job.pk): job
        for job in Job.objects.filter(
            pk__in=[e.object_id for e in entries if e.object_type == Job._meta.label]
        ).only("pk", "owner_id")
    }
    sentences = {}
    for e in entries:
        after = e.after or {}
        values = {"who": actor_name(e), "kind": kind_label(after.get("kind"))}
        if e.action == "transfer_export":
            sentences[e.pk] = AuditSentence(
                _("%(who)s downloaded the list (%(kind)s, %(format)s)")
                % {**values, "format": str(after.get("format", "")).upper()}
            )
            continue
        added, updated, unchanged = (
            after.get(key) or 0 for key in ("added", "updated", "unchanged")
        )
        text = with_details(
            _("%(who)s imported a file (%(kind)s)") % values,
            [
                ngettext("%(count)s row added", "%(count)s rows added", added) % {"count": added},
                ngettext("%(count)s row updated", "%(count)s rows updated", updated)
                % {"count": updated},
                ngettext("%(count)s row unchanged", "%(count)s rows unchanged", unchanged)
                % {"count": unchanged},
            ],
        )
        job = jobs.get(e.object_id)
        sentences[e.pk] = (
            AuditSentence(
                text,
                link_url=reverse("accounts:job", args=[job.pk]),
                link_label=_("See the import"),
                link_for_user_id=job.owner_id,
            )
            if job
            else AuditSentence(text)
        )
    return sentences
