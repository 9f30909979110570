"""Wagtail admin forms of the catalogue: competences and prerequisites ticked in lists."""

from django.db.models import Q
from wagtail.admin.forms import WagtailAdminPageForm


class ModulePageForm(WagtailAdminPageForm):
    """Prerequisites are offered among the modules of the same language (a translation is the
    same module), never the module itself; those already chosen always stay in the list."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("prerequisites")
        if field is None or not self.instance.locale_id:
            return
        chosen = self.instance.prerequisites.all() if self.instance.pk else []
        field.queryset = (
            field.queryset.filter(
                Q(locale_id=self.instance.locale_id) | Q(pk__in=[page.pk for page in chosen])
            )
            .exclude(pk=self.instance.pk)
            .order_by("title")
        )
