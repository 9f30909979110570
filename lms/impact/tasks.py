"""Impact work that runs as background jobs (lms/accounts/jobs.py)."""

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.jobs import JobOutput, JobRefused, job_handler
from lms.db_router import replica_reads

from . import files, selectors
from .definitions import DEFINITIONS_VERSION
from .models import Programme


@job_handler("impact-export")
def impact_export(job, progress) -> JobOutput:
    """The live figures of a programme and period as a CSV, XLSX or PDF file."""
    params = job.params
    try:
        programme = Programme.objects.get(pk=params["programme"])
    except Programme.DoesNotExist as missing:
        raise JobRefused(_("This programme no longer exists.")) from missing
    progress(0, 2)
    with replica_reads():  # the worker, like the dashboard, reads the replica when there is one
        figures = selectors.figures_live(
            programme=programme,
            association_ids=params["association_ids"],
            start=date.fromisoformat(params["start"]),
            end=date.fromisoformat(params["end"]),
        )
    progress(1, 2)
    stem = f"impact-{programme.pk}-{params['start']}-{params['end']}"
    names = selectors.associations_by_id(params["association_ids"])
    info = files.ReportInfo(
        programme=programme.name,
        associations=sorted(association.name for association in names.values()),
        start=date.fromisoformat(params["start"]),
        end=date.fromisoformat(params["end"]),
        definitions_version=DEFINITIONS_VERSION,
        generated_at=timezone.localtime(),
        today=timezone.localdate(),
    )
    content, content_type, filename = files.as_file(
        figures, selectors.area_labels(), info, params["kind"], stem
    )
    progress(2, 2)
    return JobOutput(content=content, filename=filename, content_type=content_type)
