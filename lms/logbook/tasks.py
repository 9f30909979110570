"""Trainer work that runs as background jobs (lms/accounts/jobs.py): confirmed imports."""

from django.utils.translation import gettext as _

from lms.accounts.jobs import JobOutput, JobRefused, job_handler
from lms.accounts.models import Association

from .transfer_services import ALL_OR_NOTHING, decisions_read, transfer_confirm


@job_handler("transfer-import")
def transfer_import(job, progress) -> JobOutput:
    """Import a previewed file for real, all or nothing, reporting rows as they go."""
    params = job.params
    try:
        association = Association.objects.get(pk=params["association"])
    except Association.DoesNotExist as missing:
        raise JobRefused(_("This association no longer exists.")) from missing
    preview = transfer_confirm(
        kind=params["kind"],
        token=params["token"],
        association=association,
        user=job.owner,
        mode=params.get("mode", ALL_OR_NOTHING),
        decisions=decisions_read(params.get("decisions", {})),
        progress=progress,
        job=job,
    )
    if not preview.is_committed:
        errors = preview.errors or [
            _("Some rows could not be imported; nothing was saved. Check the file and try again.")
        ]
        raise JobRefused(" ".join(str(error) for error in errors))
    if preview.totals["error"]:
        message = _(
            "Import done in %(association)s: %(new)s added, %(update)s updated, "
            "%(skip)s unchanged, %(error)s refused (download them below to correct them)."
        )
    else:
        message = _(
            "Import done in %(association)s: %(new)s added, %(update)s updated, %(skip)s unchanged."
        )
    return JobOutput(message=message % {"association": association.name, **preview.totals})
