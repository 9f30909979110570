"""The site's chrome (header, footer, text size form), rendered once and reused.

Every page shows the same header and footer, which cost more to render than many a page's
own content (a dozen includes, links, icons, the language list). They depend on little: the
language, the site, whether someone is signed in and which roles they hold; and, per visit,
the CSRF token and the page's own address (the forms send people back to it). Each part is
rendered once per language, site, roles and content version (courses/caching.py) with
stand-ins for the per-visit values, then filled in at every visit.

What stays per visit, never cached: the CSRF token, the page address, the banner of a
session opened by a trainer (it names them: the chrome is then rendered as usual).

The frames, their stand-ins and their filling in are courses/framing.py's (its contract
holds here): inside a page frame (`render_framed`) a part keeps its stand-ins, which the
page frame fills with its own.
"""

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from courses.caching import CONTENT_CACHE_SECONDS
from courses.framing import (
    TEXT_SIZE_COOKIE,
    MarkedRequest,
    MarkedVisitor,
    fill,
    frame,
    pressed_stand_in,
    stand_in,
    visit_values,
)

register = template.Library()

# How long each part may be kept; the footer shows site settings, which send no signal
# (the same five minutes as its own {% cache %} fragment).
PART_SECONDS = {"includes/footer.html": 300}


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

    def render():
        values = context.flatten()
        values.update(
            request=MarkedRequest(), user=MarkedVisitor(authenticated), csrf_token=stand_in("csrf")
        )
        return render_to_string(template_name, values)

    html = frame(
        ("chrome", template_name, request.get_host(), int(authenticated), roles),
        render,
        PART_SECONDS.get(template_name, CONTENT_CACHE_SECONDS),
    )
    if isinstance(request, MarkedRequest):  # in a page frame, which fills it
        return mark_safe(html)  # noqa: S308 (our templates)
    return mark_safe(fill(html, visit_values(request, token)))  # noqa: S308 (values escaped)


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
    `visit_values` fills in at each visit (courses/framing.py).
    """
    request = context.get("request")
    if request is None or isinstance(request, MarkedRequest):
        return pressed_stand_in(size)
    return "true" if (request.COOKIES.get(TEXT_SIZE_COOKIE) or "normal") == size else "false"
