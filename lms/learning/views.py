"""Learner screens around a module: the question before and after it, "well done", and the
text size. Mon parcours is in views_my_path.py, the module player in views_player.py."""

from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses.framing import TEXT_SIZE_COOKIE, TEXT_SIZES
from lms.accounts.access import role_required
from lms.accounts.models import Role

from . import selectors
from .models import ProgressStatus
from .player import step_url
from .services import (
    SelfAssessmentInvalid,
    SelfAssessmentLevel,
    SelfAssessmentPhase,
    self_assessment_record,
)

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
        request, module, phase=SelfAssessmentPhase.START, next_url=step_url(module, 1)
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
    progress, steps = selectors.module_state(request.user, module)
    awaiting = sum(row.status == ProgressStatus.AWAITING_TRAINER for row in steps.values())
    return render(
        request,
        "learning/module_done.html",
        {
            "module": module,
            "progress": progress,
            "steps_awaiting_trainer": awaiting,
            "next_module": selectors.next_module(request.user, module),
        },
    )


@require_POST
def text_size(request):
    """Remember the text size on this device (works without JavaScript)."""
    size = request.POST.get("size", "normal")
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    # A URL, never a view name: redirect("abc") would look "abc" up and fail with a 500.
    response = HttpResponseRedirect(target)
    if size in TEXT_SIZES:
        response.set_cookie(TEXT_SIZE_COOKIE, size, max_age=60 * 60 * 24 * 365 * 2, samesite="Lax")
    return response
