"""Content-Security-Policy for every page: only this site's own files, no inline code."""

from django.conf import settings

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "frame-src 'self'",
        "frame-ancestors 'self'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
# Wagtail's and Django's admin write inline scripts and styles, and preview uploads as blobs.
ADMIN_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'self'",
        "frame-ancestors 'self'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
ADMIN_PREFIXES = ("/admin/", "/django-admin/")
HEADER = "Content-Security-Policy"
REPORT_ONLY_HEADER = "Content-Security-Policy-Report-Only"


def policy_for_path(path: str) -> str:
    return ADMIN_POLICY if path.startswith(ADMIN_PREFIXES) else POLICY


class ContentSecurityPolicyMiddleware:
    """Add the site's policy to responses that do not set their own (the H5P frame does).

    CSP_REPORT_ONLY = True in settings sends it as Report-Only, to try it on a live site.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER in response or REPORT_ONLY_HEADER in response:
            return response
        header = REPORT_ONLY_HEADER if getattr(settings, "CSP_REPORT_ONLY", False) else HEADER
        response[header] = policy_for_path(request.path_info)
        return response


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


def media_serve(request, path: str, document_root: str):
    """django.views.static.serve for uploads (SERVE_MEDIA), with media_headers added.

    In production a web server serves MEDIA_ROOT and must send the same headers (see
    docs/deploy.md).
    """
    from django.views.static import serve

    return media_headers(serve(request, path, document_root=document_root))
