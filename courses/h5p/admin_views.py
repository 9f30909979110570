"""Admin screens to move H5P activities onto a newer patch of a library, never silently."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.log_actions import log

from .selectors import h5p_library_get, h5p_library_upgrade_of, h5p_library_upgrades
from .services import h5p_packages_upgrade

PERMISSION = "courses.change_h5ppackage"


def _require_permission(request) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def upgrades(request):
    """Every newer patch stored, with the activities that still play an older one."""
    _require_permission(request)
    return TemplateResponse(
        request,
        "h5p/admin/upgrades.html",
        {"upgrades": h5p_library_upgrades(), "page_title": _("H5P library updates")},
    )


def upgrade(request, library_id: int):
    """GET lists the activities that would change; POST moves them onto this version."""
    _require_permission(request)
    library = h5p_library_get(library_id)
    if request.method == "POST":
        moved = h5p_packages_upgrade(library=library)
        for package in moved:
            log(instance=package, action="wagtail.edit", user=request.user)
        messages.success(
            request,
            ngettext(
                "%(count)s H5P activity now plays %(library)s.",
                "%(count)s H5P activities now play %(library)s.",
                len(moved),
            )
            % {"count": len(moved), "library": library},
        )
        return redirect("h5p_library_upgrades")
    upgrade = h5p_library_upgrade_of(library=library)
    return TemplateResponse(
        request,
        "h5p/admin/upgrade_confirm.html",
        {
            "upgrade": upgrade,
            "packages_and_versions": list(zip(upgrade.packages, upgrade.current, strict=True)),
            "page_title": _("Update to %(library)s") % {"library": library},
        },
    )
