"""Where the H5P player frame is served from: the site itself, or the player's own origin.

Embedded default (`H5P_ORIGIN` empty): the frame is a page of this site shown in
`<iframe sandbox="allow-scripts">`. Its origin is opaque, which isolates it, but the browser
keys its cache by origin and an opaque origin is a new one at each visit: every file of the
player is loaded again.

With `H5P_ORIGIN` (a second host name of the same site, e.g. https://h5p.example.org) the
frame is loaded from there with `allow-same-origin`: its origin is that host, stable from one
visit to the next, so its files come from the browser's cache. That host serves nothing but
the player and its files (`PlayerHostMiddleware`), holds no cookie and no account, and the
frame's policy lets it fetch only from itself: what the embedded default isolates (the
learner's cookies, the page around the frame, requests carrying the learner's session) stays
out of its reach, because it is another origin than the site.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponseNotFound
from django.urls import reverse

OPAQUE_SANDBOX = "allow-scripts"
OWN_ORIGIN_SANDBOX = "allow-scripts allow-same-origin"


def player_origin() -> str:
    """The player's own origin ("https://h5p.example.org"), or "" in the embedded default."""
    return settings.H5P_ORIGIN


def site_origin() -> str:
    """The site's own origin, from SITE_URL: the only page allowed to embed the player host."""
    parts = urlsplit(settings.WAGTAILADMIN_BASE_URL)
    return f"{parts.scheme}://{parts.netloc}"


def on_player_host(request) -> bool:
    """True when `request` came to the player's own host name (never in the default)."""
    origin = player_origin()
    return bool(origin) and request.get_host() == urlsplit(origin).netloc


def frame_url(package_id: int) -> str:
    """The address of a package's player frame, for the learner's page."""
    return player_origin() + reverse("h5p:frame", args=[package_id])


def frame_sandbox() -> str:
    """The frame's sandbox attribute: the origin is kept only on the player's own host."""
    return OWN_ORIGIN_SANDBOX if player_origin() else OPAQUE_SANDBOX


class PlayerHostMiddleware:
    """On the player's own host name, only the player and the static files exist.

    A frame given `allow-same-origin` there may read whatever that origin serves: it must
    not be the site's pages, a sign-in form or an API. Answered before the session and the
    CSRF middleware, so that no cookie is ever set for that host.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.allowed_prefixes = (reverse("h5p:frame_script").rsplit("/", 1)[0] + "/",)

    def __call__(self, request):
        if on_player_host(request):
            path = request.path_info
            if not path.startswith((*self.allowed_prefixes, settings.STATIC_URL)):
                return HttpResponseNotFound(b"", content_type="text/plain")
        return self.get_response(request)
