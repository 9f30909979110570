"""Screens around the impact API: a person's API tokens, and a coordinator's xAPI export."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from lms.accounts.access import (
    association_get_for_coordinator,
    associations_for_coordinator,
    role_required,
)
from lms.accounts.services import audit_record

from . import tokens, xapi
from .models import ApiToken

ROLES = ("funder", "coordinator")
NEW_SECRET_SESSION_KEY = "impact_new_api_token"  # noqa: S105  (a key name, not a secret)


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name of the token"),
        help_text=gettext_lazy("So you know which tool uses it. For example: our follow-up sheet."),
        max_length=100,
    )


class PeriodForm(forms.Form):
    """An optional period; either date may be left out."""

    start = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Write the date as DD/MM/YYYY.")},
    )
    end = forms.DateField(
        label=gettext_lazy("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": gettext_lazy("Write the date as DD/MM/YYYY.")},
    )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise ValidationError(_("The end date is before the start date."))
        return cleaned


def tokens_page(request, form: TokenForm, status: int = 200):
    new = request.session.pop(NEW_SECRET_SESSION_KEY, None)
    context = {
        "form": form,
        "tokens": list(tokens.tokens_for_user(request.user)),
        "new_secret": new["secret"] if new else None,
        "new_token_id": new["id"] if new else None,
        "associations": [
            {"association": association, "form": PeriodForm(auto_id=f"xapi-{association.pk}-%s")}
            for association in associations_for_coordinator(request.user).order_by("name")
        ],
        "max_tokens": tokens.MAX_ACTIVE_TOKENS,
    }
    return render(request, "impact/tokens.html", context, status=status)


@never_cache
@role_required(*ROLES)
def api_tokens(request):
    """The person's API tokens: create one (its secret shown once), see them, revoke them."""
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                token, secret = tokens.api_token_create(
                    user=request.user, name=form.cleaned_data["name"]
                )
            except ValidationError as refused:
                form.add_error(None, refused)
            else:
                # Shown on the next page only, then forgotten: a reload does not make another.
                request.session[NEW_SECRET_SESSION_KEY] = {"id": token.pk, "secret": secret}
                return redirect("impact:api_tokens")
        return tokens_page(request, form, status=400)
    return tokens_page(request, TokenForm())


def own_token(request, pk: int) -> ApiToken:
    token = tokens.tokens_for_user(request.user).filter(pk=pk).first()
    if token is None:
        raise Http404
    return token


@never_cache
@role_required(*ROLES)
def api_token_revoke(request, pk: int):
    """Ask first (GET), then revoke (POST): a tool that uses the token stops working."""
    token = own_token(request, pk)
    if request.method == "POST":
        tokens.api_token_revoke(token=token, by=request.user)
        messages.success(
            request,
            _("The token “%(name)s” is revoked. It no longer works.") % {"name": token.name},
        )
        return redirect("impact:api_tokens")
    if token.revoked_at is not None:
        return redirect("impact:api_tokens")
    return render(request, "impact/tokens_revoke.html", {"token": token})


@role_required("coordinator")
def xapi_export(request, association_id: int):
    """The association's learning statements as xAPI, streamed: it may be millions of rows."""
    association = association_get_for_coordinator(request.user, association_id)
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(error))
        return redirect("impact:api_tokens")
    start = form.cleaned_data.get("start") if request.GET else None
    end = form.cleaned_data.get("end") if request.GET else None
    audit_record(
        actor=request.user,
        action="xapi_export",
        obj=association,
        association=association,
        after={
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
        },
    )
    response = StreamingHttpResponse(
        xapi.export_stream(association_id=association.pk, start=start, end=end),
        content_type="application/json; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="xapi-{association.slug}-{stamp}.json"'
    response["X-Experience-API-Version"] = xapi.XAPI_VERSION
    return response
