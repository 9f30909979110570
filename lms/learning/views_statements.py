"""The statement endpoints: one step's form (POST of views.module_step), and batches.

`step_post` answers the POST of a step's page, a plain form (the way to record one step
without JavaScript) or the page's script asking for JSON. `statements_batch` is for the
page's script: H5P statements and work done offline, several at once. Both record through
`submissions.steps_submit`, and read the module through its cached outline (`module_outline_live`),
not its page: the page's steps, pictures and packages are not needed to grade a step.

The batch endpoint's body: a JSON list of at most `BATCH_LIMIT` objects, each
`{"module": <module id>, "step": <number>, "statement_id": "<uuid>",
"timestamp": "<ISO 8601, optional>", "fields": {<the step form's fields>}}`; the fields
may hold "duration_seconds", the time the step was on screen and in use (player.js).
The answer names what became of each statement, in order: "stored", "duplicate" (that id
is already stored: nothing is added) or "refused" with a message for the learner.
"""

import functools
import json
import uuid
from datetime import UTC

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page

from courses.caching import CONTENT_CACHE_SECONDS, content_key, shared_content
from courses.models import ModulePage
from lms.accounts.access import role_required
from lms.accounts.models import Role

from . import selectors
from .services import LearnerAssociation
from .submissions import (
    ModuleOutline,
    StepItem,
    StepSubmissionInvalid,
    SubmitStatus,
    module_outline,
    step_submission_parse,
    steps_submit,
)

# Enough for a whole module done offline; small enough that one request stays short.
BATCH_LIMIT = 100


def module_outline_live(module_id: int) -> ModuleOutline:
    """A published module's outline, in the visitor's language; Http404 when not published.

    Whether the module is live, at which revision and in which language is one small
    query, kept per content version (courses/caching.py), as the step page keeps the
    module's summary: a publication or withdrawal shows at once in the process that made
    it and within a second in the others. The outline is cached per revision. A module
    shown in a translation, or live without a revision, is outlined from its page.
    """
    row = _live_row(module_id)
    if row is None:
        raise Http404
    revision_id, language, published_at = row
    if revision_id is None or language != get_supported_content_language_variant(get_language()):
        return module_outline(selectors.module_get_live(module_id))
    # A revision never changes once published: this process keeps the outlines it made
    # or read, by revision, in front of the shared cache (a round trip with Redis).
    # The publication time too: a revision id is never reused in one database, but a
    # database restored (or a test's, rolled back) may give it again to other content.
    revision = (module_id, revision_id, str(published_at or "").replace(" ", "T"))
    outline = _outlines.get(revision)
    if outline is not None:
        return outline
    key = content_key("outline", *revision)
    outline = cache.get(key)
    if outline is None:
        module = selectors.module_get_live(module_id)
        outline = module_outline(module)
        # Published again between the two reads: right for now, but not for that revision.
        if module.pk != module_id or module.live_revision_id != revision_id:
            return outline
        cache.set(key, outline, CONTENT_CACHE_SECONDS)
    if len(_outlines) >= OUTLINES_KEPT:
        _outlines.clear()
    _outlines[revision] = outline
    return outline


# Outlines this process keeps, by module, live revision and publication; emptied when full.
OUTLINES_KEPT = 256
_outlines: dict[tuple[int, int, str], ModuleOutline] = {}


def _live_row(module_id: int) -> tuple | None:
    """(live revision id, language code, last publication) of a live module, else None."""

    def read():
        with connection.cursor() as cursor:
            cursor.execute(_live_sql(), [module_id, True])
            row = cursor.fetchone()
        return tuple(row) if row is not None else None

    return shared_content(content_key("live-row", module_id), read)


@functools.cache
def _live_sql() -> str:
    """Made once: the names of the page tables and their columns."""
    page, module = Page._meta, ModulePage._meta
    q = connection.ops.quote_name
    return (
        f"SELECT p.{q(page.get_field('live_revision').column)}, l.{q('language_code')},"  # noqa: S608
        f" p.{q('last_published_at')}"
        f" FROM {q(module.db_table)} m"
        f" INNER JOIN {q(page.db_table)} p ON p.{q(page.pk.column)} = m.{q(module.pk.column)}"
        f" INNER JOIN {q(Locale._meta.db_table)} l"
        f" ON l.{q('id')} = p.{q(page.get_field('locale').column)}"
        f" WHERE m.{q(module.pk.column)} = %s AND p.{q('live')} = %s"
    )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@role_required(Role.LEARNER)
def step_post(request, module_id: int, number: int):
    """One step's form, posted: graded on the server and recorded (views.module_step's POST).

    Answers in JSON for the page's script (`Accept: application/json`), else with a
    redirect: to the next step, or to this step's feedback when the step was graded.
    """
    outline = module_outline_live(module_id)
    if not 1 <= number <= len(outline.steps):
        raise Http404
    try:
        statement_id = uuid.UUID(request.POST.get("statement_id", ""))
    except ValueError:
        statement_id = uuid.uuid4()
    try:
        submission = step_submission_parse(request.POST, statement_id=statement_id)
    except StepSubmissionInvalid as invalid:
        # Only a page that was tampered with sends this: say so, store nothing.
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": invalid.message}, status=400)
        return HttpResponseBadRequest(invalid.message)
    [result] = steps_submit(
        learner=request.user,
        items=[StepItem(outline, number - 1, submission)],
        association=LearnerAssociation(request.session.get("association_id")),
    )
    step_url = reverse("learning:step", args=[outline.pk, number])
    if result.status == SubmitStatus.INVALID:
        message = _("Choose an answer, then press “Check”.")
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": message}, status=400)
        return redirect(step_url + "?choix=1")
    if result.status == SubmitStatus.CONFLICT:
        # The page sent an id already used for another step (a copied or replayed form).
        message = _(
            "This answer was already sent from another page. Reload the page, then try again."
        )
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": message}, status=409)
        messages.error(request, message)
        return redirect(step_url)
    next_url = (
        reverse("learning:step", args=[outline.pk, number + 1])
        if number < len(outline.steps)
        else reverse("learning:outcome_end", args=[outline.pk])
    )
    statement, outcome = result.statement, result.outcome
    if _wants_json(request):
        data = {"ok": True, "statement_id": str(statement.pk), "next_url": next_url}
        if outcome is not None:
            data.update(success=outcome.success, items=outcome.items)
        return JsonResponse(data)
    if outcome is None:
        return redirect(next_url)
    return redirect(f"{step_url}?retour={statement.pk}#feedback")


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
    except (ValueError, RecursionError):
        # Not JSON, not UTF-8, or nested deeper than the parser's recursion limit.
        body = None
    if not isinstance(body, list):
        return _refusal(_("What was sent could not be read. Reload the page, then try again."), 400)
    if len(body) > BATCH_LIMIT:
        return _refusal(
            _("Too many answers at once: send at most %(limit)s.") % {"limit": BATCH_LIMIT}, 413
        )

    modules: dict[int, ModuleOutline | None] = {}
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
                modules[module_id] = module_outline_live(module_id)
            except Http404:
                modules[module_id] = None
        module = modules[module_id]
        if module is None or not 1 <= number <= len(module.steps):
            answer.update(status="refused", message=_("This step no longer exists."))
            continue
        try:
            submission = step_submission_parse(
                fields, statement_id=statement_id, timestamp=timestamp
            )
        except StepSubmissionInvalid as invalid:
            answer.update(status="refused", message=invalid.message)
            continue
        items.append(StepItem(module=module, step_index=number - 1, submission=submission))
        positions.append(position)

    if items:
        results = steps_submit(
            learner=request.user,
            items=items,
            association=LearnerAssociation(request.session.get("association_id")),
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
