"""Forms for signing in."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .usernames import username_normalise


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Your username"),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _(
            "This username or password does not work. Try again or ask your trainer."
        ),
        "inactive": _("This account is switched off. Ask your trainer."),
    }

    def clean_username(self):
        # The same reading as the sign-in limits' (and the backend's lookup).
        return username_normalise(self.cleaned_data["username"])
