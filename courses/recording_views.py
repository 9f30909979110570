"""Admin screen where an editor records each step of a module, or uploads a recording."""

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .recordings import (
    MAX_RECORDING_BYTES,
    RecordingInvalid,
    module_get_for_editor,
    page_recordings,
    recording_says,
    recording_url,
    step_recording_delete,
    step_recording_save,
    step_words,
)
from .voice import voice_language


def step_recordings(request, page_id: int):
    """Each step of the module with its words, its recording if any, and a way to record."""
    page = module_get_for_editor(request.user, page_id)
    language = voice_language(page.locale.language_code)
    recordings = page_recordings(page)
    steps = []
    for number, block in enumerate(page.steps, start=1):
        recording = recordings.get(block.id)
        steps.append(
            {
                "number": number,
                "id": block.id,
                "kind": block.block.label,
                "words": step_words(block, language),
                "recording": recording,
                "url": recording_url(recording) if recording else "",
                "words_changed": recording is not None
                and not recording_says(recording.words_digest, block, language),
            }
        )
    return TemplateResponse(
        request,
        "courses/admin/step_recordings.html",
        {
            "page": page,
            "steps": steps,
            "language": page.locale.get_display_name(),
            "max_megabytes": MAX_RECORDING_BYTES // 1024 // 1024,
            "page_title": _("Recordings of “%(title)s”") % {"title": page.title},
        },
    )


@require_POST
def step_recording_post(request, page_id: int, step_id: str):
    """Saves the recording sent for one step (recorded in the browser or a chosen file), or
    deletes it; back to the list with a message either way."""
    page = module_get_for_editor(request.user, page_id)
    if request.POST.get("action") == "delete":
        if step_recording_delete(page=page, step_id=step_id):
            messages.success(request, _("The recording is deleted."))
        return redirect("step_recordings", page_id=page.pk)
    upload = request.FILES.get("recording")
    if upload is None:
        messages.error(request, _("Record the step, or choose a sound file, then save."))
        return redirect("step_recordings", page_id=page.pk)
    # Never more than allowed read into memory: a bigger file is refused by its size.
    content = upload.read(MAX_RECORDING_BYTES + 1)
    try:
        step_recording_save(
            page=page, step_id=step_id, content=content, size=upload.size, user=request.user
        )
    except RecordingInvalid as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("The recording is saved. Learners hear it first."))
    return redirect("step_recordings", page_id=page.pk)
