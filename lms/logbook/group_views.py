"""Trainer screens for groups: a new group, its progress, its cards, its in-person sessions
(date, who came, then what each person showed)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.access import associations_for_staff, colleagues_for_staff, learners_for_trainer
from lms.accounts.cards_pdf import cards_pdf
from lms.accounts.models import User
from lms.accounts.selectors import cards_active
from lms.accounts.services import cards_issue_without_secret
from lms.forms import TypedTextField

from . import selectors
from .access import group_get_for_trainer, session_get_for_trainer
from .forms import (
    SessionForm,
    UsualSlotForm,
    ValidationsForm,
    default_slot,
    everyone_alone,
    everyone_present,
)
from .models import Group
from .services import group_create, session_log, validations_record
from .views import association_posted, pdf_response, staff_required

# --- Groups ------------------------------------------------------------------------------


@staff_required
def group_new(request):
    """Create a group: a name, a learning path, its trainers (coordinators manage them all),
    the hours it usually meets at."""
    associations = list(associations_for_staff(request.user))
    paths = selectors.paths_original()
    trainers = list(colleagues_for_staff(request.user).order_by("display_name"))
    error = None
    slot_form = UsualSlotForm(request.POST or None)
    association = None
    if request.method == "POST":
        association, error = association_posted(request)
        name = TypedTextField(cut_at=120).clean(request.POST.get("name", ""))
        path = next((p for p in paths if str(p.pk) == request.POST.get("path")), None)
        chosen = [t for t in trainers if str(t.pk) in request.POST.getlist("trainers")] or [
            request.user
        ]
        if association is None:
            pass  # the error says which association to choose
        elif not name:
            error = _("Give the group a name.")
        elif selectors.group_name_taken(association, name):
            error = _("This association already has a group with this name.")
        elif slot_form.is_valid():
            group = group_create(
                association=association,
                name=name,
                learning_path=path,
                trainers=chosen,
                by=request.user,
                usual_starts_at=slot_form.cleaned_data["usual_starts_at"],
                usual_ends_at=slot_form.cleaned_data["usual_ends_at"],
            )
            messages.success(request, _("The group is ready. Add learners to it."))
            return redirect("logbook:group", group.pk)
    return render(
        request,
        "logbook/group_new.html",
        {
            "associations": associations,
            "paths": paths,
            "trainers": trainers,
            "error": error,
            "slot_form": slot_form,
        },
        status=400 if request.method == "POST" and association is None else 200,
    )


@staff_required
def group_detail(request, group_id: int):
    group = group_get_for_trainer(request.user, group_id)
    modules, rows = selectors.group_matrix(group, today=timezone.localdate())
    return render(
        request,
        "logbook/group_detail.html",
        {"group": group, "modules": modules, "rows": rows},
    )


def _members_without_card(group: Group) -> list[User]:
    return list(
        selectors.learners_described(
            group.learners.exclude(sign_in_cards__is_active=True),
            associations=[group.association],
        ).order_by("display_name", "pk")
    )


@staff_required
def group_cards(request, group_id: int):
    """Print a card for every member: those who have none get one first, once the trainer
    has seen their names and confirmed (their cards work once they chose a secret)."""
    group = group_get_for_trainer(request.user, group_id)
    without = _members_without_card(group)
    if not without:
        return redirect("logbook:group_cards_pdf", group.pk)
    if request.method == "POST":
        cards_issue_without_secret(learners=without, association=group.association, by=request.user)
        return redirect("logbook:group_cards_pdf", group.pk)
    return render(request, "logbook/group_cards.html", {"group": group, "without": without})


@staff_required
def group_cards_pdf(request, group_id: int):
    group = group_get_for_trainer(request.user, group_id)
    if _members_without_card(group):
        return redirect("logbook:group_cards", group.pk)
    cards = (
        cards_active()
        .filter(learner__in=group.learners.all())
        .select_related("learner__learner_profile", "association")
        .order_by("learner__display_name", "learner_id")
    )
    return pdf_response(cards_pdf(cards), f"cartes-{group.name}.pdf")


# --- In-person sessions --------------------------------------------------------------------


def _session_form(request, group, session=None):
    modules = (
        selectors.group_modules(group)
        if group
        # The originals: a translation is the same activity, listed once.
        else selectors.modules_original()
    )
    association = group.association if group else session.association
    members = (
        list(
            selectors.learners_described(group.learners.all(), associations=[association]).order_by(
                "display_name", "pk"
            )
        )
        if group
        else []
    )
    others = selectors.learners_described(
        learners_for_trainer(request.user)
        .filter(memberships__association=association)
        .exclude(pk__in=[m.pk for m in members]),
        associations=[association],
    ).order_by("display_name", "pk")
    if session is not None:
        initial = {
            "held_on": session.held_on,
            "starts_at": session.starts_at,
            "ends_at": session.ends_at,
            "place": session.place,
            "note": session.note,
            "modules": [str(pk) for pk in session.modules.values_list("pk", flat=True)],
            "present": [str(pk) for pk in session.attendances.values_list("learner_id", flat=True)],
            "others": [str(pk) for pk in session.attendances.values_list("learner_id", flat=True)],
        }
    else:
        # Nobody ticked: the trainer ticks who came, or taps "Everyone came".
        starts_at, ends_at = default_slot(timezone.localtime(), group)
        initial = {
            "held_on": timezone.localdate(),
            "starts_at": starts_at,
            "ends_at": ends_at,
            "place": association.street_address,
            "modules": [str(m.pk) for m in modules[:1]],
        }
    data = request.POST or None
    if data is not None and "everyone_present" in data:
        data = everyone_present(data, members=members)
    form = SessionForm(data, initial=initial, modules=modules, members=members, others=list(others))
    return form, modules, association


def _session_saved(request, form) -> bool:
    """Whether the trainer sent the form to save it (not "Everyone came" without JavaScript,
    which shows it again with everyone ticked) and it is valid."""
    return request.method == "POST" and "everyone_present" not in request.POST and form.is_valid()


@staff_required
def session_new(request, group_id: int):
    """Screen 1 of 2: date, time (the group's usual hours), place, what was covered, who
    came (nobody ticked: "Everyone came" ticks them all)."""
    group = group_get_for_trainer(request.user, group_id)
    form, modules, association = _session_form(request, group)
    if _session_saved(request, form):
        return _session_save(request, form, association, group, modules)
    return render(request, "logbook/session_form.html", {"form": form, "group": group})


@staff_required
def session_edit(request, session_id: int):
    session = session_get_for_trainer(request.user, session_id)
    form, modules, association = _session_form(request, session.group, session)
    if _session_saved(request, form):
        return _session_save(request, form, association, session.group, modules, session)
    return render(
        request,
        "logbook/session_form.html",
        {"form": form, "group": session.group, "session": session},
    )


def _session_save(request, form, association, group, modules, session=None):
    data = form.cleaned_data
    chosen = [m for m in modules if str(m.pk) in data["modules"]]
    present_ids = {int(pk) for pk in data["present"] + data["others"]}
    present = list(learners_for_trainer(request.user).filter(pk__in=present_ids))
    session = session_log(
        association=association,
        by=request.user,
        held_on=data["held_on"],
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        place=data["place"],
        group=group,
        modules=chosen,
        present=present,
        note=data["note"],
        session=session,
    )
    return redirect("logbook:session_validations", session.pk)


@staff_required
def session_validations(request, session_id: int):
    """Screen 2 of 2: per checkpoint, how each person who came showed it ("Everyone alone",
    then the exceptions)."""
    session = session_get_for_trainer(request.user, session_id)
    checkpoints = selectors.checkpoints_for_trainer(selectors.session_modules(session))
    present = list(
        selectors.learners_described(
            learners_for_trainer(request.user).filter(attendances__session=session),
            associations=[session.association],
        ).order_by("display_name", "pk")
    )
    # A POST with no choice at all is still a save (nobody showed anything).
    data = request.POST if request.method == "POST" else None
    chosen = request.POST.get("everyone_alone")
    if chosen is not None:
        data = everyone_alone(data, learners=present, checkpoints=checkpoints, chosen=chosen)
    form = ValidationsForm(data, learners=present, checkpoints=checkpoints)
    if request.method == "POST" and chosen is None:
        if form.is_valid():
            count = validations_record(
                session=session, by=request.user, validations=form.validations()
            )
            messages.success(
                request,
                _("Session saved: %(present)s present, %(count)s validations.")
                % {"present": len(present), "count": count},
            )
            return redirect(
                reverse("logbook:group", args=[session.group_id])
                if session.group_id
                else reverse("logbook:workspace")
            )
        messages.error(request, _("One of the choices is not valid. Try again."))
    return render(
        request,
        "logbook/session_validations.html",
        {"session": session, "form": form},
    )
