"""Import and export URLs, included under /formateur/."""

from django.urls import path

from . import transfer_views

app_name = "transfer"
urlpatterns = [
    path("importer/", transfer_views.transfer_import, name="import"),
    path("importer/confirmer/", transfer_views.transfer_confirm_view, name="confirm"),
    path(
        "importer/modele/<slug:kind>.<slug:fmt>",
        transfer_views.transfer_template_download,
        name="template",
    ),
    path(
        "importer/refuses/<slug:kind>",
        transfer_views.transfer_refused_download,
        name="refused",
    ),
    path("exporter/", transfer_views.transfer_export_page, name="export"),
    path(
        "exporter/<slug:kind>.<slug:fmt>",
        transfer_views.transfer_download,
        name="download",
    ),
]
