"""The Wagtail admin screens for H5P activities: upload, list, usage, inspect, safe delete."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import Column, UsageCountColumn
from wagtail.log_actions import log
from wagtail.snippets.views.snippets import CreateView, DeleteView, SnippetViewSet

from .forms import H5PPackageUploadForm
from .models import H5PPackage
from .selectors import h5p_package_list, h5p_package_pages
from .services import H5PPackageInUseError, h5p_package_delete, h5p_package_store


class PageUsageColumn(UsageCountColumn):
    """How many pages show the package, linked to its usage screen."""

    def get_cell_context_data(self, instance, parent_context):
        instance.usage_url = reverse(
            instance.snippet_viewset.get_url_name("usage"), args=[instance.pk]
        )
        return super().get_cell_context_data(instance, parent_context)


class H5PPackageCreateView(CreateView):
    def save_instance(self):
        # The form validated the file already; storing validates again, as a service must.
        package = h5p_package_store(
            file=self.form.cleaned_data["file"], uploaded_by=self.request.user
        )
        log(instance=package, action="wagtail.create", user=self.request.user)
        return package


class H5PPackageDeleteView(DeleteView):
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # The reference index misses drafts; the service's own check does not.
        self.pages = h5p_package_pages(package=self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.pages:
            context["is_protected"] = True
            context["usage_count"] = max(context.get("usage_count") or 0, len(self.pages))
        return context

    def form_valid(self, form):
        try:
            with transaction.atomic():
                # Logged first, as Wagtail does: the entry needs the package's id.
                log(instance=self.object, action="wagtail.delete", user=self.request.user)
                h5p_package_delete(package=self.object)
        except H5PPackageInUseError as error:
            messages.error(self.request, error.message)
            return redirect(self.get_success_url())
        messages.success(self.request, self.get_success_message())
        hook_response = self.run_after_hook()
        return hook_response or redirect(self.get_success_url())


class H5PPackageViewSet(SnippetViewSet):
    model = H5PPackage
    icon = "pick"
    menu_label = _("H5P activities")
    menu_order = 250
    add_to_admin_menu = True
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = ["title", "main_library", "language", "size_bytes", "created_at"]
    add_view_class = H5PPackageCreateView
    delete_view_class = H5PPackageDeleteView
    # Editing only renames: the content of an uploaded package never changes.
    form_fields = ["title"]
    list_display = [
        "title",
        Column("main_library", label=_("Main library"), accessor="main_library"),
        Column(
            "size_bytes",
            label=_("Size"),
            accessor=lambda package: filesizeformat(package.size_bytes),
            sort_key="size_bytes",
        ),
        PageUsageColumn("usage_count", label=_("Used by"), sort_key="usage_count"),
    ]

    def get_queryset(self, request):
        return h5p_package_list()

    def get_add_view_kwargs(self, **kwargs):
        # Creating is uploading: a file field instead of the model's fields.
        upload_panel = ObjectList([FieldPanel("file")]).bind_to_model(H5PPackage)
        return super().get_add_view_kwargs(
            panel=upload_panel, form_class=H5PPackageUploadForm, **kwargs
        )
