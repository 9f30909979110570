"""Impact URLs: the dashboard, its exports, frozen reports, API tokens and the xAPI export."""

from django.urls import path

from . import views, views_api

app_name = "impact"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.<str:kind>", views.export, name="export"),
    path("freeze/", views.freeze, name="freeze"),
    path("reports/<int:pk>/", views.frozen_report, name="frozen_report"),
    path(
        "reports/<int:pk>/export.<str:kind>",
        views.frozen_report_export,
        name="frozen_report_export",
    ),
    path("api-tokens/", views_api.api_tokens, name="api_tokens"),
    path("api-tokens/<int:pk>/revoke/", views_api.api_token_revoke, name="api_token_revoke"),
    path(
        "associations/<int:association_id>/xapi.json",
        views_api.xapi_export,
        name="xapi_export",
    ),
]
