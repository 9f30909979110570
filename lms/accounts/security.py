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
