"""Personal data screens: a learner's export, correction, erasure, consents; register; audit.

Who may do what: trainers and coordinators of the learner's association may export a
learner's data (the learner usually asks the person they see each week), correct it and
record or withdraw a consent. Only a coordinator may erase a learner: erasure is final and
removes the person from every association. The register and the audit trail are for
coordinators (and superusers).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.accounts.access import (
    STAFF_ROLES,
    is_coordinator,
    learner_get_for_coordinator,
    learner_get_for_trainer,
    role_required,
)
from lms.accounts.audit import audit_rows
from lms.accounts.consents import consent_give, consent_withdraw
from lms.accounts.models import ConsentPurpose, Role
from lms.logbook.forms import EraseForm, LearnerEditForm

from .erasure import ErasureRefused, learner_erase
from .export import learner_data_export, learner_export_record
from .export_sections import learner_data_sections
from .rectification import learner_identity, learner_rectify
from .register import register_rows
from .selectors import audit_entries_for_coordinator, learner_association_for

staff_required = role_required(*STAFF_ROLES)
coordinator_required = role_required(Role.COORDINATOR)
AUDIT_PAGE_SIZE = 50


def coordinator_or_superuser_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_superuser or is_coordinator(request.user)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _learner_data_exported(request, learner_id: int, kind: str):
    """The learner (through the funnel) and everything held about them, the export logged."""
    learner = learner_get_for_trainer(request.user, learner_id)
    data = learner_data_export(learner)
    learner_export_record(
        learner=learner,
        by=request.user,
        association=learner_association_for(request.user, learner),
        kind=kind,
    )
    return learner, data


@staff_required
def learner_data_json(request, learner_id: int):
    learner, data = _learner_data_exported(request, learner_id, "json")
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="donnees-apprenant-{learner.pk}.json"'
    return response


@staff_required
def learner_data(request, learner_id: int):
    """Everything held about the learner, readable and printable, to hand to them."""
    learner, data = _learner_data_exported(request, learner_id, "html")
    return render(
        request,
        "privacy/learner_data.html",
        {"learner": learner, "data": data, "sections": learner_data_sections(data)},
    )


@staff_required
def learner_edit(request, learner_id: int):
    learner = learner_get_for_trainer(request.user, learner_id)
    form = LearnerEditForm(request.POST or None, initial=learner_identity(learner))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in LearnerEditForm.FIELDS}
        changed = learner_rectify(
            learner=learner,
            by=request.user,
            association=learner_association_for(request.user, learner),
            **changes,
        )
        if changed:
            messages.success(request, _("The changes are saved."))
        else:
            messages.success(request, _("Nothing was changed."))
        return redirect("logbook:learner", learner.pk)
    return render(request, "privacy/learner_edit.html", {"learner": learner, "form": form})


@coordinator_required
def learner_erase_view(request, learner_id: int):
    """A confirmation page that says what goes and what stays; POST erases."""
    learner = learner_get_for_coordinator(request.user, learner_id, include_erased=True)
    if learner.erased_at:
        # A second click, or the back button: the work is already done.
        messages.success(request, _("This person's data is already erased."))
        return redirect("logbook:learners")
    form = EraseForm(request.POST or None, expected=learner.public_name)
    if request.method == "POST" and form.is_valid():
        name = learner.public_name
        try:
            learner_erase(
                learner=learner,
                by=request.user,
                association=learner_association_for(request.user, learner),
            )
        except ErasureRefused:
            messages.error(
                request,
                _(
                    "This person also works in an association or for a funder. "
                    "Ask an administrator to erase their account."
                ),
            )
            return redirect("logbook:learner", learner.pk)
        messages.success(
            request,
            _("The personal data of %(name)s is erased. The anonymous figures stay.")
            % {"name": name},
        )
        return redirect("logbook:learners")
    return render(
        request,
        "privacy/learner_erase.html",
        {
            "learner": learner,
            "form": form,
            "associations": [
                m.association
                for m in learner.memberships.filter(role=Role.LEARNER, is_active=True)
                .select_related("association")
                .order_by("association__name")
            ],
        },
    )


@staff_required
@require_POST
def learner_consent(request, learner_id: int):
    """Record or withdraw one consent, from the buttons on the learner's page."""
    learner = learner_get_for_trainer(request.user, learner_id)
    purpose = request.POST.get("purpose", "")
    if purpose not in ConsentPurpose.values:
        messages.error(request, _("This choice is not valid. Try again."))
        return redirect("logbook:learner", learner.pk)
    association = learner_association_for(request.user, learner)
    if request.POST.get("action") == "withdraw":
        consent_withdraw(learner=learner, purpose=purpose, by=request.user, association=association)
        messages.success(request, _("The consent is withdrawn."))
    else:
        consent_give(learner=learner, purpose=purpose, by=request.user, association=association)
        messages.success(request, _("The consent is recorded."))
    return redirect("logbook:learner", learner.pk)


@coordinator_or_superuser_required
def register(request):
    """The register of processing activities (GDPR art. 30), generated from the code."""
    return render(request, "privacy/register.html", {"activities": register_rows()})


@coordinator_or_superuser_required
def audit_log(request):
    """Every change made by staff in the coordinator's associations: who, when, before, after."""
    learner_id = request.GET.get("apprenant", "")
    learner = None
    if learner_id.isdigit():
        learner = learner_get_for_trainer(request.user, int(learner_id))
    entries = audit_entries_for_coordinator(
        request.user, learner_id=learner.pk if learner else None
    )
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "privacy/audit_log.html",
        {
            "page": page,
            "rows": audit_rows(page.object_list, viewer=request.user),
            "learner": learner,
        },
    )
