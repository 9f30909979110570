"""Trainer pages to import and export learners, groups and sessions as spreadsheets."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from lms.accounts.access import STAFF_ROLES, associations_for_staff, role_required
from lms.accounts.jobs import job_start
from lms.accounts.models import Association, JobState

from .transfer import KINDS
from .transfer_files import CONTENT_TYPES, MAX_UPLOAD_BYTES, too_big
from .transfer_services import (
    MODES,
    TEMPLATE_FORMATS,
    VALID_ROWS,
    decisions_read,
    transfer_export,
    transfer_export_record,
    transfer_preview,
    transfer_template,
)
from .transfer_store import refused_rows_download

# Room for the form's other fields around the file in a multipart body.
FORM_OVERHEAD_BYTES = 64 * 1024
FORMATS = (
    ("csv", gettext_lazy("CSV")),
    ("xlsx", gettext_lazy("Excel (XLSX)")),
    ("ods", gettext_lazy("OpenDocument (ODS)")),
)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What does the file hold?"),
        choices=[(kind, label) for kind, (_resource, label) in KINDS.items()],
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("CSV, XLSX or ODS, 10 MB at most."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.ods"}),
    )


def association_choose(request, association_id: str | None) -> tuple[Association, list]:
    """The chosen association among the user's own; any other id is a 404."""
    associations = list(associations_for_staff(request.user).order_by("name"))
    if not associations:
        raise Http404
    if not association_id:
        return associations[0], associations
    for association in associations:
        if str(association.pk) == association_id:
            return association, associations
    raise Http404


def import_page(request, *, association, associations, form, status=200, errors=()):
    refused = {"token": request.GET.get("refused", ""), "kind": request.GET.get("kind", "")}
    return render(
        request,
        "logbook/transfer_import.html",
        {
            "association": association,
            "associations": associations,
            "form": form,
            "kinds": [
                (kind, label, resource.labels()) for kind, (resource, label) in KINDS.items()
            ],
            "errors": errors,
            "templates": TEMPLATE_FORMATS,
            # After an import of the valid rows: the refused ones, to download and correct.
            "refused": refused if refused["token"] and refused["kind"] in KINDS else None,
        },
        status=status,
    )


# The size is checked before Django reads the body (and so before the CSRF check, which
# reads it): a 50 MB upload is refused without being written to disk.
@csrf_exempt
@role_required(*STAFF_ROLES)
def transfer_import(request):
    """Choose a kind and a file; posting shows the preview of what the import would do."""
    if request.method == "POST":
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES:
            association, associations = association_choose(request, request.GET.get("association"))
            return import_page(
                request,
                association=association,
                associations=associations,
                form=ImportForm(),
                status=413,
                errors=[str(too_big())],
            )
    return transfer_import_checked(request)


@csrf_protect
def transfer_import_checked(request):
    if request.method != "POST":
        association, associations = association_choose(request, request.GET.get("association"))
        return import_page(
            request, association=association, associations=associations, form=ImportForm()
        )
    association, associations = association_choose(request, request.POST.get("association"))
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return import_page(
            request, association=association, associations=associations, form=form, status=400
        )
    kind = form.cleaned_data["kind"]
    preview = transfer_preview(
        kind=kind, file=form.cleaned_data["file"], association=association, user=request.user
    )
    return preview_page(request, preview=preview, association=association)


def preview_page(request, *, preview, association, status=200):
    return render(
        request,
        "logbook/transfer_preview.html",
        {"preview": preview, "association": association, "kind_label": KINDS[preview.kind][1]},
        status=status,
    )


@require_POST
@role_required(*STAFF_ROLES)
def transfer_confirm_view(request):
    """Import the previewed file for real, as a background job, then say what changed.

    In the embedded default the job runs at once and the person is back on the import page
    with the result; with a worker (production) they follow the job on its page.
    """
    association, _associations = association_choose(request, request.POST.get("association"))
    kind = request.POST.get("kind", "")
    mode = request.POST.get("mode", "all")
    if kind not in KINDS or mode not in MODES:
        raise Http404
    token = request.POST.get("token", "")
    back = f"{reverse('transfer:import')}?association={association.pk}"
    if mode == VALID_ROWS:
        back += "&" + urlencode({"kind": kind, "refused": token})
    job = job_start(
        kind="transfer-import",
        owner=request.user,
        association=association,
        params={
            "kind": kind,
            "token": token,
            "association": association.pk,
            "mode": mode,
            "decisions": {str(key): value for key, value in decisions_read(request.POST).items()},
        },
        title=_("Import into %(association)s") % {"association": association.name},
        return_url=back,
    )
    job.refresh_from_db()
    if job.state == JobState.DONE:
        messages.success(request, job.message)
        return redirect(back)
    if job.state == JobState.FAILED:
        messages.error(request, job.message)
        return redirect(back)
    return redirect("accounts:job", job.pk)


@require_GET
@role_required(*STAFF_ROLES)
def transfer_export_page(request):
    """Links to download each kind in each format, for the chosen association."""
    association, associations = association_choose(request, request.GET.get("association"))
    return render(
        request,
        "logbook/transfer_export.html",
        {
            "association": association,
            "associations": associations,
            "kinds": [(kind, label) for kind, (_resource, label) in KINDS.items()],
            "formats": FORMATS,
        },
    )


@require_GET
@role_required(*STAFF_ROLES)
def transfer_download(request, kind: str, fmt: str):
    association, _associations = association_choose(request, request.GET.get("association"))
    if kind not in KINDS or fmt not in CONTENT_TYPES:
        raise Http404
    found = transfer_export(kind=kind, association=association, fmt=fmt)
    transfer_export_record(association=association, user=request.user, kind=kind, fmt=fmt)
    return attachment(*found)


def attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@role_required(*STAFF_ROLES)
def transfer_template_download(request, kind: str, fmt: str):
    """An empty file to fill, with the columns in the person's language."""
    association, _associations = association_choose(request, request.GET.get("association"))
    if kind not in KINDS or fmt not in TEMPLATE_FORMATS:
        raise Http404
    return attachment(*transfer_template(kind=kind, association=association, fmt=fmt))


@require_GET
@role_required(*STAFF_ROLES)
def transfer_refused_download(request, kind: str):
    """The refused rows of the person's last preview, with what to correct in each."""
    association, _associations = association_choose(request, request.GET.get("association"))
    if kind not in KINDS:
        raise Http404
    found = refused_rows_download(
        token=request.GET.get("token", ""), kind=kind, association=association, user=request.user
    )
    if found is None:
        raise Http404
    return attachment(*found)
