"""Editors' document uploads in the Wagtail admin are checked by content and size."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.documents import get_document_model
from wagtail.documents.forms import get_document_form
from wagtail.models import Collection
from wagtail.users.models import UserProfile

from cms.forms import CheckedDocumentForm
from tests.factories import UserFactory
from tests.lms.accounts import samples

pytestmark = pytest.mark.django_db
Document = get_document_model()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def editor_client(client, language: str):
    """A member of Wagtail's "Editors" group, who may add documents, not a superuser."""
    user = UserFactory()
    user.groups.add(Group.objects.get(name="Editors"))
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    client.force_login(user)
    return client


@pytest.fixture
def editor(client, media_root):
    return editor_client(client, "fr")


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    # The browser's claimed type is whatever the name suggests: it proves nothing.
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def add(editor, name: str, content: bytes):
    return editor.post(
        reverse("wagtaildocs:add"),
        {
            "title": name,
            "file": upload(name, content),
            "collection": Collection.get_first_root_node().pk,
        },
    )


def add_multiple(editor, name: str, content: bytes) -> dict:
    response = editor.post(
        reverse("wagtaildocs:add_multiple"),
        {"files[]": upload(name, content), "collection": Collection.get_first_root_node().pk},
    )
    assert response.status_code == 200
    return response.json()


def test_the_admin_uses_the_checked_form_everywhere():
    assert issubclass(get_document_form(Document), CheckedDocumentForm)


def test_an_editor_adds_a_real_pdf(editor):
    response = add(editor, "fiche.pdf", samples.pdf())
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.file_extension == "pdf"
    assert document.file.read(5) == b"%PDF-"


def test_a_web_page_named_pdf_is_refused_in_french_and_nothing_is_stored(editor, media_root):
    response = add(editor, "fiche.pdf", samples.HTML)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Le contenu de « fiche.pdf » n’est pas un fichier PDF" in page
    assert not Document.objects.exists()
    assert not list(media_root.rglob("*.pdf"))


def test_a_program_named_like_a_video_is_refused(client, media_root):
    editor = editor_client(client, "en")
    response = add(editor, "video.mp4", samples.WINDOWS_PROGRAM)
    assert response.status_code == 200
    assert "The content of “video.mp4” is not a MP4 file" in response.content.decode()
    assert not Document.objects.exists()


def test_a_forbidden_type_gets_only_wagtails_own_message(client, media_root):
    editor = editor_client(client, "en")
    response = add(editor, "page.html", samples.HTML)
    assert response.status_code == 200
    page = response.content.decode()
    assert "File extension “html” is not allowed" in page
    assert "cannot be checked" not in page
    assert not Document.objects.exists()


def test_the_multiple_upload_accepts_real_files(editor):
    for name, content in [
        ("consigne.mp3", samples.MP3_ID3),
        ("video.webm", samples.WEBM),
        ("video.vtt", samples.VTT),
    ]:
        assert add_multiple(editor, name, content)["success"] is True
    assert sorted(Document.objects.values_list("title", flat=True)) == [
        "consigne.mp3",
        "video.vtt",
        "video.webm",
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("consigne.mp3", samples.SCRIPT, "n’est pas un fichier MP3"),
        ("logo.pdf", samples.SVG, "n’est pas un fichier PDF"),
        ("video.vtt", samples.HTML, "contient une page web"),
    ],
)
def test_the_multiple_upload_refuses_a_disguised_file_with_a_french_message(
    editor, media_root, name, content, message
):
    answer = add_multiple(editor, name, content)
    assert answer["success"] is False
    assert message in answer["error_message"]
    assert "extension" not in answer["error_message"]
    assert not Document.objects.exists()
    # Refused on the file itself: not parked as a pending upload to be completed later.
    from wagtail.models import UploadedFile

    assert not UploadedFile.objects.exists()


def test_the_multiple_upload_refuses_a_file_over_the_size_limit(editor, settings):
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = 1000
    answer = add_multiple(editor, "fiche.pdf", samples.pdf() + b"\n" * 1000)
    assert answer["success"] is False
    assert answer["error_message"].startswith("Ce fichier est trop gros")
    # Only that reason, not Wagtail's extension check run again on an empty file name.
    assert "extension" not in answer["error_message"]
    assert not Document.objects.exists()


def test_the_single_upload_refuses_a_file_over_the_size_limit(editor, settings):
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = 1000
    response = add(editor, "fiche.pdf", samples.pdf() + b"\n" * 1000)
    assert response.status_code == 200
    assert not Document.objects.exists()


def test_replacing_a_documents_file_is_checked_too_and_editing_its_title_is_not(editor):
    add(editor, "fiche.pdf", samples.pdf())
    document = Document.objects.get()
    url = reverse("wagtaildocs:edit", args=[document.pk])
    collection = Collection.get_first_root_node().pk

    refused = editor.post(
        url, {"title": "Fiche", "file": upload("fiche.pdf", samples.HTML), "collection": collection}
    )
    assert refused.status_code == 200
    document.refresh_from_db()
    assert document.file.read(5) == b"%PDF-"

    renamed = editor.post(url, {"title": "Fiche du bus", "collection": collection})
    assert renamed.status_code == 302
    document.refresh_from_db()
    assert document.title == "Fiche du bus"


def test_the_upload_tab_of_the_document_chooser_is_checked_too(editor):
    prefix = "document-chooser-upload"
    data = {
        f"{prefix}-title": "Consigne",
        f"{prefix}-collection": Collection.get_first_root_node().pk,
    }
    url = reverse("wagtaildocs_chooser:create")

    refused = editor.post(url, {**data, f"{prefix}-file": upload("consigne.mp3", samples.HTML)})
    assert refused.json()["step"] == "reshow_creation_form"
    assert "n’est pas un fichier MP3" in refused.json()["htmlFragment"]
    assert not Document.objects.exists()

    chosen = editor.post(url, {**data, f"{prefix}-file": upload("consigne.mp3", samples.MP3_ID3)})
    assert chosen.json()["step"] == "chosen"
    assert Document.objects.get().title == "Consigne"
