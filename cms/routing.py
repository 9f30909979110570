"""Remember where each public page URL leads, so Wagtail does not walk the tree every time.

Wagtail finds the page for a URL with five queries or more (the site, the active locale, the
root page, then one query for each level and one for its specific row). This middleware
remembers the answer (the page's type and id, never anything about the visitor) under a key
holding the content version of courses/caching.py, which changes whenever a page is
published, unpublished, moved or deleted, or a site edited. On the next visit the page is
fetched with one query and handed to Wagtail's own `serve` view, which still runs every
`before_serve_page` hook (view restrictions included) and serves the page as usual.

A remembered page that is no longer live is ignored: Wagtail then routes as usual.
"""

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from wagtail.url_routing import RouteResult
from wagtail.views import serve as wagtail_serve

from courses.caching import CONTENT_CACHE_SECONDS, content_key


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
            remembered = (route.page.content_type_id, route.page.pk)
            cache.set(key, remembered, CONTENT_CACHE_SECONDS)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # Only requests for Wagtail pages pay for a look-up.
        if view_func is not wagtail_serve or request.method not in ("GET", "HEAD"):
            return None
        key = _key(request)
        remembered = cache.get(key)
        if remembered is not None:
            content_type_id, page_id = remembered
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            page = model.objects.filter(pk=page_id, live=True).first() if model else None
            if page is not None:
                # Read by Wagtail's `Page.route_for_request`, which then skips the tree walk.
                request._wagtail_route_for_request = RouteResult(page)
                return None
        request._pasapas_route_key = key  # routed by Wagtail: remember its answer
        return None
