"""Recorded values as people read them: the audit trail's actions, keys and values.

Used by the change log (lms/accounts/audit.py) and the learner's printable export
(lms/privacy/export_sections.py): dates in the local format, yes and no, fields by their own
names in the reader's language.
"""

from datetime import datetime

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Consent, LearnerProfile, User

AUDIT_ACTIONS = {
    "learner_create": _("Learner registered"),
    "learner_update": _("Learner's data corrected"),
    "learner_export": _("Learner's data exported"),
    "learner_erase": _("Learner's data erased"),
    "learner_join": _("Learner joined with their card"),
    "learner_merge": _("Two records merged"),
    "consent_give": _("Consent recorded"),
    "consent_withdraw": _("Consent withdrawn"),
    "group_create": _("Group created"),
    "group_learners_add": _("Learners added to a group"),
    "session_create": _("Session logged"),
    "session_update": _("Session corrected"),
    "validations_record": _("Validations recorded"),
    "trainer_add": _("Trainer added"),
    "trainer_deactivate": _("Trainer switched off"),
    "transfer_import": _("File imported"),
    "transfer_export": _("List downloaded"),
    "xapi_export": _("Learning records downloaded (xAPI)"),
    "api_token_create": _("Access key created"),
    "api_token_revoke": _("Access key revoked"),
}


def when_text(value: str | None, *, with_time: bool = True) -> str:
    if not value:
        return "–"
    parsed = datetime.fromisoformat(value)
    if isinstance(parsed, datetime) and "T" in value:
        parsed = timezone.localtime(parsed) if timezone.is_aware(parsed) else parsed
        return date_format(parsed, "SHORT_DATETIME_FORMAT" if with_time else "SHORT_DATE_FORMAT")
    return date_format(parsed.date(), "SHORT_DATE_FORMAT")


def yes_no(value) -> str:
    if value is None:
        return "–"
    return gettext("yes") if value else gettext("no")


def changes_text(value) -> str:
    if not value:
        return "–"
    if value == ERASED_MARK:
        return str(_("Values removed when the person was erased."))
    if isinstance(value, dict):
        return "; ".join(
            f"{field_label(k)}: {short_value(v)}" for k, v in value.items() if k not in HIDDEN_KEYS
        )
    return short_value(value)


# What the audit keeps in place of the values, once the person is erased.
ERASED_MARK = {"erased": True}
# The subject of the entry already says who it is about.
HIDDEN_KEYS = {"learner"}
AUDIT_KEYS = {
    "statements_kept": _("Learning records kept, without a name"),
    "attendances_kept": _("Attendances kept, without a name"),
    "completions_kept": _("Finished modules kept, without a name"),
    "reason": _("Reason"),
    "format": _("Format"),
    "retention": _("no activity for too long"),
}


def field_label(name: str) -> str:
    """A field's own name in the current language, for the audit trail's before and after."""
    if name in AUDIT_KEYS:
        return str(AUDIT_KEYS[name])
    for model in (User, LearnerProfile, Consent):
        try:
            return capfirst(str(model._meta.get_field(name).verbose_name))
        except FieldDoesNotExist:
            pass
    return name


def short_value(value) -> str:
    """One recorded value, readable: dates in the local format, yes and no, lists joined."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list):
        text = ", ".join(map(str, value))
    elif isinstance(value, str) and len(value) > 18 and value[4:5] == "-" and "T" in value:
        try:
            text = when_text(value)
        except ValueError:
            text = value
    elif isinstance(value, str) and value in AUDIT_KEYS:
        text = str(AUDIT_KEYS[value])
    else:
        text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"
