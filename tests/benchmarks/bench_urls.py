"""The site's URLs plus the statement benchmark's baseline (see bench_settings.py)."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from lms.urls import urlpatterns as site_urlpatterns


@require_POST
def empty_post(request):
    """The baseline: a POST through the same middleware (CSRF checked), no query, no work."""
    return HttpResponse(status=204)


urlpatterns = [path("bench/post-vide/", empty_post, name="bench_empty_post"), *site_urlpatterns]
