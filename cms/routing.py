"""Remember where each public page URL leads, so Wagtail does not walk the tree every time.

Wagtail finds the page for a URL with five queries or more (the site, the active locale, the
root page, then one query for each level and one for its specific row). This middleware
remembers the answer (the live page itself, as loaded from the database, never anything
about the visitor) under a key holding the content version of courses/caching.py, which
changes whenever a page is published, unpublished, moved or deleted, or a site edited. On
the next visit the page comes from the cache (courses/caching.py `shared_get_many`: kept in
this process as well), without a query, each request unpickling its own copy, and is handed
to Wagtail's own `serve` view, which still runs every `before_serve_page` and
`on_serve_page` hook and serves the page as usual.

The page's view restrictions (its own and its ancestors', two queries in Wagtail's
`Page.get_view_restrictions`) are remembered with it: the rows only, each visit still
decides with Wagtail's `accept_request` whether this visitor may see the page (signed in,
in a group, password given). Saving, deleting or regrouping a restriction starts a new
content version (courses/caching.py), so a new restriction applies at once.
"""

import pickle

from wagtail.models import Page
from wagtail.url_routing import RouteResult
from wagtail.views import serve as wagtail_serve

from courses.caching import content_key, shared_get_many, shared_set_many


def _key(request) -> str:
    return content_key("route", request.get_host(), request.path_info)


class PageRouteCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        key = getattr(request, "_pasapas_route_key", None)
        route = getattr(request, "_wagtail_route_for_request", None)
        # Only a plain page route that Wagtail found itself; a page that routes sub-paths
        # itself (args) is left alone.
        if (
            key is not None
            and isinstance(route, RouteResult)
            and not route.args
            and not route.kwargs
            and response.status_code == 200
        ):
            # Loaded afresh: the served page may carry what the visit computed on it. Kept
            # pickled (bytes, the same for everyone), so every visit gets its own copy.
            page = type(route.page).objects.filter(pk=route.page.pk, live=True).first()
            if page is not None:
                restrictions = list(page.get_view_restrictions())
                shared_set_many({key: pickle.dumps((page, restrictions))})
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Only requests for Wagtail pages pay for a look-up.
        if view_func is not wagtail_serve or request.method not in ("GET", "HEAD"):
            return None
        key = _key(request)
        remembered = shared_get_many([key]).get(key)
        entry = pickle.loads(remembered) if isinstance(remembered, bytes) else None  # noqa: S301 (ours)
        if isinstance(entry, tuple) and isinstance(entry[0], Page) and entry[0].live:
            page, restrictions = entry
            # Read by Wagtail's `check_view_restrictions` hook instead of the two queries.
            page.get_view_restrictions = lambda: restrictions
            # Read by Wagtail's `Page.route_for_request`, which then skips the tree walk.
            request._wagtail_route_for_request = RouteResult(page)
            return None
        request._pasapas_route_key = key  # routed by Wagtail: remember its answer
        return None
