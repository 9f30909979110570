"""The admin upload form: validation runs in clean(), so a refusal shows next to the file."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from .models import H5PPackage
from .validation import H5PValidationError, h5p_validate


class H5PPackageUploadForm(WagtailAdminModelForm):
    file = forms.FileField(
        label=_("H5P file"),
        help_text=_("An .h5p file exported from H5P with its libraries."),
        widget=forms.ClearableFileInput(attrs={"accept": ".h5p,application/zip"}),
    )

    class Meta:
        model = H5PPackage
        fields = []

    def clean_file(self):
        file = self.cleaned_data["file"]
        try:
            h5p_validate(file)
        except H5PValidationError as error:
            raise ValidationError(
                error.message_template, code=error.code, params=error.params
            ) from None
        return file
