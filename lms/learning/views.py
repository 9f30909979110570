"""Learner screens: Mon parcours, the module player, the statement endpoint, attestations."""

import uuid
from dataclasses import dataclass

from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from courses.caching import (
    content_key,
    content_keys,
    shared_content,
    shared_get_many,
    shared_set_many,
)
from courses.cards import catalogue_cards
from courses.framing import fill, frame, frames, render_framed, stand_in
from courses.languages import lang_attribute
from courses.listening import html_for_listening
from courses.recordings import step_recording_url
from courses.voice import voice_language, voice_signature
from lms.accounts.access import role_required
from lms.accounts.models import Role

from . import selectors, views_statements
from .attestation import AttestedModule, attestation_pdf
from .models import ProgressStatus
from .offline import offline_key_set
from .progress import ModuleState
from .services import (
    SelfAssessmentInvalid,
    SelfAssessmentLevel,
    SelfAssessmentPhase,
    self_assessment_record,
)

TEXT_SIZES = ("normal", "large", "larger")


@role_required(Role.LEARNER)
def my_path(request):
    """Mon parcours: one big button to continue, the learner's modules and paths, what is done.

    Its Listen button reads the learner's own part, which changes at every visit: its words
    are made only when the learner taps (my_path_listen), not at each visit.
    """
    context = _my_path_context(request.user)
    own = _my_path_own(request.user, context)
    # The page around the learner's own part is the same for everyone.
    response = render_framed(
        request,
        "learning/my_path.html",
        context,
        content={"listen_language": voice_language(get_language())},
        key_parts=("my-path",),
        slot="own_html",
        own=own,
    )
    return offline_key_set(request, response)


@role_required(Role.LEARNER)
def my_path_listen(request):
    """The words of the learner's Mon parcours for a voice, fetched when they tap Listen."""
    language = voice_language(get_language())
    text = html_for_listening(_my_path_own(request.user, _my_path_context(request.user)), language)
    response = JsonResponse(
        {"text": text, "language": language, "signature": voice_signature(text, language)}
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


def _my_path_context(user) -> dict:
    """What Mon parcours shows of `user`: the module to continue, their modules and paths.

    The learner's own rows give ids and progress; titles and pictures come from the shared
    cards (courses/cards.py).
    """
    cards = catalogue_cards()
    card_items = _card_items()
    progress = []
    rows, enrolled = selectors.my_path_rows(user)
    for row in rows:
        row.card = cards.modules.get(row.module_id)
        if row.card:
            progress.append(row)
    by_module = {row.module_id: row for row in progress}
    # A module waiting only for a trainer's validation comes after those the learner can
    # go on with alone: "Continue" offers something to do.
    in_progress = sorted(
        (row for row in progress if row.completed_at is None),
        key=lambda row: row.state == ModuleState.AWAITING_TRAINER,
    )
    done = [row for row in progress if row.completed_at is not None]
    paths = []
    # In the catalogue's order; a path no longer published has no card and is left out.
    for path in (path for path_id, path in cards.paths.items() if path_id in enrolled):
        rows = [
            (cards.modules[module_id], by_module.get(module_id))
            for module_id in path.modules
            if module_id in cards.modules
        ]
        statuses = [ModuleState.NEW if row is None else row.state for _module, row in rows]
        done_count = sum(row is not None and row.completed_at is not None for _m, row in rows)
        paths.append(
            {
                "path": path,
                "rows": rows,
                "cards": _cards_html(
                    card_items, ((m.pk, s) for (m, _row), s in zip(rows, statuses, strict=True))
                ),
                "done": done_count,
                "total": len(rows),
                "complete": done_count == len(rows),
            }
        )
    return {
        "current": in_progress[0] if in_progress else None,
        "in_progress": in_progress,
        "many_in_progress": len(in_progress) > 1,
        "done": done,
        "in_progress_cards": _cards_html(
            card_items, ((row.module_id, row.state) for row in in_progress)
        ),
        "done_cards": _cards_html(card_items, ((row.module_id, row.state) for row in done)),
        "paths": paths,
    }


def _my_path_own(user, context: dict) -> str:
    """The learner's own part of Mon parcours (learning/my_path_own.html).

    Its shape (the module to continue, the paths and which are complete, whether there are
    several modules under way and any done) is a frame (courses/framing.py), with stand-ins
    for the learner's name, numbers and cards filled in at each visit.
    """
    current, paths = context["current"], context["paths"]
    shape = (
        current.module_id if current else "-",
        current.state if current else "-",
        ",".join(f"{item['path'].pk}{'+' * item['complete']}" for item in paths),
        int(context["many_in_progress"]),
        int(bool(context["done"])),
    )

    def shape_render() -> str:
        return render_to_string(
            "learning/my_path_own.html",
            {
                **context,
                "user": {"public_name": stand_in("name")},
                "current": current
                and {
                    "card": current.card,
                    "state": current.state,
                    "steps_completed": stand_in("current_done"),
                    "steps_total": stand_in("current_total"),
                },
                "paths": [
                    {
                        **item,
                        "cards": stand_in(f"path{i}_cards"),
                        "done": stand_in(f"path{i}_done"),
                        "total": stand_in(f"path{i}_total"),
                    }
                    for i, item in enumerate(paths)
                ],
                "in_progress_cards": stand_in("in_progress_cards"),
                "done_cards": stand_in("done_cards"),
            },
        )

    shape_frame = frame(("my-path-own", *shape), shape_render)
    values = {
        "name": escape(user.public_name),
        "in_progress_cards": context["in_progress_cards"],
        "done_cards": context["done_cards"],
    }
    if current:
        values["current_done"] = str(current.steps_completed)
        values["current_total"] = str(current.steps_total)
    for i, item in enumerate(paths):
        values[f"path{i}_cards"] = item["cards"]
        values[f"path{i}_done"] = str(item["done"])
        values[f"path{i}_total"] = str(item["total"])
    return fill(shape_frame, values)


def _card_items() -> dict[tuple[int, str], str]:
    """Each module's card on Mon parcours with each progress sign, by (module id, status):
    the same for every learner, rendered once per language and content version."""

    def build():
        signs = _progress_signs()
        return {
            (card.pk, status): render_to_string(
                "learning/includes/module_card.html", {"card": card, "status": sign}
            )
            for card in catalogue_cards().modules.values()
            for status, sign in signs.items()
        }

    return shared_content(content_key("my-path-cards"), build)


def _cards_html(items: dict, wanted) -> str:
    """The cards `wanted` ((module id, status) pairs), one after the other."""
    html = []
    for key in wanted:
        card = items.get(key)
        if card is None:  # cached apart from the cards (courses/cards.py): rendered here
            card = render_to_string(
                "learning/includes/module_card.html",
                {"card": catalogue_cards().modules[key[0]], "status": _progress_signs()[key[1]]},
            )
        html.append(card)
    return mark_safe("\n    ".join(html))  # noqa: S308 (our template)


def _progress_signs() -> dict[str, str]:
    """The progress signs (components/progress_status.html), one per ModuleState, rendered
    once per language and content version: Mon parcours shows one per card."""

    def build():
        return {
            str(state): render_to_string("components/progress_status.html", {"status": state})
            for state in ModuleState
        }

    signs = shared_content(content_key("progress-signs"), build)
    return {status: mark_safe(html) for status, html in signs.items()}  # noqa: S308 (ours)


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
            # A checkpoint waiting for the trainer is behind the learner: they go on.
            finished = last is not None and last.status in (
                ProgressStatus.COMPLETED,
                ProgressStatus.AWAITING_TRAINER,
            )
            number = min(index + (2 if finished else 1), len(iris))
    return redirect(_step_url(module, number))


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
    feedback_items = _feedback_items(feedback)
    urls = module.urls  # Mon parcours, each step's, then the question after the last one
    csrf_token = get_token(request)
    rows = [state.steps.get(iri) for iri in module.step_iris]
    done = [bool(row and row[0] == ProgressStatus.COMPLETED) for row in rows]
    validated = [bool(row and row[1]) for row in rows]
    # The learner's answer and errors only ever show on the current step.
    personal = feedback is not None or bool(request.GET.get("choix"))
    success_nav = feedback is not None and feedback.success
    total = len(raw_steps)
    contents = _step_contents(
        request,
        module,
        raw_steps,
        validated=validated,
        personal=number if personal else None,
        extra={"current": number, "feedback": feedback, "feedback_items": feedback_items},
    )
    step_frames = _step_frames(
        module, raw_steps, current=number, success_nav=success_nav, urls=urls
    )
    dot = {True: '<li class="is-done"></li>', False: '<li class=""></li>'}
    dots = [dot[is_done] for is_done in done]
    items = []
    for step, step_frame, content in zip(raw_steps, step_frames, contents, strict=True):
        statement_id = uuid.uuid4()
        step_dots = dots.copy()
        step_dots[step.index] = '<li class="is-current"></li>'
        html = fill(
            step_frame,
            {
                "csrf": csrf_token,
                "statement_id": str(statement_id),
                "dots": "".join(step_dots),
                "content": content,
            },
        )
        items.append(
            {
                "number": step.number,
                "step": step,
                "html": mark_safe(html),  # noqa: S308 (our templates; values escaped or ours)
                "done": done[step.index],
                "validated": validated[step.index],
                "statement_id": statement_id,
            }
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
            "feedback_items": feedback_items,
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


@dataclass(frozen=True)
class StepInfo:
    """What the player needs of a step without loading its blocks' pictures and packages."""

    index: int
    block_type: str
    id: str

    @property
    def number(self) -> int:
        return self.index + 1


def _step_frames(module, steps: list[StepInfo], *, current, success_nav, urls) -> list[str]:
    """Each step's frame (courses/framing.py): its number, form and buttons, with stand-ins
    for the learner's CSRF token, statement id, progress dots and the step's content.

    The same for everyone on the same step of the same module revision, with only whether
    it is the step shown and whether "Next" replaces "Check" after a right answer in the
    key; all read in one go.
    """
    total = len(steps)

    def render(index: int) -> str:
        step = steps[index]
        is_current = step.number == current
        return render_to_string(
            "learning/steps/step.html",
            {
                "module": module,
                "total": total,
                "current": step.number if is_current else 0,
                "feedback": {"success": True} if success_nav and is_current else None,
                "csrf_token": stand_in("csrf"),
                "item": {
                    "number": step.number,
                    "step": step,
                    "url": urls[step.number],
                    "back_url": urls[step.number - 1],
                    "next_url": urls[step.number + 1],
                    "statement_id": stand_in("statement_id"),
                    "dots": stand_in("dots"),
                    "content": stand_in("content"),
                },
            },
        )

    return frames(
        [
            (
                "step",
                module.pk,
                module.live_revision_id,
                step.id,
                step.number,
                total,
                int(step.number == current),
                int(success_nav and step.number == current),
            )
            for step in steps
        ],
        render,
    )


def step_content_html(page, index: int, *, number: int, validated: bool, request, extra) -> str:
    """One step's listen button and body (templates/learning/steps/content.html); also
    rendered when a module is published, to make its server voice (lms/learning/voice.py)."""
    block = page.steps[index]
    context = {
        "step": block,
        "value": block.value,
        "number": number,
        "item": {"validated": validated},
        # The editors' language, said on their text when the interface's differs.
        "content_language": page.locale.language_code,
        "content_lang": lang_attribute(page.locale.language_code),
        # Played first by Listen: an editor's recording of this step (courses/recordings.py).
        "recording": step_recording_url(page, block),
        "request": request,
        **extra,
    }
    return render_to_string("learning/steps/content.html", context)


def _step_contents(request, module, steps, *, validated, personal: int | None, extra) -> list:
    """The listen button and body of each step (templates/learning/steps/content.html).

    The same for every learner unless it shows their own answer or error: step number
    `personal` is then rendered for them alone and never cached. The others are cached per
    module revision (a new one at each publication) and language, read in one go; only a
    checkpoint differs, by whether the trainer validated it, so that flag is in the key.
    The module page itself is loaded only when a step has to be rendered.
    """
    shared = content_keys(
        *(
            ("step", module.pk, module.live_revision_id, step.id, step.number, int(validated[i]))
            for i, step in enumerate(steps)
        )
    )
    keys = [
        None if step.number == personal else key for step, key in zip(steps, shared, strict=True)
    ]
    found = shared_get_many([key for key in keys if key is not None])
    missing = {}
    page = None
    contents = []
    for i, (step, key) in enumerate(zip(steps, keys, strict=True)):
        html = found.get(key) if key is not None else None
        if html is None:
            if page is None:
                page = selectors.module_get_live(module.pk)
            is_personal = key is None
            html = step_content_html(
                page,
                step.index,
                number=step.number,
                validated=validated[i],
                # Not the learner's request: only what content.html reads of it.
                request=request if is_personal else None,
                extra=extra if is_personal else {"current": extra["current"]},
            )
            if key is not None:
                missing[key] = html
        contents.append(html)
    if missing:
        shared_set_many(missing)
    return contents


def _feedback_items(statement) -> list:
    """What the step's template needs to show its feedback without JavaScript: the quiz's
    chosen answer, or whether each part (form field, inbox message, …) was right."""
    if statement is None or not isinstance(statement.response, dict):
        return []
    for key in ("answer", "fields", "items"):
        if key in statement.response:
            return statement.response[key] if key != "answer" else [statement.response[key]]
    return []


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


@role_required(Role.LEARNER)
def attestation(request, path_id: int):
    """A PDF attestation for a finished learning path."""
    paths = {path.pk: path for path in selectors.paths_for_learner(request.user)}
    path = paths.get(path_id)
    if path is None:
        raise Http404
    modules = [item.module for item in path.path_modules.all()]
    # By IRI: a module done in Dutch counts for the French path (translations share it).
    done = {
        row.module_iri: row
        for row in selectors.module_progress_for_learner(request.user)
        if row.completed_at
    }
    if not modules or any(module.iri not in done for module in modules):
        raise Http404
    association = selectors.learner_association(request.user, request.session)
    validations = selectors.trainer_validations(request.user, [m.iri for m in modules])
    pdf = attestation_pdf(
        learner=request.user,
        path=path,
        modules=[
            AttestedModule(module, done[module.iri].completed_at, validations.get(module.iri))
            for module in modules
        ],
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
    # A URL, never a view name: redirect("abc") would look "abc" up and fail with a 500.
    response = HttpResponseRedirect(target)
    if size in TEXT_SIZES:
        response.set_cookie(
            "pasapas_text_size", size, max_age=60 * 60 * 24 * 365 * 2, samesite="Lax"
        )
    return response
