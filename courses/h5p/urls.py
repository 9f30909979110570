"""URLs of the H5P player frame and of the package files it loads."""

from django.urls import path

from . import views

app_name = "h5p"

urlpatterns = [
    path("frame/<int:package_id>/", views.frame, name="frame"),
    path("frame.js", views.frame_script, name="frame_script"),
    # Before package_file, whose <path:path> would also match "libraries/...".
    path(
        "files/<int:package_id>/libraries/<str:revision>/<str:folder>/<path:path>",
        views.library_file,
        name="library_file",
    ),
    path("files/<int:package_id>/<path:path>", views.package_file, name="package_file"),
]
