"""The batch statement endpoint: the learner's page sends the statements it queued at once.

The plain step form (views.module_step) stays the way to record one step without
JavaScript; this endpoint is for the page's script: H5P statements and work done offline.
Body: a JSON list of at most `BATCH_LIMIT` objects, each
`{"module": <module id>, "step": <number>, "statement_id": "<uuid>",
"timestamp": "<ISO 8601, optional>", "fields": {<the step form's fields>}}`.
The answer names what became of each statement, in order: "stored", "duplicate" (that id
is already stored: nothing is added) or "refused" with a message for the learner.
"""

import json
import uuid
from datetime import UTC

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses.models import ModulePage
from lms.accounts.access import role_required
from lms.accounts.models import Role

from . import selectors
from .services import StepItem, SubmitStatus, step_submission_parse, steps_submit

# Enough for a whole module done offline; small enough that one request stays short.
BATCH_LIMIT = 100


class _Unreadable(ValueError):
    """One statement of the batch that cannot be read; the others still count."""


def _refusal(message: str, status: int) -> JsonResponse:
    return JsonResponse({"ok": False, "message": message}, status=status)


@role_required(Role.LEARNER)
@require_POST
def statements_batch(request):
    """Record a list of step statements in one transaction; answer for each one."""
    try:
        body = json.loads(request.body)
    except RequestDataTooBig:
        return _refusal(_("Too much was sent at once. Reload the page, then try again."), 413)
    except ValueError:  # not JSON, or not UTF-8
        body = None
    if not isinstance(body, list):
        return _refusal(_("What was sent could not be read. Reload the page, then try again."), 400)
    if len(body) > BATCH_LIMIT:
        return _refusal(
            _("Too many answers at once: send at most %(limit)s.") % {"limit": BATCH_LIMIT}, 413
        )

    modules: dict[int, ModulePage | None] = {}
    answers: list[dict] = [{} for _entry in body]
    items: list[StepItem] = []
    positions: list[int] = []
    for position, entry in enumerate(body):
        answer = answers[position]
        try:
            module_id, number, statement_id, timestamp, fields = _entry_read(entry)
        except _Unreadable:
            answer.update(
                status="refused",
                message=_("This answer could not be read. Reload the page, then try again."),
            )
            continue
        answer["statement_id"] = str(statement_id)
        if module_id not in modules:
            try:
                modules[module_id] = selectors.module_get_live(module_id)
            except Http404:
                modules[module_id] = None
        module = modules[module_id]
        if module is None or not 1 <= number <= len(module.steps):
            answer.update(status="refused", message=_("This step no longer exists."))
            continue
        submission = step_submission_parse(fields, statement_id=statement_id, timestamp=timestamp)
        items.append(StepItem(module=module, step_index=number - 1, submission=submission))
        positions.append(position)

    if items:
        results = steps_submit(
            learner=request.user,
            items=items,
            association=selectors.learner_association(request.user, request.session),
        )
        for position, result in zip(positions, results, strict=True):
            answers[position].update(_result_json(result))
    counts = dict.fromkeys(("stored", "duplicate", "refused"), 0)
    for answer in answers:
        counts[answer["status"]] += 1
    return JsonResponse({"ok": True, **counts, "results": answers})


def _entry_read(entry) -> tuple[int, int, uuid.UUID, object, dict]:
    """Module id, step number, statement id, time and form fields of one entry, checked."""
    if not isinstance(entry, dict):
        raise _Unreadable
    module_id, number = entry.get("module"), entry.get("step")
    # bool is an int to isinstance(); a module id of `true` is not a module id.
    if not all(type(value) is int and 0 < value < 2**31 for value in (module_id, number)):
        raise _Unreadable
    try:
        # Required here, unlike the plain form: without a stable id a retry is a new answer.
        statement_id = uuid.UUID(str(entry.get("statement_id")))
    except ValueError:
        raise _Unreadable from None
    timestamp = entry.get("timestamp")
    if timestamp is not None:
        try:
            timestamp = parse_datetime(timestamp) if isinstance(timestamp, str) else None
        except ValueError:  # well formed, but not a date (a 13th month)
            timestamp = None
        if timestamp is None:
            raise _Unreadable
        if timezone.is_naive(timestamp):
            timestamp = timezone.make_aware(timestamp, UTC)
    fields = entry.get("fields", {})
    if not isinstance(fields, dict):
        raise _Unreadable
    readable = {}
    for name, value in fields.items():
        if isinstance(value, str):
            readable[name] = value
        elif isinstance(value, bool | int | float):
            readable[name] = json.dumps(value)  # true, 3, 0.5: as a form would send them
        else:
            raise _Unreadable
    return module_id, number, statement_id, timestamp, readable


def _result_json(result) -> dict:
    if result.status == SubmitStatus.INVALID:
        return {"status": "refused", "message": _("Choose an answer, then press “Check”.")}
    if result.status == SubmitStatus.CONFLICT:
        return {
            "status": "refused",
            "message": _(
                "This answer was already sent from another page. Reload the page, then try again."
            ),
        }
    data = {"status": str(result.status)}
    if result.outcome is not None:
        data.update(success=result.outcome.success, items=result.outcome.items)
    return data
