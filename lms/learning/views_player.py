"""The module player: open a module where the learner stopped, and show or grade a step.

What each step's screen is made of, and its caches, is in player.py; a step's answer is
graded and recorded by views_statements.py.
"""

import uuid

from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse

from courses.framing import render_framed
from lms.accounts.access import role_required
from lms.accounts.models import Role

from . import selectors, views_statements
from .models import ProgressStatus
from .offline import offline_key_set
from .player import StepInfo, feedback_items, player_items, step_contents, step_url


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
            # A checkpoint waiting for the trainer is behind the learner: they go on.
            finished = last is not None and last.status in (
                ProgressStatus.COMPLETED,
                ProgressStatus.AWAITING_TRAINER,
            )
            number = min(index + (2 if finished else 1), len(iris))
    return redirect(step_url(module, number))


@role_required(Role.LEARNER)
def module_step(request, module_id: int, number: int):
    """One step per screen. GET shows it; POST grades it on the server and records it."""
    if request.method == "POST":
        # Graded and recorded from the module's cached outline, without its page.
        return views_statements.step_post(request, module_id, number)
    # Kept by the offline worker (static/js/sw.js) for this session alone.
    return offline_key_set(request, _step_get(request, module_id, number))


def _step_get(request, module_id: int, number: int):
    """The module player on step `number`: every step's screen, the current one shown.

    What is the same for everyone (the module's steps, each step's frame and content) comes
    from the content cache (courses/caching.py); the learner's progress is read in one
    query, and their CSRF token, statement ids and progress dots are put in at each visit.
    """
    module = selectors.module_live_summary(module_id)
    raw_steps = [
        StepInfo(index, block_type, block_id)
        for index, (block_type, block_id) in enumerate(module.steps)
    ]
    if not 1 <= number <= len(raw_steps):
        raise Http404
    state = selectors.module_step_state(request.user, module.iri)
    feedback = None
    feedback_id = request.GET.get("retour")
    if feedback_id:
        try:
            statement = selectors.statement_for_feedback(request.user, uuid.UUID(feedback_id))
        except ValueError:
            statement = None
        if statement and statement.object_iri == module.step_iris[number - 1]:
            feedback = statement
    chosen = feedback_items(feedback)
    urls = module.urls  # Mon parcours, each step's, then the question after the last one
    csrf_token = get_token(request)
    rows = [state.steps.get(iri) for iri in module.step_iris]
    done = [bool(row and row[0] == ProgressStatus.COMPLETED) for row in rows]
    validated = [bool(row and row[1]) for row in rows]
    # The learner's answer and errors only ever show on the current step.
    personal = feedback is not None or bool(request.GET.get("choix"))
    success_nav = feedback is not None and feedback.success
    total = len(raw_steps)
    contents = step_contents(
        request,
        module,
        raw_steps,
        validated=validated,
        personal=number if personal else None,
        extra={"current": number, "feedback": feedback, "feedback_items": chosen},
    )
    items = player_items(
        module,
        raw_steps,
        contents,
        current=number,
        success_nav=success_nav,
        done=done,
        validated=validated,
        urls=urls,
        csrf_token=csrf_token,
    )
    # The page around the steps is the same for every learner on this module revision.
    return render_framed(
        request,
        "learning/player.html",
        {
            "steps": items,
            "current": number,
            "total": total,
            "feedback": feedback,
            "feedback_items": chosen,
            "module_done": state.module_done,
        },
        content={
            "module": module,
            "has_h5p": any(step.block_type == "h5p" for step in raw_steps),
        },
        key_parts=("player", module.pk, module.live_revision_id),
        slot="steps_html",
        own="".join(item["html"] for item in items),
        csrf_token=csrf_token,
    )
