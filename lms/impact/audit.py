"""Impact's sentences in the change log: learning records exported, API keys.

Registered with lms/accounts/audit.py when the app is ready; see there how sentences are made.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lms.accounts.audit import (
    AuditSentence,
    actor_name,
    audit_describer,
    audit_field_labels,
    day,
)

audit_field_labels(
    {
        "start": gettext_lazy("from"),
        "end": gettext_lazy("to"),
        "prefix": gettext_lazy("start of the key"),
        "revoked_at": gettext_lazy("revoked on"),
    }
)


@audit_describer("xapi_export")
def xapi_exports(entries):
    sentences = {}
    for e in entries:
        after = e.after or {}
        event = _("%(who)s downloaded the learning records of %(association)s (xAPI)") % {
            "who": actor_name(e),
            "association": e.association.name if e.association else "–",
        }
        start, end = after.get("start"), after.get("end")
        if start or end:
            event = _("%(event)s, from %(start)s to %(end)s") % {
                "event": event,
                "start": day(start) if start else "…",
                "end": day(end) if end else "…",
            }
        sentences[e.pk] = AuditSentence(event)
    return sentences


@audit_describer("api_token_create", "api_token_revoke")
def api_tokens(entries):
    sentences = {}
    for e in entries:
        values = {"who": actor_name(e)}
        if e.action == "api_token_create":
            text = _("%(who)s created the access key “%(name)s”") % {
                **values,
                "name": (e.after or {}).get("name", "–"),
            }
        else:
            text = _("%(who)s revoked an access key") % values
        sentences[e.pk] = AuditSentence(text)
    return sentences
