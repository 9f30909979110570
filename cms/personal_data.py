"""The personal data of editors' work in the admin: pages, revisions, uploads (Wagtail's and
Django's own models; the catalogue adds its H5P packages, courses/personal_data.py).

Registered with lms/personal_data.py when the app is ready; lms/privacy reads it.
"""

from django.utils.translation import gettext_lazy as _

from lms.personal_data import PersonalData, Processing, personal_data_provider


@personal_data_provider
class EditingData(PersonalData):
    processings = (
        Processing(
            key="editing",
            name=_("Writing the catalogue"),
            purpose=_(
                "Know who wrote, changed or published a module, and let editors work together."
            ),
            legal_basis=_("Legitimate interest of the publisher (GDPR art. 6.1.f)."),
            people=_("Editors and administrators."),
            recipients=_("Editors and administrators."),
            retention=_("As long as the page or file exists."),
            models={
                "wagtailcore.Page": ("owner", "locked_by"),
                "wagtailcore.Revision": ("user",),
                "wagtailcore.PageLogEntry": ("user",),
                "wagtailcore.ModelLogEntry": ("user",),
                "wagtailcore.Comment": ("user", "resolved_by"),
                "wagtailcore.CommentReply": ("user",),
                "wagtailcore.PageSubscription": ("user",),
                "wagtailcore.WorkflowState": ("requested_by",),
                "wagtailcore.TaskState": ("finished_by",),
                "wagtailcore.UploadedFile": ("uploaded_by_user",),
                "wagtailcore.APIToken": ("user",),
                "wagtailimages.Image": ("uploaded_by_user",),
                "wagtaildocs.Document": ("uploaded_by_user",),
                "wagtailusers.UserProfile": ("user",),
                "wagtailadmin.EditingSession": ("user",),
                "wagtailadmin.FormState": ("user",),
                "admin.LogEntry": ("user",),
            },
        ),
    )
    model_labels = {
        "wagtailcore.UploadedFile": _("uploaded file"),
        "wagtailcore.PageSubscription": _("page subscription"),
        "wagtailadmin.EditingSession": _("editing session"),
        "wagtailadmin.FormState": _("form being filled in"),
    }
    field_labels = {
        "uploaded_by": _("uploaded by"),
        "uploaded_by_user": _("uploaded by"),
        "requested_by": _("requested by"),
        "finished_by": _("finished by"),
        "resolved_by": _("resolved by"),
    }
    not_personal = {
        "cms.SiteSettings": "the site's public contact address, shown on every page",
    }
