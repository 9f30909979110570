"""Wagtail's document and image forms, with the uploaded file checked by its content.

Set as WAGTAILDOCS_DOCUMENT_FORM_BASE, so it serves every way a document is added or
replaced in the admin: the add and edit pages, the chooser's upload tab and the drag-and-drop
multiple upload (which reports errors on the "file" field to the person, file by file).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from wagtail.documents.forms import BaseDocumentForm
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

from lms.accounts.uploads import upload_content_check


class CheckedDocumentForm(BaseDocumentForm):
    def clean_file(self):
        file = self.cleaned_data.get("file")
        # Only a new upload: an edit that keeps the stored file has nothing to check.
        if not isinstance(file, UploadedFile):
            return file
        extension = file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
        allowed = getattr(settings, "WAGTAILDOCS_EXTENSIONS", None)
        # A type outside the list is refused by Wagtail's own validator, with its own message.
        if allowed and extension not in allowed:
            return file
        upload_content_check(file, file.name)
        return file

    def _post_clean(self):
        # When the file itself was refused (content, size), the model's extension check then
        # runs on an empty file name and adds "File extension “” is not allowed": drop that.
        refused = list(self._errors.get("file", []))
        super()._post_clean()
        if refused:
            self._errors["file"] = self.error_class(refused)


class ReadableImageField(WagtailImageField):
    """Wagtail's image field, refusing with a message a file only an image's first bytes fit.

    Willow recognises an image by its signature alone, then Pillow cannot read it when the
    size is checked: a GIF/JavaScript polyglot ("GIF89a/*...*/=alert(1)") raised
    PIL.UnidentifiedImageError there, a 500 instead of a message.
    """

    def check_image_pixel_size(self, f):
        try:
            super().check_image_pixel_size(f)
        except ValidationError:
            raise
        # Any decoder error, as Wagtail's own to_python catches when Willow opens the file.
        except Exception as error:
            raise ValidationError(
                _(
                    "This file is not a readable image. Save it again as PNG or JPEG, "
                    "then try again."
                ),
                code="unreadable_image",
            ) from error


class CheckedImageForm(BaseImageForm):
    """Set as WAGTAILIMAGES_IMAGE_FORM_BASE: every image form of the admin reads the file."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("file")
        # Wagtail builds this field itself (formfield_for_dbfield); only its class changes.
        if field is not None and not isinstance(field, ReadableImageField):
            readable = ReadableImageField(
                label=field.label, required=field.required, widget=field.widget
            )
            readable.initial = field.initial
            self.fields["file"] = readable
