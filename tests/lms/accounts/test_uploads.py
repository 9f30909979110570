"""Uploaded files are checked by content and served so that nothing in them can run."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents.models import Document
from wagtail.images.fields import WagtailImageField

from tests.lms.accounts import samples

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


# --- Checked by content when uploaded (lms/accounts/uploads.py) -----------------------------


def check(name: str, content: bytes) -> None:
    from lms.accounts.uploads import upload_content_check

    upload_content_check(SimpleUploadedFile(name, content), name)


def refusal(name: str, content: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check(name, content)
    return caught.value


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fiche.pdf", samples.pdf()),
        ("FICHE.PDF", samples.pdf()),
        ("consigne.mp3", samples.MP3_ID3),
        ("consigne-sans-tag.mp3", samples.MP3_FRAME_WITH_CRC),
        ("consigne.ogg", samples.OGG),
        ("consigne.m4a", samples.M4A),
        ("telephone.m4a", samples.M4A_MP42),
        ("video.mp4", samples.MP4),
        ("video.webm", samples.WEBM),
        ("video.vtt", samples.VTT),
        ("video-bom.vtt", b"\xef\xbb\xbf" + samples.VTT),
        ("lettre.docx", samples.ooxml("word")),
        ("budget.xlsx", samples.ooxml("xl")),
        ("atelier.pptx", samples.ooxml("ppt")),
        ("lettre.odt", samples.odf("application/vnd.oasis.opendocument.text")),
        ("budget.ods", samples.odf("application/vnd.oasis.opendocument.spreadsheet")),
        ("atelier.odp", samples.odf("application/vnd.oasis.opendocument.presentation")),
        ("notes.txt", "Rendez-vous à 9 h, salle 2 <3\n".encode()),
        ("liste.csv", "nom;prénom\nDiallo;Awa\n".encode()),
    ],
)
def test_a_file_whose_content_matches_its_name_is_accepted(name, content):
    check(name, content)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("fiche.pdf", samples.HTML),
        ("fiche.pdf", samples.SVG),
        ("fiche.pdf", samples.WINDOWS_PROGRAM),
        ("consigne.mp3", samples.SCRIPT),
        ("consigne.mp3", samples.OGG),
        ("consigne.mp3", b"\xff\xf1\x50\x80"),  # AAC (ADTS), not MPEG layer III
        ("consigne.ogg", samples.HTML),
        ("consigne.m4a", samples.WEBM),
        ("video.mp4", samples.SVG),
        ("video.mp4", samples.ZIP),
        ("video.webm", samples.LINUX_PROGRAM),
        ("video.webm", b"\x1a\x45\xdf\xa3\x42\x82\x88matroska"),
        ("lettre.docx", samples.ooxml("xl")),
        ("lettre.docx", samples.ZIP),
        ("lettre.odt", samples.odf("application/vnd.oasis.opendocument.spreadsheet")),
        ("fiche.pdf", b""),
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(name, content):
    assert refusal(name, content).code == "content_mismatch"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("video.vtt", samples.HTML, "markup"),
        ("video.vtt", b"\n  <svg onload='alert(1)'>", "markup"),
        ("notes.txt", b"<html><script>alert(1)</script>", "markup"),
        ("notes.txt", b"\xef\xbb\xbf<?xml version='1.0'?><svg/>", "markup"),
        ("liste.csv", b"<script>alert(1)</script>", "markup"),
        ("video.vtt", samples.VTT + b"\x00\x01", "not_text"),
        ("video.vtt", "WEBVTT\n\nÉté".encode("latin-1"), "not_text"),
        ("video.vtt", samples.WINDOWS_PROGRAM, "not_text"),
        ("video.vtt", b"00:00.000 --> 00:02.000\nBonjour\n", "not_webvtt"),
        ("video.vtt", b"WEBVTTX\n", "not_webvtt"),
    ],
)
def test_a_text_file_must_be_utf8_text_and_not_markup(name, content, code):
    assert refusal(name, content).code == code


def test_a_text_file_is_read_to_its_end_not_only_its_start():
    late_binary = samples.VTT + b"a" * (3 * 1024 * 1024) + b"\x00"
    assert refusal("video.vtt", late_binary).code == "not_text"


@pytest.mark.parametrize("name", ["page.html", "logo.svg", "outil.js", "setup.exe", "sans-nom"])
def test_a_type_nobody_planned_for_is_refused_rather_than_passed_unchecked(name):
    assert refusal(name, samples.pdf()).code == "unchecked_type"


def test_every_document_type_the_site_accepts_is_checked_by_content():
    from lms.accounts.uploads import CHECKED_EXTENSIONS

    assert set(settings.WAGTAILDOCS_EXTENSIONS) <= CHECKED_EXTENSIONS


def test_the_check_leaves_the_file_ready_to_be_saved():
    from lms.accounts.uploads import upload_content_check

    upload = SimpleUploadedFile("fiche.pdf", samples.pdf())
    upload.read(10)
    upload_content_check(upload, upload.name)
    assert upload.tell() == 0
