"""Background jobs: heavy imports and exports run as tasks, with progress a person can follow.

A job is a row (`Job`) that says who asked for what and how far it got; the work itself is
a django-tasks task (`job_run`). In the embedded default the task runs at once, in the
request; in production (TASKS_BACKEND=database) a worker (`manage.py db_worker`) runs it and
the person watches the job's page fill up. Each kind of job registers one handler here:

    @job_handler("impact-export")
    def impact_export(job, progress) -> JobOutput: ...

A handler reports progress with `progress(done, total)`, raises `JobRefused` with a message
for the person when the input is wrong, and returns the file to download (if any).
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

from .models import Job, JobState, User

logger = logging.getLogger(__name__)


class JobRefused(Exception):
    """The job cannot be done as asked; the message says why, in the person's language."""


@dataclass
class JobOutput:
    content: bytes | None = None
    filename: str = ""
    content_type: str = "application/octet-stream"
    message: str = ""


Handler = Callable[[Job, "Progress"], JobOutput]
HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        return handler

    return register


class Progress:
    """Writes `done/total` to the job's row, at most twice a second (one UPDATE each)."""

    def __init__(self, job: Job, interval: float = 0.5):
        self.job = job
        self.interval = interval
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.last < self.interval and done < total:
            return
        self.last = now
        Job.objects.filter(pk=self.job.pk).update(progress_done=done, progress_total=total)


def job_start(
    *,
    kind: str,
    owner: User,
    params: dict,
    title: str,
    return_url: str = "",
    association=None,
) -> Job:
    """Record the job and run it now (embedded default) or queue it for the worker."""
    if kind not in HANDLERS:
        raise ValueError(f"Unknown job kind: {kind}")
    job = Job.objects.create(
        kind=kind,
        owner=owner,
        association=association,
        params=params,
        title=title,
        return_url=return_url,
        language=translation.get_language() or "",
    )
    if isinstance(job_run.get_backend(), ImmediateBackend):
        # Runs here, in this transaction, which sees the new row: no worker to wait for.
        job_run.enqueue(str(job.pk))
    else:
        # A worker reads the row from another connection: only once it is committed.
        transaction.on_commit(lambda: job_run.enqueue(str(job.pk)))
    return job


@task()
def job_run(job_id: str) -> str:
    """Run one job. A job taken by another worker, or already finished, is left alone."""
    taken = Job.objects.filter(pk=job_id, state=JobState.QUEUED).update(
        state=JobState.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not taken:
        return "skipped"
    job = Job.objects.get(pk=job_id)
    with translation.override(job.language or None):
        try:
            output = HANDLERS[job.kind](job, Progress(job))
        except JobRefused as refusal:
            return _job_finish(job, JobState.FAILED, message=str(refusal))
        except Exception:
            logger.exception("Job %s (%s) failed", job.pk, job.kind)
            return _job_finish(
                job,
                JobState.FAILED,
                message=_("Something went wrong. Nothing was changed. Please try again later."),
            )
        if output.content is not None:
            job.result.save(output.filename, ContentFile(output.content), save=False)
            job.result_name = output.filename
            job.result_type = output.content_type
        return _job_finish(job, JobState.DONE, message=output.message)


def _job_finish(job: Job, state: str, *, message: str) -> str:
    job.refresh_from_db(fields=["progress_done", "progress_total"])  # written by Progress
    job.state = state
    job.message = message
    job.finished_at = timezone.now()
    if state == JobState.DONE and job.progress_total:
        job.progress_done = job.progress_total
    job.save(
        update_fields=[
            "state",
            "message",
            "finished_at",
            "progress_done",
            "result",
            "result_name",
            "result_type",
        ]
    )
    return state


def job_get_for_owner(user: User, job_id) -> Job:
    """A person sees only their own jobs; anyone else's is "not found"."""
    return Job.objects.get(pk=job_id, owner=user)
