"""Editors' image uploads: a file that only looks like an image is refused with a message."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection

from tests.cms.test_documents import editor_client

pytestmark = pytest.mark.django_db
Image = get_image_model()

# A GIF/JavaScript polyglot: "GIF89a" then "/*" as the width, so the same bytes parse as a
# script (GIF89a/*...*/=alert(1)//) yet no image decoder can read the rest.
POLYGLOT = b"GIF89a/*\x0a\x00\x00\x00\x00\x00*/=alert(document.domain);//;"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def editor(client, media_root):
    return editor_client(client, "fr")


def real_gif() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 3), "red").save(buffer, "GIF")
    return buffer.getvalue()


def add(editor, name: str, content: bytes):
    return editor.post(
        reverse("wagtailimages:add"),
        {
            "title": name,
            "file": SimpleUploadedFile(name, content, content_type="image/gif"),
            "collection": Collection.get_first_root_node().pk,
        },
    )


def add_multiple(editor, name: str, content: bytes):
    return editor.post(
        reverse("wagtailimages:add_multiple"),
        {
            "files[]": SimpleUploadedFile(name, content, content_type="image/gif"),
            "collection": Collection.get_first_root_node().pk,
        },
    )


def test_an_editor_adds_a_real_gif(editor):
    response = add(editor, "carte.gif", real_gif())
    assert response.status_code == 302
    assert Image.objects.get(title="carte.gif").width == 4


def test_a_gif_javascript_polyglot_is_refused_with_a_message_and_nothing_is_stored(editor):
    response = add(editor, "carte.gif", POLYGLOT)
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert errors == [IMAGE_REFUSED_FR]
    assert not Image.objects.filter(title="carte.gif").exists()


def test_the_multiple_upload_refuses_the_polyglot_with_a_message(editor):
    response = add_multiple(editor, "carte.gif", POLYGLOT)
    assert response.status_code == 200
    data = response.json()
    assert data["success"] is False
    assert IMAGE_REFUSED_FR in data["error_message"]
    assert not Image.objects.filter(title="carte.gif").exists()


IMAGE_REFUSED_FR = (
    "Ce fichier n’est pas une image lisible. Enregistrez-la à nouveau en PNG ou en JPEG, "
    "puis réessayez."
)
