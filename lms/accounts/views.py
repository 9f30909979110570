"""Sign-in (password or card), sign-out and the redirect to each person's own home page."""

import time

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from lms.forms import search_query

from .access import home_url_name
from .backends import USER_BACKEND
from .devices import device_association_id, known_device_remember
from .forms import SignInForm
from .jobs import job_get_for_owner
from .languages import language_supported, person_language_apply
from .models import Job, Role, SignInCard
from .ratelimit import (
    Rate,
    attempt_failed,
    card_code_limit,
    card_pictures_limit,
    card_secret_limit,
    client_ip,
    ratelimit_hit,
    ratelimit_undo,
    sign_in_limit,
)
from .selectors import associations_near, cards_active
from .services import (
    PICTURES,
    CardLocked,
    card_check_secret,
    card_has_secret,
    person_language_set,
    short_code_normalise,
)
from .usernames import username_normalise

CARD_SESSION_KEY = "card_id"
PICTURES_SESSION_KEY = "card_pictures"
SHORT_CODE_RATE = Rate(count=10, seconds=15 * 60)  # codes typed per device address


@method_decorator(sign_in_limit, name="post")  # per address and per username, across processes
class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        # The person's own language from the first page after signing in, on any device.
        response = person_language_apply(super().form_valid(form), form.get_user())
        # This browser may sign in as this person even while their username is locked.
        known_device_remember(
            self.request, response, username=username_normalise(form.get_user().username)
        )
        return response

    def form_invalid(self, form):
        attempt_failed(self.request)  # only failures count towards the limits
        return super().form_invalid(form)


@login_required
def home(request):
    # Roles may have changed since the last sign-in: ask the database again.
    request.session.pop("pasapas_roles", None)
    return redirect(home_url_name(request.user, request.session))


@require_POST
def language_set(request):
    """Django's set_language; a signed-in person also keeps the choice for their next visits."""
    response = set_language(request)
    language = language_supported(request.POST.get("language", ""))
    if language and request.user.is_authenticated:
        person_language_set(person=request.user, language=language)
    return response


def find_help(request):
    """Public page: the partner associations, searchable by postcode or municipality."""
    query = search_query(request.GET, cut_at=60)
    associations, exact = associations_near(query)
    return render(
        request,
        "accounts/find_help.html",
        {"query": query, "associations": associations, "exact": exact},
    )


# --- Sign-in cards -----------------------------------------------------------------------


def card_start(request, token: str):
    """The QR code of a card opens this page; the learner then gives their secret."""
    card = cards_active().filter(token=token).first()
    if card is None:
        return render(request, "accounts/card_invalid.html", status=404)
    return _card_chosen(request, card)


def _card_chosen(request, card: SignInCard):
    if request.user.is_authenticated and request.user != card.learner:
        logout(request)
    if not card_has_secret(card):
        # Printed with the group's cards before the learner chose a secret: the card alone
        # must never sign anybody in.
        return person_language_apply(
            render(request, "accounts/card_no_secret.html", {"card": card}), card.learner
        )
    request.session[CARD_SESSION_KEY] = card.pk
    request.session.pop(PICTURES_SESSION_KEY, None)
    # The card says who is signing in: the secret code is already asked in their language.
    if card.pin_hash:
        return person_language_apply(redirect("accounts:card_secret"), card.learner)
    return person_language_apply(redirect("accounts:card_pictures"), card.learner)


def _current_card(request) -> SignInCard | None:
    card_id = request.session.get(CARD_SESSION_KEY)
    if not card_id:
        return None
    return cards_active().filter(pk=card_id).first()


def _card_signed_in(request, card: SignInCard):
    request.session.pop(CARD_SESSION_KEY, None)
    request.session.pop(PICTURES_SESSION_KEY, None)
    login(request, card.learner, backend=USER_BACKEND)
    request.session["association_id"] = card.association_id
    return person_language_apply(redirect("learning:my_path"), card.learner)


def _locked(request, card, until):
    """The card is resting for some minutes, or (until None) waits for a trainer."""
    minutes = max(1, round((until - timezone.now()).total_seconds() / 60)) if until else None
    return render(
        request, "accounts/card_locked.html", {"card": card, "minutes": minutes}, status=423
    )


def _secret_checked(request, card: SignInCard, **secret):
    """Sign in on the right secret, show the lock when it is reached; None for a wrong try."""
    try:
        check = card_check_secret(card_id=card.pk, **secret)
    except CardLocked as locked:
        attempt_failed(request)
        return _locked(request, card, locked.until)
    if check.ok:
        return _card_signed_in(request, card)
    attempt_failed(request)  # only wrong secrets count towards the limits
    if check.attempts_left == 0:
        card.refresh_from_db()
        return _locked(request, card, card.locked_until)
    return None


@card_secret_limit
def card_secret(request):
    """The 4-digit secret, on a big keypad-friendly field."""
    card = _current_card(request)
    if card is None:
        return redirect("accounts:login")
    error = None
    if request.method == "POST":
        pin = "".join(ch for ch in request.POST.get("pin", "") if ch.isdigit())[:4]
        response = _secret_checked(request, card, pin=pin)
        if response is not None:
            return response
        error = _("This code does not work. Try again or ask your trainer.")
    return render(
        request,
        "accounts/card_secret.html",
        {"card": card, "error": error, "has_pictures": bool(card.picture_hash)},
    )


@card_pictures_limit
def card_pictures(request):
    """The picture code: three pictures among nine, one choice per screen."""
    card = _current_card(request)
    if card is None:
        return redirect("accounts:login")
    chosen = request.session.get(PICTURES_SESSION_KEY, [])
    error = None
    if request.method == "POST":
        picture = request.POST.get("picture")
        if picture == "restart":
            chosen = []
        elif picture in PICTURES and picture not in chosen:
            chosen = [*chosen, picture]
        if len(chosen) == 3:
            request.session.pop(PICTURES_SESSION_KEY, None)
            response = _secret_checked(request, card, pictures=chosen)
            if response is not None:
                return response
            chosen = []
            error = _("These pictures do not work. Try again or ask your trainer.")
        request.session[PICTURES_SESSION_KEY] = chosen
    return render(
        request,
        "accounts/card_pictures.html",
        {
            "card": card,
            "pictures": [p for p in PICTURES if p not in chosen],
            "position": len(chosen) + 1,
            "error": error,
            "has_pin": bool(card.pin_hash),
        },
    )


@card_code_limit
def card_code(request):
    """Typing the short code by hand: only on the association's own devices."""
    association_id = device_association_id(request)
    if association_id is None:
        return render(request, "accounts/card_code.html", {"trusted": False}, status=403)
    error = None
    if request.method == "POST":
        # Same shared, atomic counter as the other limits, but answered in the page; only
        # codes that do not work count (a class types theirs one after the other).
        now = time.time()
        tries = ratelimit_hit(
            scope="card-code-typed", key=client_ip(request), rate=SHORT_CODE_RATE, now=now
        )
        if not tries.allowed:
            ratelimit_undo(
                scope="card-code-typed", key=client_ip(request), rate=SHORT_CODE_RATE, now=now
            )
            error = _("Too many tries. Wait 15 minutes or ask your trainer.")
        else:
            code = short_code_normalise(request.POST.get("code", ""))
            card = (
                cards_active()
                .filter(
                    short_code=code,
                    learner__memberships__association_id=association_id,
                    learner__memberships__role=Role.LEARNER,
                )
                .first()
                if code
                else None
            )
            if card is not None:
                ratelimit_undo(
                    scope="card-code-typed", key=client_ip(request), rate=SHORT_CODE_RATE, now=now
                )
                return _card_chosen(request, card)
            attempt_failed(request)
            error = _("This code does not work. Look at your card again or ask your trainer.")
    return render(request, "accounts/card_code.html", {"trusted": True, "error": error})


@require_POST
def assisted_end(request):
    """End a learner's session that a trainer opened on a shared device."""
    logout(request)
    return redirect(settings.LOGIN_URL)


# --- Background jobs (lms/accounts/jobs.py) ------------------------------------------------


@login_required
def job_status(request, job_id):
    """How far an import or export has got; the page follows it without reloading."""
    job = _own_job_or_404(request, job_id)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "state": job.state,
                "state_label": job.get_state_display(),
                "percent": job.percent,
                "done": job.progress_done,
                "total": job.progress_total,
                "message": job.message,
                "download_url": (
                    reverse("accounts:job_download", args=[job.pk]) if job.result else ""
                ),
            }
        )
    return render(request, "accounts/job.html", {"job": job})


@login_required
def job_download(request, job_id):
    job = _own_job_or_404(request, job_id)
    if not job.result:
        raise Http404
    response = FileResponse(
        job.result.open("rb"),
        as_attachment=True,
        filename=job.result_name,
        content_type=job.result_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _own_job_or_404(request, job_id):
    try:
        return job_get_for_owner(request.user, job_id)
    except Job.DoesNotExist as missing:
        raise Http404 from missing
