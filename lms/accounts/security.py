"""Security headers: the site's Content-Security-Policy (django-csp) and inert uploads.

The policies themselves are settings (CONTENT_SECURITY_POLICY in lms/settings/base.py): only
this site's own files, no inline code. This module adds what django-csp's settings cannot say:
a looser policy under the admin prefixes, and leaving alone a response that chose its own.
"""

from csp.constants import HEADER, HEADER_REPORT_ONLY, UNSAFE_INLINE
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from django.conf import settings
from django.core.signals import setting_changed

from courses.storage import IMMUTABLE_CACHE_CONTROL, is_hashed_rendition

# Wagtail's and Django's admin write inline scripts and styles, and preview uploads as blobs.
ADMIN_PREFIXES = ("/admin/", "/django-admin/")
ADMIN_ADDITIONS = {
    "script-src": [UNSAFE_INLINE],
    "style-src": [UNSAFE_INLINE],
    "img-src": ["blob:"],
    "media-src": ["blob:"],
    "font-src": ["data:"],
}


def is_admin_path(path: str) -> bool:
    return path.startswith(ADMIN_PREFIXES)


class SiteCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin additions on admin paths.

    A response that already carries a policy of either kind (the H5P player frame, a served
    upload) keeps it alone: adding the site's Report-Only policy next to it would only report
    what that response's own policy already decided.
    """

    def process_response(self, request, response):
        if HEADER in response or HEADER_REPORT_ONLY in response:
            return response
        key = _policy_key(request, response)
        if key is None:
            return super().process_response(request, response)
        # The same settings, path kind and no per-response part give the same headers:
        # django-csp builds them once (a few dozen microseconds a page), then they are copied.
        headers = _built_headers.get(key)
        if headers is None:
            response = super().process_response(request, response)
            _built_headers[key] = {
                name: response[name] for name in (HEADER, HEADER_REPORT_ONLY) if name in response
            }
            return response
        for name, value in headers.items():
            response[name] = value
        # As django-csp does once the header is written: a nonce asked for later is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if is_admin_path(request.path_info):
            # Added to whatever a view's own csp_update decorator asked for, not instead.
            update = {key: list(values) for key, values in ADMIN_ADDITIONS.items()}
            for key, values in (parts.update or {}).items():
                extra = [values] if isinstance(values, str) else list(values)
                update[key] = [*update.get(key, []), *extra]
            parts.update = update
        return parts


# What a response may carry that changes its policy (django-csp's decorators).
_RESPONSE_PARTS = tuple(
    f"_csp_{part}{suffix}"
    for part in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)
# Headers built by django-csp for a kind of response, by _policy_key.
_built_headers: dict[tuple, dict[str, str]] = {}


def _policy_key(request, response) -> tuple | None:
    """What the headers of `response` depend on, or None when they must be built for it:
    a nonce used by the page, a view's own policy, an excluded path or a debug page."""
    if getattr(request, "_csp_nonce", None) is not None:
        return None
    if any(hasattr(response, name) for name in _RESPONSE_PARTS):
        return None
    if settings.DEBUG and response.status_code in (404, 500):
        return None
    for policy in (settings.CONTENT_SECURITY_POLICY, settings.CONTENT_SECURITY_POLICY_REPORT_ONLY):
        excluded = (policy or {}).get("EXCLUDE_URL_PREFIXES")
        if excluded and request.path_info.startswith(tuple(excluded)):
            return None
    return (is_admin_path(request.path_info),)


def _forget_built_headers(**_kwargs) -> None:
    _built_headers.clear()  # a test changed the settings


setting_changed.connect(_forget_built_headers, dispatch_uid="pasapas-csp-headers")


# --- Uploaded files served from MEDIA_URL ---------------------------------------------------
# Whatever editors upload (pictures, sounds, videos, PDFs, H5P packages) is served from this
# site's origin. Opened directly, a file must never run there: an SVG or a stray HTML or
# JavaScript file in /media/ would otherwise act with the signed-in person's rights.

# Types a page shows inline (<img>, <audio>, <video>, PDF viewer); anything else downloads.
MEDIA_INLINE_TYPES = frozenset(
    {
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/avif",
        # Shown by <img>, where scripts never run; opened directly, the sandbox stops them.
        "image/svg+xml",
        "audio/mpeg",
        "audio/ogg",
        "audio/mp4",
        "audio/x-m4a",
        "audio/wav",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "application/pdf",
        "text/vtt",
    }
)
# No script, no form, no plugin, no network: an inert document even for SVG and PDF.
MEDIA_POLICY = (
    "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'"
)


def media_headers(response):
    """Make a served upload inert: sandboxed, never sniffed, downloaded unless a known type."""
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type not in MEDIA_INLINE_TYPES:
        response["Content-Type"] = "application/octet-stream"
        response["Content-Disposition"] = "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response[HEADER] = MEDIA_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def media_serve(request, path: str):
    """django.views.static.serve for uploads (SERVE_MEDIA), with media_headers added.

    MEDIA_ROOT is read at each request, not when the URLs are loaded, so the folder is the
    one the settings name now (tests give each their own). In production a web server serves
    MEDIA_ROOT and must send the same headers (see docs/deploy.md).
    """
    from django.views.static import serve

    response = media_headers(serve(request, path, document_root=settings.MEDIA_ROOT))
    if response.status_code == 200 and is_hashed_rendition(path):
        # Named by its content (courses/storage.py): these bytes never change under it.
        response["Cache-Control"] = IMMUTABLE_CACHE_CONTROL
    return response
