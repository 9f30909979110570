"""URLs of the read-only impact API (lms/impact/api.py), included at /api/v1/."""

from .api import api

urls, _app_name, app_name = api.urls
urlpatterns = urls
