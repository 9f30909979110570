"""Impact URLs: the dashboard, its exports and frozen reports."""

from django.urls import path

from . import views

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
]
