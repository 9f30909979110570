"""Root URL configuration: each person's screens, the admin, then Wagtail's pages."""

import time

from django.conf import settings
from django.contrib import admin
from django.core.cache import caches
from django.http import HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from lms.accounts.views import language_set
from lms.logbook import urls as logbook_urls
from lms.privacy import urls as privacy_urls
from lms.redis_cache import cache_health

FAVICON_REDIRECT_SECONDS = 24 * 60 * 60


def favicon(request):
    """Browsers and bookmarks ask for /favicon.ico whatever the page says: sent to the static
    file (its hashed, long-cached name in production). Looked up at each request, not when
    the URLs load: the manifest of hashed names exists only once collectstatic has run.
    The redirect itself is kept a day by browsers: the hashed name changes with the icon."""
    response = HttpResponseRedirect(static("favicon.ico"))
    response["Cache-Control"] = f"public, max-age={FAVICON_REDIRECT_SECONDS}"
    return response


def health(request):
    """For load balancers and monitoring, and the baseline of the benchmarks: no query.

    Without Redis the site still serves (lms/redis_cache.py): the answer stays 200, so a
    load balancer keeps sending people here, and its text says "degraded" for monitoring.
    """
    cache_state = cache_health(caches["default"])
    if cache_state.reachable:
        return HttpResponse("ok", content_type="text/plain")
    seconds = round(time.time() - cache_state.down_since)
    return HttpResponse(
        f"degraded: cache unreachable for {seconds} s, serving from the database",
        content_type="text/plain",
        headers={"Cache-Control": "no-store"},
    )


urlpatterns = [
    path("sante/", health, name="health"),
    path("favicon.ico", favicon, name="favicon"),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("langue/", language_set, name="set_language"),
    path("", include("lms.accounts.urls")),
    path("", include("lms.learning.urls")),
    # The personal data screens live in lms/privacy but sit in the trainer's workspace, under
    # the logbook's names (`logbook:learner_data`, ...): one namespace made of both.
    path(
        "formateur/",
        include((logbook_urls.urlpatterns + privacy_urls.urlpatterns, logbook_urls.app_name)),
    ),
    path("formateur/", include("lms.logbook.transfer_urls")),
    path("impact/", include("lms.impact.urls")),
    path("api/v1/", include("lms.impact.api_urls")),
    path("h5p/", include("courses.h5p.urls")),
    path("voix/", include("courses.voice_urls")),
]

if settings.SERVE_MEDIA:
    # The embedded default serves uploads itself, made inert (no script runs from an upload);
    # production puts a web server in front, with the same headers.
    from django.urls import re_path

    from lms.accounts.security import media_serve

    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", media_serve))

urlpatterns.append(path("", include(wagtail_urls)))
