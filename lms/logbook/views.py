"""Trainer and coordinator screens: the workspace, learners and their cards, a learner who
already has a card, two records of one person, the association's trainers. Groups and their
in-person sessions are in group_views.py; spreadsheets in transfer_views.py."""

from django.contrib import messages
from django.contrib.auth import login
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.accounts.access import (
    STAFF_ROLES,
    associations_for_coordinator,
    associations_for_staff,
    coordinates_learner,
    is_coordinator,
    learner_get_for_trainer,
    learners_for_trainer,
    role_required,
    trainer_memberships_for_coordinator,
    trainers_for_coordinator,
)
from lms.accounts.backends import USER_BACKEND
from lms.accounts.cards_pdf import cards_pdf
from lms.accounts.consents import consents_for
from lms.accounts.devices import device_trust
from lms.accounts.languages import person_language_apply
from lms.accounts.models import Role
from lms.accounts.naming import belonging_to
from lms.accounts.selectors import cards_active, sign_in_events_for_learner
from lms.accounts.services import (
    CardLocked,
    card_assisted_record,
    card_check_secret,
    card_has_secret,
    card_is_locked,
    card_issue,
    card_needs_trainer,
    card_secret_set,
    card_unlock,
    short_code_normalise,
)
from lms.forms import search_query
from lms.learning.selectors import module_progress_for_learner, module_row_state, scores_for_learner

from . import selectors
from .forms import (
    AssociationChoiceForm,
    CardForm,
    CardSecretForm,
    DuplicateForm,
    LearnerForm,
    TrainerDeactivateForm,
    TrainerForm,
)
from .people import homonym_ids
from .services import (
    group_learners_add,
    learner_create,
    learner_join,
    learner_merge,
    trainer_add,
    trainer_deactivate,
)

staff_required = role_required(*STAFF_ROLES)


@staff_required
def workspace(request):
    """The trainer's home: their associations, groups and latest sessions."""
    associations = list(associations_for_staff(request.user))
    return render(
        request,
        "logbook/workspace.html",
        {
            "associations": associations,
            "groups": selectors.groups_for_trainer(associations),
            "sessions": selectors.recent_sessions(associations),
            "learner_count": learners_for_trainer(request.user).count(),
        },
    )


def association_posted(request, associations=None):
    """(association, error): the association the form posted, among the person's own (the
    first when none was posted); None and a message in their language for any other value."""
    if associations is None:
        associations = associations_for_staff(request.user)
    form = AssociationChoiceForm(request.POST, associations=associations)
    return form.chosen(), form.error()


# --- Learners ----------------------------------------------------------------------------


@staff_required
def learners(request):
    query = search_query(request.GET, cut_at=80)
    associations = list(associations_for_staff(request.user))
    people = learners_for_trainer(request.user)
    if query:
        people = people.filter(
            Q(display_name__icontains=query) | Q(learner_profile__family_name__icontains=query)
        )
    people = list(
        selectors.learners_described(people, associations=associations).order_by(
            "display_name", "learner_profile__family_name", "pk"
        )[:200]
    )
    return render(
        request,
        "logbook/learners.html",
        {
            "learners": people,
            "query": query,
            "homonyms": homonym_ids(people),
            "show_association": len(associations) > 1,
        },
    )


@staff_required
def learner_new(request):
    associations = list(associations_for_staff(request.user))
    groups = list(selectors.groups_for_trainer(associations))
    form = LearnerForm(
        request.POST or None, groups=groups, initial={"group": request.GET.get("groupe", "")}
    )
    similar = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        group = next((g for g in groups if str(g.pk) == data["group"]), None)
        # The group decides the association; the list is only asked when there is no group.
        association, error = (group.association, "") if group else association_posted(request)
        if association is None:
            form.add_error(None, error)
            return render(
                request,
                "logbook/learner_new.html",
                {"form": form, "associations": associations, "similar": similar},
                status=400,
            )
        similar = list(
            selectors.learners_described(
                selectors.homonyms_in(association, data["display_name"]),
                associations=associations,
            ).order_by("display_name", "pk")
        )
        if similar and not request.POST.get("confirm_new"):
            return render(
                request,
                "logbook/learner_new.html",
                {"form": form, "associations": associations, "similar": similar},
            )
        learner = learner_create(
            association=association,
            display_name=data["display_name"],
            created_by=request.user,
            consent=data["consent"],
            preferred_language=data["preferred_language"],
            family_name=data["family_name"],
            year_of_birth=data["year_of_birth"],
            gender=data["gender"],
            postcode=data["postcode"],
            first_language=data["first_language"],
            situations=data["situations"],
        )
        if group is not None:
            group_learners_add(group=group, learners=[learner], by=request.user)
        messages.success(
            request,
            _("%(name)s is registered. Now make their card.") % {"name": learner.public_name},
        )
        return redirect("logbook:learner_card", learner.pk)
    return render(
        request,
        "logbook/learner_new.html",
        {"form": form, "associations": associations, "similar": similar},
    )


def _with_state(row):
    """The row, with its state for components/progress_status.html."""
    row.state = module_row_state(row)
    return row


@staff_required
def learner_detail(request, learner_id: int):
    learner = learner_get_for_trainer(request.user, learner_id)
    card = cards_active().filter(learner=learner).first()
    return render(
        request,
        "logbook/learner_detail.html",
        {
            "learner": learner,
            "card": card,
            "card_has_secret": bool(card and card_has_secret(card)),
            "card_locked": bool(card and card_is_locked(card)),
            "card_needs_trainer": bool(card and card_needs_trainer(card)),
            "events": sign_in_events_for_learner(learner),
            "progress": [_with_state(row) for row in module_progress_for_learner(learner)],
            "scores": scores_for_learner(learner),
            "consents": consents_for(learner),
            "is_coordinator": is_coordinator(request.user),
            "can_erase": coordinates_learner(request.user, learner),
        },
    )


@staff_required
def learner_card(request, learner_id: int):
    """Make (or remake) a learner's card: the learner chooses their secret on this device.

    A card printed with the group's, before the learner chose a secret, is kept: the secret
    is set on it, so the card already in their hands starts working.
    """
    learner = learner_get_for_trainer(request.user, learner_id)
    card = cards_active().filter(learner=learner).first()
    keeps_card = card is not None and not card_has_secret(card)
    form = CardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        secret = {"pin": form.cleaned_data["pin"], "pictures": form.cleaned_data["pictures"]}
        if keeps_card:
            try:
                card_secret_set(card=card, by=request.user, **secret)
            except ValueError:  # another trainer set it meanwhile: a new card is needed
                messages.error(request, _("This card already has a secret. Make a new card."))
                return redirect("logbook:learner", learner.pk)
            messages.success(request, _("The secret is saved: the printed card works now."))
        else:
            association = (
                learner.memberships.filter(association__in=associations_for_staff(request.user))
                .first()
                .association
            )
            card_issue(learner=learner, association=association, issued_by=request.user, **secret)
            messages.success(request, _("The card is ready. Print it now."))
        return redirect("logbook:learner", learner.pk)
    return render(
        request,
        "logbook/learner_card.html",
        {"learner": learner, "form": form, "keeps_card": keeps_card},
    )


@staff_required
def learner_card_pdf(request, learner_id: int):
    learner = learner_get_for_trainer(request.user, learner_id)
    card = cards_active().filter(learner=learner).select_related("association").first()
    if card is None:
        return redirect("logbook:learner_card", learner.pk)
    return pdf_response(cards_pdf([card]), f"carte-{learner.public_name}.pdf")


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@staff_required
@require_POST
def learner_card_unlock(request, learner_id: int):
    learner = learner_get_for_trainer(request.user, learner_id)
    card = cards_active().filter(learner=learner).first()
    if card:
        card_unlock(card=card, by=request.user)
        messages.success(request, _("The card works again."))
    return redirect("logbook:learner", learner.pk)


@staff_required
@require_POST
def learner_open_session(request, learner_id: int):
    """On a shared device, open the learner's session for them; they end it with one button."""
    learner = learner_get_for_trainer(request.user, learner_id)
    card = cards_active().filter(learner=learner).first()
    if card:
        card_assisted_record(card=card, by=request.user)
    trainer_name = request.user.public_name
    login(request, learner, backend=USER_BACKEND)
    request.session["assisted_by"] = trainer_name
    return person_language_apply(redirect("learning:my_path"), learner)


@staff_required
@require_POST
def device_mark(request):
    """Mark this computer or tablet as the association's own: short codes work on it."""
    association, error = association_posted(request)
    if association is None:
        messages.error(request, error)
        return redirect("logbook:workspace")
    response = redirect("logbook:workspace")
    device_trust(response, association_id=association.pk)
    messages.success(
        request,
        _("This device now belongs %(to_association)s: learners can type their card code here.")
        % {"to_association": belonging_to(association.name)},
    )
    return response


# --- A learner who already has a card; two records of one person -------------------------

JOIN_SESSION_KEY = "join_card_id"


@staff_required
def learner_join_view(request):
    """Screen 1: the trainer types (or scans) the card's code; screen 2: the learner's secret."""
    associations = list(associations_for_staff(request.user))
    error = None
    card = None
    card_id = request.session.get(JOIN_SESSION_KEY)
    if card_id:
        card = cards_active().filter(pk=card_id).first()
    if request.method == "POST" and "code" in request.POST:
        code = short_code_normalise(request.POST["code"])
        card = cards_active().filter(short_code=code).first() if code else None
        if card is None:
            error = _("No card has this code. Check the code on the card.")
        else:
            request.session[JOIN_SESSION_KEY] = card.pk
    elif request.method == "POST" and card is not None:
        association, error = association_posted(request)
        secret_form = CardSecretForm(request.POST)
        # The pictures when the learner tapped three, else the 4 digits.
        secret = (
            {"pictures": secret_form.cleaned_data["pictures"]}
            if secret_form.is_valid() and secret_form.cleaned_data["pictures"]
            else {"pin": "".join(ch for ch in request.POST.get("pin", "") if ch.isdigit())[:4]}
        )
        try:
            # A refused association is said before the secret is checked (no try is spent).
            check = card_check_secret(card_id=card.pk, **secret) if association else None
        except CardLocked as locked:
            if locked.until is None:
                error = _(
                    "This card is locked after too many tries. A trainer of the learner's "
                    "association can unlock it."
                )
            else:
                error = _("This card is locked for a few minutes after too many tries.")
        else:
            if check is not None and check.ok:
                learner = learner_join(card=card, association=association, by=request.user)
                request.session.pop(JOIN_SESSION_KEY, None)
                messages.success(
                    request,
                    _("%(name)s now also learns here; their progress came along.")
                    % {"name": learner.public_name},
                )
                return redirect("logbook:learner", learner.pk)
            error = error or _("This code does not work. The learner can try again.")
    return render(
        request,
        "logbook/learner_join.html",
        {
            "card": card,
            "error": error,
            "associations": associations,
            "secret_form": CardSecretForm(),
            "card_has_pictures": bool(card and card.picture_hash),
            "card_has_pin": bool(card and card.pin_hash),
        },
    )


@staff_required
def learner_merge_view(request, learner_id: int):
    """Merge a duplicate record of the same person into this one."""
    keep = learner_get_for_trainer(request.user, learner_id)
    association = (
        keep.memberships.filter(association__in=associations_for_staff(request.user))
        .first()
        .association
    )
    candidates = selectors.learners_described(
        learners_for_trainer(request.user)
        .filter(memberships__association=association)
        .exclude(pk=keep.pk),
        associations=[association],
    ).order_by("display_name", "pk")
    form = DuplicateForm(request.POST, candidates=candidates)
    if request.method == "POST" and not form.is_valid():
        return render(
            request,
            "logbook/learner_merge.html",
            {"keep": keep, "candidates": candidates, "error": form.errors["duplicate"][0]},
            status=400 if request.POST.get("duplicate") else 200,
        )
    if request.method == "POST":
        duplicate = form.cleaned_data["duplicate"]
        if request.POST.get("confirm"):
            learner_merge(keep=keep, duplicate=duplicate, by=request.user, association=association)
            messages.success(request, _("The two records are now one. Nothing was lost."))
            return redirect("logbook:learner", keep.pk)
        return render(
            request,
            "logbook/learner_merge.html",
            {"keep": keep, "duplicate": duplicate, "candidates": candidates},
        )
    return render(request, "logbook/learner_merge.html", {"keep": keep, "candidates": candidates})


# --- The association's trainers ----------------------------------------------------------

coordinator_required = role_required(Role.COORDINATOR)


@coordinator_required
def trainers(request):
    """Coordinators: the association's trainers; add one, or switch one off."""
    associations = list(associations_for_coordinator(request.user))
    form = TrainerForm(request.POST or None)
    if request.method == "POST" and "deactivate" in request.POST:
        chosen = TrainerDeactivateForm(
            request.POST,
            associations=associations_for_coordinator(request.user),
            trainers=trainers_for_coordinator(request.user),
        )
        if not chosen.is_valid():  # junk, or not a trainer of this coordinator's association
            messages.error(request, chosen.non_field_errors()[0])
            return redirect("logbook:trainers")
        association, trainer = chosen.cleaned_data["association"], chosen.cleaned_data["deactivate"]
        if request.POST.get("confirm") != "yes":
            # Irreversible from this screen: say what will happen and ask once, on a page of
            # its own (no script needed); only the second POST, with confirm=yes, acts.
            return render(
                request,
                "logbook/trainer_deactivate_confirm.html",
                {"trainer": trainer, "association": association},
            )
        trainer_deactivate(association=association, trainer=trainer, by=request.user)
        messages.success(
            request, _("%(name)s is no longer a trainer here.") % {"name": trainer.public_name}
        )
        return redirect("logbook:trainers")
    association, error = None, ""
    if request.method == "POST":
        association, error = association_posted(request, associations_for_coordinator(request.user))
    if association is None and error:
        messages.error(request, error)
    elif request.method == "POST" and form.is_valid():
        trainer = trainer_add(association=association, by=request.user, **form.cleaned_data)
        messages.success(
            request, _("%(name)s can now sign in as a trainer.") % {"name": trainer.public_name}
        )
        return redirect("logbook:trainers")
    memberships = trainer_memberships_for_coordinator(request.user).order_by(
        "association__name", "user__display_name"
    )
    return render(
        request,
        "logbook/trainers.html",
        {"memberships": memberships, "form": form, "associations": associations},
        status=400 if error else 200,
    )
