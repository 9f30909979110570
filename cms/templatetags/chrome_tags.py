"""The site's chrome (header, footer, text size form), rendered once and reused.

Every page shows the same header and footer, which cost more to render than many a page's
own content (a dozen includes, links, icons, the language list). They depend on little: the
language, the site, whether someone is signed in and which roles they hold; and, per visit,
the CSRF token and the page's own address (the forms send people back to it). Each part is
rendered once per language, site, roles and content version (courses/caching.py) with
stand-ins for the per-visit values, then filled in at every visit, as the step frames are
(lms/learning/views.py).

What stays per visit, never cached: the CSRF token, the page address, the banner of a
session opened by a trainer (it names them: the chrome is then rendered as usual).

`frame_values` and `frame_fill` do the same for a whole page (cms/framing.py
`render_framed`): everything around the visitor's own part rendered once with these
stand-ins, and the per-visit values put in at each visit.
"""

from django import template
from django.template.context_processors import i18n
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from wagtail.contrib.settings.context_processors import settings as site_settings

from courses.caching import CONTENT_CACHE_SECONDS, content_key, shared_get_many, shared_set_many

register = template.Library()

# Private-use characters: neither a template nor escaping ever writes them.
CSRF_MARK = "\ue001csrf\ue001"
PATH_MARK = "\ue001path\ue001"
TEXT_SIZE_MARK = "\ue001text-size\ue001"
# aria-pressed of each text-size button, put in at each visit (see `text_size_pressed`).
PRESSED_MARK_START = "\ue001pressed-"
PRESSED_MARK = PRESSED_MARK_START + "{}\ue001"
TEXT_SIZE_COOKIE = "pasapas_text_size"
TEXT_SIZES = ("normal", "large", "larger")

# How long each part may be kept; the footer shows site settings, which send no signal
# (the same five minutes as its own {% cache %} fragment).
PART_SECONDS = {"includes/footer.html": 300}


class _MarkedRequest:
    """All the cached chrome may read of the request: a stand-in for the page address.

    Nothing else of the visitor's request (nor their user, see `_Visitor`) reaches a part
    rendered for everyone: a template that one day shows more of them renders it empty
    here, instead of showing one person's data to the next.
    """

    session: dict = {}  # read-only; `assisted_by` is never cached

    def get_full_path(self):
        return PATH_MARK


class _Visitor:
    """The `user` of the cached chrome: only whether someone is signed in."""

    def __init__(self, is_authenticated: bool):
        self.is_authenticated = is_authenticated


@register.simple_tag(takes_context=True)
def chrome(context, template_name: str):
    """`{% include template_name %}`, cached with stand-ins for the per-visit values."""
    request = context.get("request")
    # The token `{% csrf_token %}` would write: the request's (lazy) one, the same in
    # every form of the page.
    token = str(context.get("csrf_token") or "")
    if request is None or token in ("", "NOTPROVIDED") or request.session.get("assisted_by"):
        return mark_safe(render_to_string(template_name, context.flatten()))  # noqa: S308
    user = context.get("user")
    authenticated = bool(user is not None and user.is_authenticated)
    roles = ",".join(sorted(context.get("user_roles") or ()))
    key = content_key("chrome", template_name, request.get_host(), int(authenticated), roles)
    seconds = PART_SECONDS.get(template_name, CONTENT_CACHE_SECONDS)
    html = shared_get_many([key], seconds).get(key)
    if html is None:
        values = context.flatten()
        values.update(request=_MarkedRequest(), user=_Visitor(authenticated), csrf_token=CSRF_MARK)
        html = render_to_string(template_name, values)
        shared_set_many({key: html}, seconds)
    if CSRF_MARK in html:
        html = html.replace(CSRF_MARK, token)
    if PATH_MARK in html:
        html = html.replace(PATH_MARK, escape(request.get_full_path()))
    html = pressed_fill(html, getattr(request, "COOKIES", {}).get(TEXT_SIZE_COOKIE))
    return mark_safe(html)  # noqa: S308 (our templates; the values put in are escaped)


class _FrameRequest(_MarkedRequest):
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
        "user": _Visitor(request.user.is_authenticated),
        "csrf_token": CSRF_MARK,
        "messages": (),
    }


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


SITE_NAME = "Pas à pas"


@register.filter(is_safe=True)
def page_title(title: str) -> str:
    """The page's own title followed by the site's name, the site's name only once: the
    home page, titled "Pas à pas" in Wagtail, had the name twice."""
    title = title.strip()
    if not title or title.casefold() == SITE_NAME.casefold():
        return SITE_NAME
    if title.endswith(SITE_NAME):
        return title
    return mark_safe(f"{title} – {SITE_NAME}")  # noqa: S308 (title is the rendered, escaped block)


@register.simple_tag(takes_context=True)
def text_size_pressed(context, size: str) -> str:
    """ "true" on the text-size button of the size this device chose, "false" on the others.

    In a part rendered for everyone (the cached chrome, a page frame) it writes a mark that
    `pressed_fill` replaces at each visit.
    """
    request = context.get("request")
    if request is None or isinstance(request, _MarkedRequest):
        return PRESSED_MARK.format(size)
    return "true" if (request.COOKIES.get(TEXT_SIZE_COOKIE) or "normal") == size else "false"


def pressed_fill(html: str, chosen: str | None) -> str:
    """Put this visit's aria-pressed values in place of the marks; a part being rendered into
    a page frame (whose chosen size is still the frame's own mark) keeps its marks."""
    if chosen == TEXT_SIZE_MARK or PRESSED_MARK_START not in html:
        return html
    chosen = chosen if chosen in TEXT_SIZES else "normal"
    for size in TEXT_SIZES:
        html = html.replace(PRESSED_MARK.format(size), "true" if size == chosen else "false")
    return html
