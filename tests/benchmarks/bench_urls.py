"""The site's URLs plus the benchmarks' own reference views (see bench_settings.py)."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from lms.accounts.access import role_required
from lms.accounts.models import Role
from lms.urls import urlpatterns as site_urlpatterns


@require_POST
def empty_post(request):
    """The baseline: a POST through the same middleware (CSRF checked), no query, no work."""
    return HttpResponse(status=204)


@role_required(Role.LEARNER)
def signed_in_empty(request):
    """What every learner page pays before its own work: the session read, the user loaded
    and the role checked, as the learner pages' decorator does; then a small HTML string."""
    return HttpResponse("<!doctype html><title>ok</title><p>ok</p>")


urlpatterns = [
    path("bench/post-vide/", empty_post, name="bench_empty_post"),
    path("bench/apprenant-vide/", signed_in_empty, name="bench_signed_in_empty"),
    *site_urlpatterns,
]
