"""Pages rendered once around the visitor's own part, then filled in at each visit.

A learner's page costs more to render than to read from a cache: base.html, its header and
footer, the page's own template. Most of it is the same for every visitor with the same
roles on the same content. `render_framed` renders that part (the *frame*) once per content
version, language, site, roles and what the caller keys it by, with stand-ins for the
visitor (cms/templatetags/chrome_tags.py `frame_values`), and at each visit puts in the
CSRF token, the page address, the text size and the visitor's own part.

Used by the learner's pages (lms/learning/views.py) and the public catalogue
(courses/models.py CatalogueIndexPage).
"""

from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from cms.templatetags.chrome_tags import frame_fill, frame_values
from courses.caching import content_key, shared_get_many, shared_set_many
from lms.accounts.access import home_url_name, user_roles

# Where the visitor's own part goes in a cached page frame (see `render_framed`): a
# private-use character, which neither a template nor escaping ever writes.
OWN_PART_MARK = "\ue002own\ue002"


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
    template around `slot`) is rendered from it alone, with the stand-ins of
    cms/templatetags/chrome_tags.py for the visitor; it is cached per content version,
    language, site, roles and `key_parts`. At each visit the CSRF token (`csrf_token`, the
    one the visitor's part already carries, or a new one), the page address, the text size
    and `own` are put in. The page is rendered as usual, never cached, when it shows more
    of the visitor: a session opened by a trainer (its banner names them), messages to
    show, or an editor's user bar.
    """
    own = mark_safe(own)  # noqa: S308 (the caller's escaped HTML)
    roles = user_roles(request.user, request.session)
    if "editor" in roles or request.session.get("assisted_by") or len(get_messages(request)):
        return render(request, template_name, {**context, **content, slot: own})
    roles_part = ",".join(sorted(roles))
    key = content_key("page", template_name, request.get_host(), roles_part, *key_parts)
    frame = shared_get_many([key]).get(key)
    if frame is None:
        values = {
            **content,
            **frame_values(request),
            "user_roles": roles,
            "home_url_name": home_url_name(request.user, request.session),
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
