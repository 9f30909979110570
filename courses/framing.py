"""Frames: HTML rendered once for everyone alike, with stand-ins filled in at each visit.

A learner's page costs more to render than to read from a cache: base.html, its header and
footer, the page's own template. Most of it is the same for every visitor of the same kind
on the same content. This module is the one way the site caches such HTML around what
differs per visit. Its users: the page frames (`render_framed`: Mon parcours, the module
player, the public catalogue), the site's chrome (cms/templatetags/chrome_tags.py: header,
footer, text size form), each step's frame and the shape of the learner's own part of
Mon parcours (lms/learning/player.py, views_my_path.py).

The contract
- What a frame may hold: only what is the same for everyone its key names: content, the
  language, the site, whether someone is signed in, their roles, and what the caller keys
  it by (a module revision, a step's number). Never a visitor's name, progress, answer,
  CSRF token, page address or text size: those are stand-ins. A frame is rendered with
  `MarkedRequest` and `MarkedVisitor` in place of the request and the user, so a template
  that one day shows more of them renders it empty instead of showing one person's data to
  the next.
- How it is keyed: `frames()` keys each frame by `content_key` (the content version and
  the language) plus the caller's parts, which must name every input of the template that
  is not content and not a stand-in (the template, the site's host, the roles, ...).
- How it is invalidated: never one by one. A publication, a move, a deletion or a site or
  picture edit starts a new content version (courses/caching.py), so every key changes; an
  entry also expires after `CONTENT_CACHE_SECONDS` (or the caller's shorter time, as the
  footer's site settings, which send no signal).
- How a stand-in is written: `stand_in(name)` in the template's context in place of the
  value: the name between two `MARK`s, a private-use character that neither a template nor
  escaping ever writes. Names are lower-case letters, digits, `_` and `-`.
- How it is filled: `fill(frame, values)` puts every stand-in's value in, in ONE pass over
  the frame (a regular expression's `sub`), so a value put in (an editor's text, a learner's
  name) is never searched for stand-ins again. Values are HTML: the caller escapes text.
  A stand-in whose name is not among `values` is left as it is: a frame inside another
  (the chrome inside a page frame) keeps its stand-ins for the outer one to fill. A frame
  within a visitor's part is filled before it becomes the outer frame's value: frames are
  filled from the inside out.

Which kind of visitor a page frame is for comes from the context processors named in the
`PAGE_FRAME_CONTEXT_PROCESSORS` setting (their values are put in the frame and key it: the
roles, from lms/accounts/context_processors.py): the catalogue sits below the accounts and
names no one, so it asks the settings rather than importing them.

Not a frame: the private-use characters of lms/learning/compiled.py are SQL parameter
values standing for a query's arguments while it is compiled; they never reach HTML.
"""

import re
from collections.abc import Callable, Mapping, Sequence

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.context_processors import i18n
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from wagtail.contrib.settings.context_processors import settings as site_settings

from .caching import CONTENT_CACHE_SECONDS, content_keys, shared_get_many, shared_set_many

# Private use: neither a template nor escaping ever writes it.
MARK = "\ue000"
_STAND_IN = re.compile(f"{MARK}([a-z0-9_-]+){MARK}")

TEXT_SIZE_COOKIE = "pasapas_text_size"
TEXT_SIZES = ("normal", "large", "larger")


def stand_in(name: str) -> SafeString:
    """What a frame holds in place of the value called `name`, filled in by `fill`."""
    return mark_safe(f"{MARK}{name}{MARK}")  # noqa: S308 (a name of ours between two marks)


def fill(frame: str, values: Mapping[str, str]) -> str:
    """`frame` with each stand-in named in `values` replaced by its value, in one pass."""
    return _STAND_IN.sub(lambda found: values.get(found.group(1), found.group(0)), frame)


def frames(
    key_parts: Sequence[tuple],
    render: Callable[[int], str],
    seconds: int = CONTENT_CACHE_SECONDS,
) -> list[str]:
    """The frame of each of `key_parts` (a kind, then what it is keyed by), read in one go;
    the missing ones rendered by `render(index)` and cached."""
    keys = content_keys(*(("frame", *parts) for parts in key_parts))
    found = shared_get_many(keys, seconds)
    missing = {key: render(i) for i, key in enumerate(keys) if key not in found}
    if missing:
        shared_set_many(missing, seconds)
        found.update(missing)
    return [found[key] for key in keys]


def frame(key_parts: tuple, render: Callable[[], str], seconds: int = CONTENT_CACHE_SECONDS):
    """`frames` for one frame."""
    return frames([key_parts], lambda _index: render(), seconds)[0]


class MarkedRequest:
    """All a frame may read of the request: a stand-in for the page address and the text
    size. Nothing else of the visitor's request (nor their user, see `MarkedVisitor`)."""

    session: dict = {}  # read-only; `assisted_by` is never in a frame
    COOKIES = {TEXT_SIZE_COOKIE: stand_in("text-size")}

    def get_full_path(self):
        return stand_in("path")


class MarkedVisitor:
    """The `user` of a frame: only whether someone is signed in."""

    def __init__(self, is_authenticated: bool):
        self.is_authenticated = is_authenticated


class _PageFrameRequest(MarkedRequest):
    """The request a page frame is rendered with: its host too (in the key)."""

    def __init__(self, host: str):
        self.host = host

    def get_host(self):
        return self.host


def pressed_stand_in(size: str) -> SafeString:
    """aria-pressed of the text-size button `size`, in a frame (see chrome_tags.py)."""
    return stand_in(f"pressed-{size}")


def visit_values(request, token: str) -> dict[str, str]:
    """The values of the stand-ins every frame may hold: this visit's CSRF token, page
    address, text size and aria-pressed of each text-size button."""
    chosen = request.COOKIES.get(TEXT_SIZE_COOKIE)
    pressed = chosen if chosen in TEXT_SIZES else "normal"
    return {
        "csrf": token,
        "path": escape(request.get_full_path()),
        "text-size": escape(chosen or "normal"),
        **{f"pressed-{size}": "true" if size == pressed else "false" for size in TEXT_SIZES},
    }


def frame_values(request) -> dict:
    """What a page frame is rendered with in place of the context processors' values: the
    language and site settings, stand-ins for the request, the user and the CSRF token, and
    no messages (a page with messages to show is rendered as usual). The caller adds what
    it keys the frame by (the content, the roles) and the visitor's part as a stand-in."""
    return {
        **i18n(request),
        **site_settings(request),
        "request": _PageFrameRequest(request.get_host()),
        "user": MarkedVisitor(request.user.is_authenticated),
        "csrf_token": stand_in("csrf"),
        "messages": (),
    }


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
    everything but `own` (the visitor's own part, HTML already escaped and filled) rendered
    once.

    `content` is the part of `context` the template shows around `slot`: only content, the
    same for everyone with the same `key_parts`. The frame (base.html and the page's
    template around `slot`) is rendered from it alone, with stand-ins for the visitor; it
    is keyed by the template, site, roles and `key_parts`. At each visit the CSRF token
    (`csrf_token`, the one the visitor's part already carries, or a new one), the page
    address, the text size and `own` are put in. The page is rendered as usual, never
    cached, when it shows more of the visitor: a session opened by a trainer (its banner
    names them), messages to show, or an editor's user bar.
    """
    own = mark_safe(own)  # noqa: S308 (the caller's escaped HTML)
    kind = visitor_kind(request)
    if (
        "editor" in kind.get("user_roles", ())
        or request.session.get("assisted_by")
        or len(get_messages(request))
    ):
        return render(request, template_name, {**context, **content, slot: own})
    page_frame = frame(
        ("page", template_name, request.get_host(), _key_part(kind), *key_parts),
        lambda: render_to_string(
            template_name,
            {**content, **frame_values(request), **kind, slot: stand_in("own")},
        ),
    )
    token = csrf_token or get_token(request)  # the one the page's own forms carry, if any
    page = fill(page_frame, {**visit_values(request, token), "own": own})
    # Through a one-line template, so that the response keeps the context the page was
    # made of (as `render` does: for tests and debugging tools); it costs a few microseconds.
    return HttpResponse(
        render_to_string(
            "cms/framed_page.html",
            {**context, **content, slot: own, "csrf_token": token, "framed_page": mark_safe(page)},  # noqa: S308
        )
    )
