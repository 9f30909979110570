"""Learner screens: Mon parcours, the module player, the statement endpoint, attestations."""

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses.caching import CONTENT_CACHE_SECONDS, content_key
from courses.cards import catalogue_cards
from lms.accounts.access import role_required
from lms.accounts.models import Role

from . import selectors
from .attestation import attestation_pdf
from .grading import Outcome
from .models import ProgressStatus
from .services import (
    SelfAssessmentInvalid,
    SelfAssessmentLevel,
    SelfAssessmentPhase,
    StatementConflict,
    StepSubmission,
    self_assessment_record,
    step_submission_parse,
    step_submit,
)

TEXT_SIZES = ("normal", "large", "larger")


@role_required(Role.LEARNER)
def my_path(request):
    """Mon parcours: one big button to continue, the learner's modules and paths, what is done.

    The learner's own rows give ids and progress; titles and pictures come from the shared
    cards (courses/cards.py).
    """
    cards = catalogue_cards()
    progress = []
    for row in selectors.module_progress_rows(request.user):
        row.card = cards.modules.get(row.module_id)
        if row.card:
            progress.append(row)
    by_module = {row.module_id: row for row in progress}
    in_progress = [row for row in progress if row.completed_at is None]
    paths = []
    enrolled = set(selectors.enrolled_path_ids(request.user))
    # In the catalogue's order; a path no longer published has no card and is left out.
    for path in (path for path_id, path in cards.paths.items() if path_id in enrolled):
        rows = [
            (cards.modules[module_id], by_module.get(module_id))
            for module_id in path.modules
            if module_id in cards.modules
        ]
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
    if selectors.outcome_start_due(request.user, module, progress):
        return redirect(reverse("learning:outcome_start", args=[module.pk]))
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
    try:
        statement_id = uuid.UUID(request.POST.get("statement_id", ""))
    except ValueError:
        statement_id = uuid.uuid4()
    return step_submission_parse(request.POST, statement_id=statement_id)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@role_required(Role.LEARNER)
def module_step(request, module_id: int, number: int):
    """One step per screen. GET shows it; POST grades it on the server and records it."""
    module = selectors.module_get_live(module_id)
    if request.method == "POST":
        steps = list(module.steps)
        if not 1 <= number <= len(steps):
            raise Http404
        return _step_post(request, module, steps, number)
    # The raw stream: block types and ids without loading the pictures, documents and
    # H5P packages the blocks point at (the cached content below does not need them).
    raw_steps = [
        StepInfo(index, raw["type"], raw.get("id"))
        for index, raw in enumerate(module.steps.raw_data)
    ]
    if not 1 <= number <= len(raw_steps):
        raise Http404

    progress, step_rows = selectors.module_state(request.user, module)
    feedback = None
    feedback_id = request.GET.get("retour")
    if feedback_id:
        try:
            statement = selectors.statement_for_feedback(request.user, uuid.UUID(feedback_id))
        except ValueError:
            statement = None
        if statement and statement.object_iri == module.step_iri(raw_steps[number - 1].id):
            feedback = statement
    feedback_items = _feedback_items(feedback)
    # Each address once, not in the template for every button of every step.
    urls = [_step_url(module, step.number) for step in raw_steps]
    urls = [reverse("learning:my_path"), *urls, reverse("learning:outcome_end", args=[module.pk])]
    csrf_token = get_token(request)
    rows = [step_rows.get(module.step_iri(step.id)) for step in raw_steps]
    done = [bool(row and row.status == ProgressStatus.COMPLETED) for row in rows]
    items = []
    for step, row in zip(raw_steps, rows, strict=True):
        validated = bool(row and row.is_validated_by_trainer)
        # The learner's answer and errors only ever show on the current step.
        is_current = step.number == number
        personal = is_current and (feedback is not None or request.GET.get("choix"))
        content = _step_content(
            request,
            module,
            step,
            validated=validated,
            personal=personal,
            extra={"current": number, "feedback": feedback, "feedback_items": feedback_items},
        )
        frame = _step_frame(
            module,
            step,
            total=len(raw_steps),
            is_current=is_current,
            success_nav=bool(is_current and feedback is not None and feedback.success),
            urls=(urls[step.number], urls[step.number - 1], urls[step.number + 1]),
        )
        statement_id = uuid.uuid4()
        dots = "".join(
            '<li class="is-current"></li>'
            if index == step.index
            else ('<li class="is-done"></li>' if is_done else '<li class=""></li>')
            for index, is_done in enumerate(done)
        )
        html = (
            frame.replace(FRAME_MARKS["csrf"], csrf_token)
            .replace(FRAME_MARKS["statement_id"], str(statement_id))
            .replace(FRAME_MARKS["dots"], dots)
            .replace(FRAME_MARKS["content"], content)  # last: editors' text is never searched
        )
        items.append(
            {
                "number": step.number,
                "step": step,
                "html": mark_safe(html),  # noqa: S308 (our templates; values escaped or ours)
                "done": done[step.index],
                "validated": validated,
                "statement_id": statement_id,
            }
        )
    return render(
        request,
        "learning/player.html",
        {
            "module": module,
            "steps": items,
            "current": number,
            "total": len(raw_steps),
            "feedback": feedback,
            "feedback_items": feedback_items,
            "module_done": bool(progress and progress.completed_at),
            "has_h5p": any(step.block_type == "h5p" for step in raw_steps),
        },
    )


@dataclass(frozen=True)
class StepInfo:
    """What the player needs of a step without loading its blocks' pictures and packages."""

    index: int
    block_type: str
    id: str

    @property
    def number(self) -> int:
        return self.index + 1


# Stand-ins for what differs at each visit in a cached step frame (templates/learning/steps/
# step.html): private-use characters, which neither the template nor escaping ever writes.
FRAME_MARKS = {name: f"\ue000{name}\ue000" for name in ("csrf", "statement_id", "dots", "content")}


def _step_frame(module, step: StepInfo, *, total, is_current, success_nav, urls) -> str:
    """One step's frame (its number, form and buttons) with FRAME_MARKS for the rest.

    The same for everyone on the same step of the same module revision: cached, with only
    whether it is the step shown and whether "Next" replaces "Check" after a right answer
    in the key. The learner's CSRF token, statement id, progress dots and personal content
    are put in its marks at each visit.
    """
    key = content_key(
        "frame",
        module.pk,
        module.live_revision_id,
        step.id,
        step.number,
        total,
        int(is_current),
        int(success_nav),
    )
    frame = cache.get(key)
    if frame is None:
        url, back_url, next_url = urls
        frame = render_to_string(
            "learning/steps/step.html",
            {
                "module": module,
                "total": total,
                "current": step.number if is_current else 0,
                "feedback": {"success": True} if success_nav else None,
                "csrf_token": FRAME_MARKS["csrf"],
                "item": {
                    "number": step.number,
                    "step": step,
                    "url": url,
                    "back_url": back_url,
                    "next_url": next_url,
                    "statement_id": FRAME_MARKS["statement_id"],
                    "dots": mark_safe(FRAME_MARKS["dots"]),  # noqa: S308 (a constant)
                    "content": mark_safe(FRAME_MARKS["content"]),  # noqa: S308 (a constant)
                },
            },
        )
        cache.set(key, frame, CONTENT_CACHE_SECONDS)
    return frame


def _step_content(request, module, step: StepInfo, *, validated: bool, personal: bool, extra):
    """The listen button and body of one step (templates/learning/steps/content.html).

    The same for every learner unless it shows their own answer or error (`personal`):
    then it is rendered for them alone and never cached. Otherwise it is cached per module
    revision (a new one at each publication) and language; only a checkpoint differs, by
    whether the trainer validated it, so that flag is part of the key.
    """
    key = None
    if not personal:
        key = content_key(
            "step", module.pk, module.live_revision_id, step.id, step.number, int(validated)
        )
        html = cache.get(key)
        if html is not None:
            return mark_safe(html)  # noqa: S308 (rendered by our own template below)
    block = module.steps[step.index]
    context = {
        "step": block,
        "value": block.value,
        "number": step.number,
        "item": {"validated": validated},
        # Not the learner's request: only what content.html reads of it.
        "request": request if personal else None,
        **(extra if personal else {"current": extra["current"]}),
    }
    html = render_to_string("learning/steps/content.html", context)
    if key is not None:
        cache.set(key, html, CONTENT_CACHE_SECONDS)
    return mark_safe(html)  # noqa: S308 (rendered by our own template)


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
        # The page sent an id already used for another step (a copied or replayed form).
        message = _(
            "This answer was already sent from another page. Reload the page, then try again."
        )
        if _wants_json(request):
            return JsonResponse({"ok": False, "message": message}, status=409)
        messages.error(request, message)
        return redirect(_step_url(module, number))
    next_url = (
        _step_url(module, number + 1)
        if number < len(steps)
        else reverse("learning:outcome_end", args=[module.pk])
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


# Pictures of the three answers, from "not yet" to "alone" (static/img/outcome-*.svg).
OUTCOME_PICTURES = {
    SelfAssessmentLevel.NOT_YET: "img/outcome-not-yet.svg",
    SelfAssessmentLevel.WITH_HELP: "img/outcome-with-help.svg",
    SelfAssessmentLevel.ALONE: "img/outcome-alone.svg",
}


@role_required(Role.LEARNER)
def outcome_start(request, module_id: int):
    """Before step 1: "Can you do it on your own?" Asked once; see selectors.outcome_start_due."""
    module = selectors.module_get_live(module_id)
    progress, _steps = selectors.module_state(request.user, module)
    if not selectors.outcome_start_due(request.user, module, progress):
        # Answered already (a double tap, the back button) or begun: carry on where they are.
        return redirect(reverse("learning:module", args=[module.pk]))
    return _outcome_question(
        request, module, phase=SelfAssessmentPhase.START, next_url=_step_url(module, 1)
    )


@role_required(Role.LEARNER)
def outcome_end(request, module_id: int):
    """After the last step, before "Well done": the same question, to see what changed."""
    module = selectors.module_get_live(module_id)
    done_url = reverse("learning:module_done", args=[module.pk])
    if not selectors.outcome_end_due(request.user, module):
        return redirect(done_url)
    return _outcome_question(request, module, phase=SelfAssessmentPhase.END, next_url=done_url)


def _outcome_question(request, module, *, phase: str, next_url: str):
    """One question, three picture buttons, a plain POST form; "Skip" is a link to `next_url`.

    Skipping stores nothing. A wrong or missing choice shows the question again with a
    kind message; it cannot block the learner, who can still skip.
    """
    error = ""
    if request.method == "POST":
        try:
            self_assessment_record(
                learner=request.user,
                module=module,
                phase=phase,
                level=request.POST.get("level", ""),
                association=selectors.learner_association(request.user, request.session),
            )
        except SelfAssessmentInvalid:
            error = _("Press one of the three pictures.")
        else:
            return redirect(next_url)
    levels = [
        {"value": level.value, "label": level.label, "picture": OUTCOME_PICTURES[level]}
        for level in SelfAssessmentLevel
    ]
    return render(
        request,
        "learning/outcome.html",
        {
            "module": module,
            "phase": phase,
            "levels": levels,
            "next_url": next_url,
            "error": error,
        },
        status=400 if error else 200,
    )


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
