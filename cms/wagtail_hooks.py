"""Admin customisation: plain-language warnings for editors, and a link back to the site."""

from django.contrib import messages
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from courses.models import ModulePage
from courses.plain_language import MAX_SENTENCE_WORDS, MAX_STEP_WORDS, plain_language_warnings


@hooks.register("register_admin_menu_item")
def register_public_site_link():
    return MenuItem(_("Public site"), "/", icon_name="site", order=900)


def warn_about_plain_language(request, page):
    """After saving a module, list the steps that are hard to read (the save still happens)."""
    # Wagtail autosaves in the background: only a save the editor sees gets the warnings,
    # or they would pile up and go stale.
    if not request.accepts("text/html"):
        return
    page = page.specific
    if not isinstance(page, ModulePage):
        return
    for warning in plain_language_warnings(page.steps, page.locale.language_code):
        messages.warning(request, warning.message)


hooks.register("after_create_page", warn_about_plain_language)
hooks.register("after_edit_page", warn_about_plain_language)


@hooks.register("insert_editor_js")
def plain_language_live_hints():
    """Live hints under the texts an editor types, with the same limits as the server check."""
    return format_html(
        '<script src="{}" data-max-sentence="{}" data-max-step="{}" '
        'data-sentence-message="{}" data-step-message="{}" defer></script>',
        static("js/plain-language-admin.js"),
        MAX_SENTENCE_WORDS,
        MAX_STEP_WORDS,
        _("Long sentence: %(count)s words. Aim for 12 at most."),
        _("This text has %(count)s words. Aim for 60 at most per step."),
    )
