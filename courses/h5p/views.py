"""The sandboxed H5P player frame, and the package files it loads from an opaque origin."""

import hashlib
from functools import cache
from pathlib import Path

from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.http.response import FileResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from courses.models import activity_iri

from .frame_files import frame_files
from .origin import OPAQUE_SANDBOX, OWN_ORIGIN_SANDBOX, on_player_host, site_origin
from .selectors import h5p_libraries_revision, h5p_library_of_package, h5p_package_get
from .validation import CONTENT_EXTENSIONS, LIBRARY_EXTENSIONS

FRAME_SCRIPT = Path(__file__).with_name("frame.js")
ONE_YEAR = 365 * 24 * 60 * 60
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"

# Never text/html, and the text formats H5P only reads as text are sent as plain text.
CONTENT_TYPES = {
    "json": "application/json",
    "js": "text/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "eot": "application/vnd.ms-fontobject",
    "ttf": "font/ttf",
    "woff": "font/woff",
    "woff2": "font/woff2",
    "otf": "font/otf",
    "webm": "video/webm",
    "mp4": "video/mp4",
    "ogg": "audio/ogg",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "wav": "audio/wav",
    "vtt": "text/vtt; charset=utf-8",
    "webvtt": "text/vtt; charset=utf-8",
    "pdf": "application/pdf",
    "rtf": "application/rtf",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt": "application/vnd.ms-powerpoint",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "odp": "application/vnd.oasis.opendocument.presentation",
    "gltf": "model/gltf+json",
    "glb": "model/gltf-binary",
    "txt": "text/plain; charset=utf-8",
    "md": "text/plain; charset=utf-8",
    "textile": "text/plain; charset=utf-8",
    "csv": "text/plain; charset=utf-8",
    "diff": "text/plain; charset=utf-8",
    "patch": "text/plain; charset=utf-8",
    "xml": "text/plain; charset=utf-8",
}
DEFAULT_TYPE = "application/octet-stream"

# The frame may only load what its own origin serves. In the embedded default that origin is
# opaque (no cookies, no access to the page around it); on the player's own host (H5P_ORIGIN,
# see origin.py) it is that host, which holds nothing of the site, and only the site may embed
# it. H5P libraries need two relaxations, harmless there: inline styles (set everywhere) and
# eval (EmbeddedJS templates, used by MultiChoice); eval can only run text the frame already
# has, as nothing else may be fetched.
FRAME_POLICY_COMMON = [
    "default-src 'none'",
    "script-src 'self' 'unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'self'",
    "form-action 'none'",
]
FRAME_POLICY = "; ".join(
    [f"sandbox {OPAQUE_SANDBOX}", *FRAME_POLICY_COMMON, "frame-ancestors 'self'"]
)


def frame_policy(request) -> str:
    """The frame's Content-Security-Policy, for the host it was asked from."""
    if on_player_host(request):
        return "; ".join(
            [
                f"sandbox {OWN_ORIGIN_SANDBOX}",
                *FRAME_POLICY_COMMON,
                f"frame-ancestors {site_origin()}",
            ]
        )
    return FRAME_POLICY


# Opened directly, a package file is an inert document: no script, not even in an SVG.
FILE_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"


@cache
def _frame_script() -> tuple[bytes, str]:
    source = FRAME_SCRIPT.read_bytes()
    return source, hashlib.sha256(source).hexdigest()[:12]


@require_safe
@xframe_options_exempt
def frame(request, package_id: int) -> HttpResponse:
    """The player document, for the <iframe data-h5p-frame> on a learner's page."""
    package = h5p_package_get(package_id)
    player_host = on_player_host(request)
    files = reverse("h5p:package_file", args=[package.pk, "h5p.json"]).removesuffix("/h5p.json")
    libraries = reverse(
        "h5p:library_file",
        args=[package.pk, h5p_libraries_revision(package=package), "folder", "library.json"],
    ).removesuffix("/folder/library.json")
    player = {
        "id": str(package.pk),
        "title": package.title,
        "h5pJsonPath": files,
        "contentJsonPath": f"{files}/content",
        "librariesPath": libraries,
        "frameJs": static("h5p-standalone/frame.bundle.js"),
        "frameCss": static("h5p-standalone/styles/h5p.css"),
        # A div inside this frame: an inner iframe would get its own opaque origin, which
        # h5p-standalone could not write into.
        "embedType": "div",
        "frame": False,
        "copyright": False,
        "export": False,
        "embed": False,
        "icon": False,
        "fullScreen": False,
        # No user state and no "finished" calls: scores leave only through postMessage.
        "saveFreq": False,
        "postUserStatistics": False,
        "xAPIObjectIRI": activity_iri("h5p", package.sha256),
        "assetsRequestFetchOptions": {"credentials": "omit"},
    }
    preload = frame_files(package=package)
    # No request context: the frame must never read the session or set a cookie.
    html = render_to_string(
        "h5p/frame.html",
        {
            "package": package,
            # What the player would otherwise fetch one after the other (frame_files.py).
            "inline_files": preload.inline,
            "preload_scripts": [player["frameJs"], *preload.scripts],
            "preload_styles": [player["frameCss"], *preload.styles],
            "language": "" if package.language == "und" else package.language,
            "options": {
                "packageId": package.pk,
                "player": player,
                # Where the frame's messages go: the site, also when the frame is elsewhere.
                "parentOrigin": site_origin() if player_host else None,
            },
            "frame_script_version": _frame_script()[1],
        },
    )
    response = HttpResponse(html)
    response["Content-Security-Policy"] = frame_policy(request)
    if not player_host:
        # For browsers without CSP's frame-ancestors; the player's own host is embedded by
        # the site, another origin, which X-Frame-Options cannot name.
        response["X-Frame-Options"] = "SAMEORIGIN"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def frame_script(request) -> HttpResponse:
    """The frame's own script, served from this origin so the frame's CSP can stay 'self'."""
    source, version = _frame_script()
    response = HttpResponse(source, content_type="text/javascript; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Access-Control-Allow-Origin"] = "*"
    if request.GET.get("v") == version:
        response["Cache-Control"] = IMMUTABLE
    else:
        response["Cache-Control"] = "no-cache"
    return response


def _safe_path(path: str, allowed: frozenset[str]) -> str:
    """A relative path inside a package folder, or 404: no traversal, only allowed types."""
    parts = path.split("/")
    if (
        "\\" in path
        or "\x00" in path
        or any(part in ("", ".", "..") for part in parts)
        or any(ord(char) < 32 for char in path)
    ):
        raise Http404
    extension = parts[-1].rpartition(".")[2].lower() if "." in parts[-1] else ""
    if extension not in allowed:
        raise Http404
    return path


def _serve(name: str) -> FileResponse:
    try:
        handle = default_storage.open(name, "rb")
    except (OSError, ValueError):
        raise Http404 from None
    extension = name.rpartition(".")[2].lower()
    response = FileResponse(handle, content_type=CONTENT_TYPES.get(extension, DEFAULT_TYPE))
    # The frame has an opaque origin: everything it fetches is a cross-origin request.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_POLICY
    # Package ids are never reused and a package's content never changes.
    response["Cache-Control"] = IMMUTABLE
    return response


@require_safe
def package_file(request, package_id: int, path: str) -> FileResponse:
    """h5p.json and content/... of one package."""
    package = h5p_package_get(package_id, only=("content_path",))
    if path != "h5p.json" and not path.startswith("content/"):
        raise Http404
    return _serve(f"{package.content_path}/{_safe_path(path, CONTENT_EXTENSIONS)}")


@require_safe
def library_file(request, package_id: int, revision: str, folder: str, path: str) -> FileResponse:
    """A file of `machineName-major.minor` in the exact version (patch) the package plays.

    h5p-standalone names library folders without their patch; `revision` names the package's
    exact versions and must be the current one, so a cached URL never mixes versions.
    """
    package = h5p_package_get(package_id)
    if revision != h5p_libraries_revision(package=package):
        raise Http404
    library = h5p_library_of_package(package_id=package.pk, folder=folder)
    if library is None:
        raise Http404
    return _serve(f"{library.path}/{_safe_path(path, LIBRARY_EXTENSIONS)}")
