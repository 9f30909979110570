"""Background jobs: queued, run once, followed by their owner, refused with a message."""

import pytest
from django.urls import reverse

from lms.accounts.jobs import JobOutput, JobRefused, job_handler, job_run, job_start
from lms.accounts.models import Job, JobState
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@job_handler("test-count")
def count_to(job, progress) -> JobOutput:
    total = job.params["to"]
    if total < 0:
        raise JobRefused("Le nombre doit être positif.")
    if total == 13:
        raise RuntimeError("unlucky")
    for done in range(1, total + 1):
        progress(done, total)
    return JobOutput(
        content=",".join(str(n) for n in range(1, total + 1)).encode(),
        filename="count.csv",
        content_type="text/csv",
        message=f"{total} lignes",
    )


def start(owner, to, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = job_start(kind="test-count", owner=owner, params={"to": to}, title="Compter")
    job.refresh_from_db()
    return job


def test_a_job_runs_and_its_owner_downloads_the_result(client, django_capture_on_commit_callbacks):
    owner = UserFactory()
    job = start(owner, 5, django_capture_on_commit_callbacks)
    assert job.state == JobState.DONE
    assert (job.progress_done, job.progress_total, job.percent) == (5, 5, 100)
    assert job.message == "5 lignes"
    client.force_login(owner)
    page = client.get(reverse("accounts:job", args=[job.pk]))
    assert page.status_code == 200
    assert reverse("accounts:job_download", args=[job.pk]) in page.content.decode()
    download = client.get(reverse("accounts:job_download", args=[job.pk]))
    assert download["Content-Disposition"].startswith('attachment; filename="count.csv"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == b"1,2,3,4,5"


def test_the_result_is_not_stored_in_the_public_media_folder(
    settings, django_capture_on_commit_callbacks
):
    job = start(UserFactory(), 2, django_capture_on_commit_callbacks)
    assert str(settings.JOB_FILES_ROOT) in job.result.path
    assert not job.result.path.startswith(str(settings.MEDIA_ROOT))


def test_nobody_else_sees_the_job_or_its_file(client, django_capture_on_commit_callbacks):
    job = start(UserFactory(), 3, django_capture_on_commit_callbacks)
    client.force_login(UserFactory())
    assert client.get(reverse("accounts:job", args=[job.pk])).status_code == 404
    assert client.get(reverse("accounts:job_download", args=[job.pk])).status_code == 404


def test_a_refused_job_says_why(client, django_capture_on_commit_callbacks):
    owner = UserFactory()
    job = start(owner, -1, django_capture_on_commit_callbacks)
    assert job.state == JobState.FAILED
    assert job.message == "Le nombre doit être positif."
    assert not job.result
    client.force_login(owner)
    answer = client.get(reverse("accounts:job", args=[job.pk]), {"format": "json"}).json()
    assert answer["state"] == "failed"
    assert answer["message"] == "Le nombre doit être positif."
    assert answer["download_url"] == ""


def test_a_crash_is_logged_and_the_person_gets_a_plain_message(
    caplog, django_capture_on_commit_callbacks
):
    job = start(UserFactory(), 13, django_capture_on_commit_callbacks)
    assert job.state == JobState.FAILED
    assert "Nothing was changed" in job.message or "Rien n’a été changé" in job.message
    assert "unlucky" in caplog.text


def test_a_job_delivered_twice_runs_once(django_capture_on_commit_callbacks):
    job = start(UserFactory(), 2, django_capture_on_commit_callbacks)
    assert job_run.call(str(job.pk)) == "skipped"
    job.refresh_from_db()
    assert job.attempts == 1


def test_with_a_worker_the_job_waits_until_the_worker_runs_it(
    client, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    owner = UserFactory()
    job = start(owner, 4, django_capture_on_commit_callbacks)
    assert job.state == JobState.QUEUED
    client.force_login(owner)
    waiting = client.get(reverse("accounts:job", args=[job.pk]), {"format": "json"}).json()
    assert (waiting["state"], waiting["percent"]) == ("queued", 0)
    job_run.call(str(job.pk))  # what `manage.py db_worker` does
    done = client.get(reverse("accounts:job", args=[job.pk]), {"format": "json"}).json()
    assert (done["state"], done["percent"]) == ("done", 100)
    assert done["download_url"]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        job_start(kind="nope", owner=UserFactory(), params={}, title="x")
    assert not Job.objects.exists()
