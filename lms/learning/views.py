"""Learner screens: Mon parcours, the module player, the statement endpoint, attestations."""

import uuid

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.accounts.access import role_required
from lms.accounts.models import Role

from . import selectors
from .attestation import attestation_pdf
from .grading import Outcome
from .models import ProgressStatus
from .services import StatementConflict, StepSubmission, step_submit

TEXT_SIZES = ("normal", "large", "larger")


@role_required(Role.LEARNER)
def my_path(request):
    """Mon parcours: one big button to continue, the learner's modules and paths, what is done."""
    progress = [row for row in selectors.module_progress_for_learner(request.user) if row.module]
    by_module = {row.module_id: row for row in progress}
    in_progress = [row for row in progress if row.completed_at is None]
    paths = []
    for path in selectors.paths_for_learner(request.user):
        modules = [item.module for item in path.path_modules.all()]
        rows = [(module, by_module.get(module.pk)) for module in modules]
        done = sum(1 for _module, row in rows if row and row.completed_at)
        paths.append({"path": path, "rows": rows, "done": done, "total": len(rows)})
    return render(
        request,
        "learning/my_path.html",
        {
            "current": in_progress[0] if in_progress else None,
            "in_progress": in_progress,
            "done": [row for row in progress if row.completed_at is not None],
            "paths": paths,
        },
    )


def _step_url(module, number: int) -> str:
    return reverse("learning:step", args=[module.pk, number])


@role_required(Role.LEARNER)
def module_resume(request, module_id: int):
    """Open the module exactly where the learner stopped, on whatever device."""
    module = selectors.module_get_live(module_id)
    progress, steps = selectors.module_state(request.user, module)
    number = 1
    if progress and progress.last_activity_iri and not progress.completed_at:
        iris = [module.step_iri(step.id) for step in module.steps]
        if progress.last_activity_iri in iris:
            index = iris.index(progress.last_activity_iri)
            last = steps.get(progress.last_activity_iri)
            finished = last is not None and last.status == ProgressStatus.COMPLETED
            number = min(index + (2 if finished else 1), len(iris))
    return redirect(_step_url(module, number))


def _submission_from(request) -> StepSubmission:
    data = request.POST
    try:
        statement_id = uuid.UUID(data.get("statement_id", ""))
    except ValueError:
        statement_id = uuid.uuid4()
    answer = data.get("answer")
    h5p = None
    if "h5p_verb" in data:
        h5p = {
            key: data.get(f"h5p_{key}", "")
            for key in ("verb", "raw", "min", "max", "scaled", "success", "completion")
        }
    return StepSubmission(
        h5p=h5p,
        statement_id=statement_id,
        answer=int(answer) if answer and answer.isdigit() else None,
        typed=tuple(data.get(f"field-{i}", "")[:200] for i in range(20) if f"field-{i}" in data),
        choices=tuple(data.get(f"message-{i}", "") for i in range(20) if f"message-{i}" in data),
    )


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@role_required(Role.LEARNER)
def module_step(request, module_id: int, number: int):
    """One step per screen. GET shows it; POST grades it on the server and records it."""
    module = selectors.module_get_live(module_id)
    steps = list(module.steps)
    if not 1 <= number <= len(steps):
        raise Http404
    if request.method == "POST":
        return _step_post(request, module, steps, number)

    progress, step_rows = selectors.module_state(request.user, module)
    feedback = None
    feedback_id = request.GET.get("retour")
    if feedback_id:
        try:
            statement = selectors.statement_for_feedback(request.user, uuid.UUID(feedback_id))
        except ValueError:
            statement = None
        if statement and statement.object_iri == module.step_iri(steps[number - 1].id):
            feedback = statement
    items = []
    for index, step in enumerate(steps, start=1):
        row = step_rows.get(module.step_iri(step.id))
        items.append(
            {
                "number": index,
                "step": step,
                "done": bool(row and row.status == ProgressStatus.COMPLETED),
                "validated": bool(row and row.is_validated_by_trainer),
                "statement_id": uuid.uuid4(),
            }
        )
    return render(
        request,
        "learning/player.html",
        {
            "module": module,
            "steps": items,
            "current": number,
            "total": len(steps),
            "feedback": feedback,
            "feedback_items": _feedback_items(feedback),
            "module_done": bool(progress and progress.completed_at),
            "has_h5p": any(step.block_type == "h5p" for step in steps),
        },
    )


def _feedback_items(statement) -> list:
    if statement is None or not isinstance(statement.response, dict):
        return []
    for key in ("answer", "fields", "choices"):
        if key in statement.response:
            return statement.response[key] if key != "answer" else [statement.response[key]]
    return []


def _step_post(request, module, steps, number: int):
    submission = _submission_from(request)
    association = selectors.learner_association(request.user, request.session)
    try:
        statement, outcome = step_submit(
            learner=request.user,
            module=module,
            step_index=number - 1,
            submission=submission,
            association=association,
        )
    except ValueError:
        message = _("Choose an answer, then press “Check”.")
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": message}, status=400)
        return redirect(_step_url(module, number) + "?choix=1")
    except StatementConflict:
        return JsonResponse({"ok": False}, status=409)
    next_url = (
        _step_url(module, number + 1)
        if number < len(steps)
        else reverse("learning:module_done", args=[module.pk])
    )
    if _wants_json(request):
        return JsonResponse(_outcome_json(statement, outcome, next_url))
    if outcome is None:
        return redirect(next_url)
    return redirect(f"{_step_url(module, number)}?retour={statement.pk}#feedback")


def _outcome_json(statement, outcome: Outcome | None, next_url: str) -> dict:
    data = {"ok": True, "statement_id": str(statement.pk), "next_url": next_url}
    if outcome is not None:
        data.update(success=outcome.success, items=outcome.items)
    return data


@role_required(Role.LEARNER)
def module_done(request, module_id: int):
    module = selectors.module_get_live(module_id)
    progress, _steps = selectors.module_state(request.user, module)
    return render(
        request,
        "learning/module_done.html",
        {"module": module, "progress": progress},
    )


@role_required(Role.LEARNER)
def attestation(request, path_id: int):
    """A PDF attestation for a finished learning path."""
    paths = {path.pk: path for path in selectors.paths_for_learner(request.user)}
    path = paths.get(path_id)
    if path is None:
        raise Http404
    modules = [item.module for item in path.path_modules.all()]
    done = {
        row.module_id: row
        for row in selectors.module_progress_for_learner(request.user)
        if row.completed_at
    }
    if not modules or any(module.pk not in done for module in modules):
        raise Http404
    association = selectors.learner_association(request.user, request.session)
    pdf = attestation_pdf(
        learner=request.user,
        path=path,
        modules=[(module, done[module.pk].completed_at) for module in modules],
        association=association,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="attestation-{path.slug}.pdf"'
    return response


@require_POST
def text_size(request):
    """Remember the text size on this device (works without JavaScript)."""
    size = request.POST.get("size", "normal")
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = redirect(target)
    if size in TEXT_SIZES:
        response.set_cookie(
            "pasapas_text_size", size, max_age=60 * 60 * 24 * 365 * 2, samesite="Lax"
        )
    return response
