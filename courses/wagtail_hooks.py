"""Admin for the catalogue: the H5P activities screens, their guard against bulk deletion, and
the screen where editors record each step of a module."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button
from wagtail.snippets.models import register_snippet

from courses import recording_views
from courses.h5p import admin_views
from courses.h5p.models import H5PPackage
from courses.h5p.selectors import h5p_package_pages
from courses.h5p.services import h5p_package_files_delete
from courses.h5p.viewsets import H5PPackageViewSet
from courses.models import ModulePage

register_snippet(H5PPackageViewSet)


@hooks.register("register_admin_urls")
def h5p_library_upgrade_urls():
    return [
        path("h5p/updates/", admin_views.upgrades, name="h5p_library_upgrades"),
        path(
            "h5p/updates/<int:library_id>/",
            admin_views.upgrade,
            name="h5p_library_upgrade",
        ),
    ]


class H5PUpgradesMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(admin_views.PERMISSION)


@hooks.register("register_admin_menu_item")
def h5p_library_upgrades_menu_item():
    return H5PUpgradesMenuItem(
        # Short: the sidebar cuts longer labels ("Mises à jour des bi…").
        _("H5P updates"),
        reverse("h5p_library_upgrades"),
        icon_name="pick",
        order=251,
    )


@hooks.register("before_delete_snippet")
def refuse_deleting_used_h5p_packages(request, instances):
    """The bulk "Delete" action bypasses our delete view; refuse when a page shows a package."""
    if request.method != "POST":
        return None  # confirmation screens delete nothing, and show the usage themselves
    packages = [instance for instance in instances if isinstance(instance, H5PPackage)]
    used = [package for package in packages if h5p_package_pages(package=package)]
    if used:
        messages.error(
            request,
            _("These H5P activities are still used by pages and were not deleted: %(titles)s.")
            % {"titles": ", ".join(package.title for package in used)},
        )
        return redirect(H5PPackage.snippet_viewset.get_url_name("list"))
    return None


@hooks.register("after_delete_snippet")
def delete_h5p_package_files(request, instances):
    """The bulk action deletes rows only; the content folders go with them."""
    for instance in instances:
        if isinstance(instance, H5PPackage):
            h5p_package_files_delete(package=instance)


@hooks.register("register_admin_urls")
def step_recording_urls():
    return [
        path(
            "enregistrements/<int:page_id>/",
            recording_views.step_recordings,
            name="step_recordings",
        ),
        path(
            "enregistrements/<int:page_id>/<str:step_id>/",
            recording_views.step_recording_post,
            name="step_recording",
        ),
    ]


def _recordings_button(page, user, priority: int):
    if page.specific_class is ModulePage and page.permissions_for_user(user).can_edit():
        yield Button(
            _("Record the steps"),
            reverse("step_recordings", args=[page.pk]),
            icon_name="media",
            priority=priority,
        )


@hooks.register("register_page_header_buttons")
def step_recordings_header_button(page, user, view_name, next_url=None):
    yield from _recordings_button(page, user, priority=40)


@hooks.register("register_page_listing_more_buttons")
def step_recordings_listing_button(page, user, next_url=None):
    yield from _recordings_button(page, user, priority=25)
