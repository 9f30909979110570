"""The offline worker's script and the page it shows when there is no connection."""

import hashlib

from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import etag

WORKER_SOURCE = "js/sw.js"


def _worker_source() -> bytes:
    path = finders.find(WORKER_SOURCE)
    if path is None:
        raise Http404
    with open(path, "rb") as source:
        return source.read()


def _worker_etag(request) -> str:
    return hashlib.sha256(_worker_source()).hexdigest()[:32]


# The browser asks for the worker again at each visit: unchanged, it gets a 304, no body.
@etag(_worker_etag)
def service_worker(request):
    """The worker, from the site's root: a worker only controls the pages under its own
    address. Never kept by the browser's cache without asking: a fixed worker reaches
    every learner at their next visit."""
    return HttpResponse(
        _worker_source(),
        content_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache"},
    )


def offline_page(request):
    """Shown by the worker in place of a page it cannot fetch. The same for everyone (the
    modules kept on the device are listed by the page's script): no personal data."""
    return render(request, "learning/offline.html")
