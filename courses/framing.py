"""Pages rendered once around the visitor's own part, then filled in at each visit.

A learner's page costs more to render than to read from a cache: base.html, its header and
footer, the page's own template. Most of it is the same for every visitor with the same
roles on the same content. `render_framed` renders that part (the *frame*) once per content
version, language, site, roles and what the caller keys it by, with stand-ins for the
visitor (`frame_values`), and at each visit puts in the CSRF token, the page address, the
text size and the visitor's own part. The site's chrome (cms/templatetags/chrome_tags.py)
uses the same stand-ins for the header and footer.

Which kind of visitor a frame is for comes from the context processors named in the
`PAGE_FRAME_CONTEXT_PROCESSORS` setting (their values are put in the frame and key it: the
roles, from lms/accounts/context_processors.py): the catalogue sits below the accounts and
names no one, so it asks the settings rather than importing them.

Used by the learner's pages (lms/learning/views.py) and the public catalogue
(courses/models.py CatalogueIndexPage).
"""

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.context_processors import i18n
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe
from wagtail.contrib.settings.context_processors import settings as site_settings

from .caching import content_key, shared_get_many, shared_set_many

# Private-use characters: neither a template nor escaping ever writes them.
CSRF_MARK = "\ue001csrf\ue001"
PATH_MARK = "\ue001path\ue001"
TEXT_SIZE_MARK = "\ue001text-size\ue001"
# aria-pressed of each text-size button, put in at each visit (see chrome_tags.py
# `text_size_pressed`).
PRESSED_MARK_START = "\ue001pressed-"
PRESSED_MARK = PRESSED_MARK_START + "{}\ue001"
TEXT_SIZE_COOKIE = "pasapas_text_size"
TEXT_SIZES = ("normal", "large", "larger")
# Where the visitor's own part goes in a cached page frame (see `render_framed`).
OWN_PART_MARK = "\ue002own\ue002"


class MarkedRequest:
    """All the cached chrome may read of the request: a stand-in for the page address.

    Nothing else of the visitor's request (nor their user, see `MarkedVisitor`) reaches a
    part rendered for everyone: a template that one day shows more of them renders it empty
    here, instead of showing one person's data to the next.
    """

    session: dict = {}  # read-only; `assisted_by` is never cached

    def get_full_path(self):
        return PATH_MARK


class MarkedVisitor:
    """The `user` of the cached chrome: only whether someone is signed in."""

    def __init__(self, is_authenticated: bool):
        self.is_authenticated = is_authenticated


class _FrameRequest(MarkedRequest):
    """The request a page frame is rendered with: its host (in the key) and stand-ins."""

    COOKIES = {TEXT_SIZE_COOKIE: TEXT_SIZE_MARK}

    def __init__(self, host: str):
        self._host = host

    def get_host(self):
        return self._host


def frame_values(request) -> dict:
    """What a page frame is rendered with in place of the context processors' values: the
    language and site settings, stand-ins for the request, the user and the CSRF token, and
    no messages (a page with messages to show is rendered as usual). The caller adds what
    it keys the frame by (the content, the roles) and the visitor's part as a mark."""
    return {
        **i18n(request),
        **site_settings(request),
        "request": _FrameRequest(request.get_host()),
        "user": MarkedVisitor(request.user.is_authenticated),
        "csrf_token": CSRF_MARK,
        "messages": (),
    }


def pressed_fill(html: str, chosen: str | None) -> str:
    """Put this visit's aria-pressed values in place of the marks; a part being rendered into
    a page frame (whose chosen size is still the frame's own mark) keeps its marks."""
    if chosen == TEXT_SIZE_MARK or PRESSED_MARK_START not in html:
        return html
    chosen = chosen if chosen in TEXT_SIZES else "normal"
    for size in TEXT_SIZES:
        html = html.replace(PRESSED_MARK.format(size), "true" if size == chosen else "false")
    return html


def frame_fill(request, frame: str, token: str) -> str:
    """A page frame with this visit's CSRF token (`get_token(request)`), page address and
    text size put in."""
    chosen = request.COOKIES.get(TEXT_SIZE_COOKIE)
    return pressed_fill(
        frame.replace(CSRF_MARK, token)
        .replace(PATH_MARK, escape(request.get_full_path()))
        .replace(TEXT_SIZE_MARK, escape(chosen or "normal")),
        chosen,
    )


def visitor_kind(request) -> dict:
    """What the `PAGE_FRAME_CONTEXT_PROCESSORS` say about the visitor (their roles): the
    same for everyone of that kind, so a frame may hold it and is keyed by it."""
    values = {}
    for path in settings.PAGE_FRAME_CONTEXT_PROCESSORS:
        values.update(import_string(path)(request))
    return values


def _key_part(values: dict) -> str:
    return ";".join(
        f"{name}={','.join(sorted(value)) if isinstance(value, set | frozenset) else value}"
        for name, value in sorted(values.items())
    )


def render_framed(
    request,
    template_name: str,
    context: dict,
    *,
    content,
    key_parts,
    slot: str,
    own: str,
    csrf_token: str | None = None,
):
    """`render(request, template_name, {**context, slot: own})`: the same page, with
    everything but `own` (the visitor's own part, HTML already escaped) rendered once.

    `content` is the part of `context` the template shows around `slot`: only content, the
    same for everyone with the same `key_parts`. The frame (base.html and the page's
    template around `slot`) is rendered from it alone, with the stand-ins above for the
    visitor; it is cached per content version,
    language, site, roles and `key_parts`. At each visit the CSRF token (`csrf_token`, the
    one the visitor's part already carries, or a new one), the page address, the text size
    and `own` are put in. The page is rendered as usual, never cached, when it shows more
    of the visitor: a session opened by a trainer (its banner names them), messages to
    show, or an editor's user bar.
    """
    own = mark_safe(own)  # noqa: S308 (the caller's escaped HTML)
    kind = visitor_kind(request)
    if (
        "editor" in kind.get("user_roles", ())
        or request.session.get("assisted_by")
        or len(get_messages(request))
    ):
        return render(request, template_name, {**context, **content, slot: own})
    key = content_key("page", template_name, request.get_host(), _key_part(kind), *key_parts)
    frame = shared_get_many([key]).get(key)
    if frame is None:
        values = {
            **content,
            **frame_values(request),
            **kind,
            slot: mark_safe(OWN_PART_MARK),  # noqa: S308 (a constant)
        }
        frame = render_to_string(template_name, values)
        shared_set_many({key: frame})
    token = csrf_token or get_token(request)  # the one the page's own forms carry, if any
    # The visitor's part last: what it holds is never searched for marks.
    page = frame_fill(request, frame, token).replace(OWN_PART_MARK, own)
    # Through a one-line template, so that the response keeps the context the page was
    # made of (as `render` does: for tests and debugging tools); it costs a few microseconds.
    return HttpResponse(
        render_to_string(
            "cms/framed_page.html",
            {**context, **content, slot: own, "csrf_token": token, "framed_page": mark_safe(page)},  # noqa: S308
        )
    )
