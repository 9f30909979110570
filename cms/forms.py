"""Wagtail's document form, with the uploaded file checked by its content.

Set as WAGTAILDOCS_DOCUMENT_FORM_BASE, so it serves every way a document is added or
replaced in the admin: the add and edit pages, the chooser's upload tab and the drag-and-drop
multiple upload (which reports errors on the "file" field to the person, file by file).
"""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from wagtail.documents.forms import BaseDocumentForm

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
