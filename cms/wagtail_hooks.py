"""Admin customisation: a link back to the public site, and the editors' own home."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem


@hooks.register("register_admin_menu_item")
def register_public_site_link():
    return MenuItem(_("Public site"), "/", icon_name="site", order=900)
