"""Sign-in, sign-out and the redirect to each person's own home page."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .access import home_url_name
from .forms import SignInForm
from .selectors import associations_near


class SignInView(auth_views.LoginView):
    template_name = "accounts/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


@login_required
def home(request):
    return redirect(home_url_name(request.user))


def find_help(request):
    """Public page: the partner associations, searchable by postcode or municipality."""
    query = request.GET.get("q", "")[:60]
    associations, exact = associations_near(query)
    return render(
        request,
        "accounts/find_help.html",
        {"query": query.strip(), "associations": associations, "exact": exact},
    )
