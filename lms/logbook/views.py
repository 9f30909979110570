"""Trainer and coordinator screens: learners, cards, groups, in-person sessions."""

from django.contrib import messages
from django.contrib.auth import login
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lms.accounts.access import (
    STAFF_ROLES,
    associations_for_coordinator,
    associations_for_staff,
    colleagues_for_staff,
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
from lms.accounts.models import Role, User
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
    cards_issue_without_secret,
    short_code_normalise,
)
from lms.learning.selectors import module_progress_for_learner, module_row_state, scores_for_learner

from . import selectors
from .access import group_get_for_trainer, session_get_for_trainer
from .forms import (
    AssociationChoiceForm,
    CardForm,
    CardSecretForm,
    DuplicateForm,
    LearnerForm,
    SessionForm,
    TrainerDeactivateForm,
    TrainerForm,
    UsualSlotForm,
    ValidationsForm,
    default_slot,
    everyone_alone,
    everyone_present,
)
from .models import Group
from .people import homonym_ids
from .services import (
    group_create,
    group_learners_add,
    learner_create,
    learner_join,
    learner_merge,
    session_log,
    trainer_add,
    trainer_deactivate,
    validations_record,
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
    # No NUL: PostgreSQL refuses it in text (a 500), and no keyboard types one.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:80]
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
    return _pdf_response(cards_pdf([card]), f"carte-{learner.public_name}.pdf")


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
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


# --- Groups ------------------------------------------------------------------------------


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
    return _pdf_response(cards_pdf(cards), f"cartes-{group.name}.pdf")


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
        # No NUL: PostgreSQL refuses it in text (a 500), and no keyboard types one.
        name = request.POST.get("name", "").replace("\x00", "").strip()[:120]
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
