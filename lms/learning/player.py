"""The module player's steps: what each step's screen is made of, and its caches.

A step's screen is a frame (templates/learning/steps/step.html: number, form, buttons) around
its content (templates/learning/steps/content.html: the listen button and the step's block
template, templates/blocks/<kind>.html). Both are the same for every learner on the same
module revision, so both are cached (courses/framing.py, courses/caching.py); the learner's
CSRF token, statement ids, progress dots, answer and errors are put in at each visit.
The views are in views_player.py; lms/learning/voice.py renders a step's content too.
"""

import uuid
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from courses.blocks import STEP_KINDS
from courses.caching import content_keys, shared_get_many, shared_set_many
from courses.framing import fill, frames, stand_in
from courses.languages import lang_attribute
from courses.recordings import step_recording_url
from courses.step_kinds import StepKind

from . import selectors

# In the keys of the steps' cached frames and contents. The content version changes with
# the content, not with the code: entries written by an earlier release (in Redis, which
# outlives a deployment) would be read for up to CONTENT_CACHE_SECONDS after it. Change this
# whenever what step.html, content.html or a block template writes changes (2: a graded
# step's `data-graded`, read by static/js/player.js).
STEP_TEMPLATES = 2


def step_url(module, number: int) -> str:
    return reverse("learning:step", args=[module.pk, number])


@dataclass(frozen=True)
class StepInfo:
    """What the player needs of a step without loading its blocks' pictures and packages."""

    index: int
    block_type: str
    id: str

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def kind(self) -> StepKind:
        """What its screen shows and what its button does (courses/step_kinds.py)."""
        return STEP_KINDS[self.block_type]


def step_frames(module, steps: list[StepInfo], *, current, success_nav, urls) -> list[str]:
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
                    "answered_right": success_nav and is_current,
                },
            },
        )

    return frames(
        [
            (
                "step",
                STEP_TEMPLATES,
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
    """One step's listen button and body (templates/learning/steps/content.html, around
    the step's block template); also rendered when a module is published, to make its server voice (lms/learning/voice.py)."""
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


def step_contents(request, module, steps, *, validated, personal: int | None, extra) -> list:
    """The listen button and body of each step (templates/learning/steps/content.html).

    The same for every learner unless it shows their own answer or error: step number
    `personal` is then rendered for them alone and never cached. The others are cached per
    module revision (a new one at each publication) and language, read in one go; only a
    checkpoint differs, by whether the trainer validated it, so that flag is in the key.
    The module page itself is loaded only when a step has to be rendered.
    """
    shared = content_keys(
        *(
            (
                "step",
                STEP_TEMPLATES,
                module.pk,
                module.live_revision_id,
                step.id,
                step.number,
                int(validated[i]),
            )
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


def feedback_items(statement) -> list:
    """What the step's template needs to show its feedback without JavaScript: the quiz's
    chosen answer, or whether each part (form field, inbox message, …) was right."""
    if statement is None or not isinstance(statement.response, dict):
        return []
    for key in ("answer", "fields", "items"):
        if key in statement.response:
            return statement.response[key] if key != "answer" else [statement.response[key]]
    return []


def player_items(
    module, steps, contents, *, current, success_nav, done, validated, urls, csrf_token
) -> list[dict]:
    """Each step's screen for one visit: its frame (`step_frames`) filled with the
    learner's CSRF token, a new statement id, the progress dots and the step's content."""
    frames_ = step_frames(module, steps, current=current, success_nav=success_nav, urls=urls)
    dot = {True: '<li class="is-done"></li>', False: '<li class=""></li>'}
    dots = [dot[is_done] for is_done in done]
    items = []
    for step, step_frame, content in zip(steps, frames_, contents, strict=True):
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
    return items
