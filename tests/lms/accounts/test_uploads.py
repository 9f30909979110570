"""Uploaded files are checked by content and served so that nothing in them can run."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents.models import Document
from wagtail.images.fields import WagtailImageField

EVIL_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
    b"<script>fetch('/formateur/')</script><rect width='10' height='10'/></svg>"
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def media_file():
    def write(name: str, content: bytes) -> str:
        path = settings.MEDIA_ROOT / "tests-uploads" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        return f"{settings.MEDIA_URL}tests-uploads/{name}"

    return write


def _assert_inert(response):
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox;")
    assert "allow-scripts" not in policy
    assert "default-src 'none'" in policy


def test_an_svg_from_media_is_still_an_image_but_its_script_cannot_run(client, media_file):
    response = client.get(media_file("logo.svg", EVIL_SVG))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    _assert_inert(response)


def test_a_picture_from_media_is_shown_inline(client, media_file):
    response = client.get(media_file("photo.png", PNG))
    assert response["Content-Type"] == "image/png"
    assert not response.get("Content-Disposition", "").startswith("attachment")
    _assert_inert(response)


@pytest.mark.parametrize(
    "name", ["page.html", "page.htm", "tool.js", "style.css", "data.json", "page.xhtml", "x"]
)
def test_a_file_of_any_other_type_in_media_is_only_downloaded(client, media_file, name):
    response = client.get(media_file(name, b"<html><script>alert(1)</script></html>"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == "attachment"
    _assert_inert(response)


def test_a_web_page_named_like_a_picture_is_refused_as_an_image():
    fake = SimpleUploadedFile("photo.png", b"<html><script>alert(1)</script></html>")
    with pytest.raises(ValidationError):
        WagtailImageField().clean(fake)


def test_a_script_named_like_an_svg_is_refused_as_an_image():
    fake = SimpleUploadedFile("logo.svg", b"alert(document.cookie)")
    with pytest.raises(ValidationError):
        WagtailImageField().clean(fake)


@pytest.mark.django_db
def test_a_document_is_served_without_anything_that_could_run(client):
    document = Document.objects.create(
        title="Page piégée",
        file=ContentFile(b"<html><script>alert(1)</script></html>", name="piege.mp4"),
    )
    response = client.get(document.url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "text/html" not in response["Content-Type"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "script-src" not in response["Content-Security-Policy"]
