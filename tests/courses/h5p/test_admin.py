"""Editors upload, list, inspect and delete H5P activities in the Wagtail admin."""

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from wagtail.users.models import UserProfile

from courses.h5p.blocks import H5PBlock
from courses.h5p.models import H5PPackage
from courses.h5p.services import h5p_package_store
from tests.factories import UserFactory

from .packages import h5p_zip, stored_files, valid_files, valid_package

pytestmark = pytest.mark.django_db


def url(action: str, *args) -> str:
    return reverse(f"wagtailsnippets_courses_h5ppackage:{action}", args=args)


@pytest.fixture
def editor(client, django_user_model):
    user = django_user_model.objects.create_superuser("editor", password="x")
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"  # assertions below read Wagtail's English messages
    profile.save()
    client.force_login(user)
    return client


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/zip")


@pytest.fixture
def editors_member(client):
    """A member of Wagtail's Editors group, as the demo's "editeur": not a superuser."""
    user = UserFactory()
    user.groups.add(Group.objects.get(name="Editors"))
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    client.force_login(user)
    return client


def test_a_member_of_the_editors_group_lists_uploads_renames_and_deletes_packages(
    editors_member, media_root
):
    assert (
        Group.objects.get(name="Editors")
        .permissions.filter(
            codename__in=["add_h5ppackage", "change_h5ppackage", "delete_h5ppackage"]
        )
        .count()
        == 3
    )
    assert editors_member.get(url("list")).status_code == 200
    response = editors_member.post(url("add"), {"file": upload("quiz.h5p", valid_package().read())})
    assert response.status_code == 302
    package = H5PPackage.objects.get()
    assert editors_member.post(url("edit", package.pk), {"title": "Renommé"}).status_code == 302
    assert H5PPackage.objects.get().title == "Renommé"
    assert editors_member.post(url("delete", package.pk)).status_code == 302
    assert not H5PPackage.objects.exists()


def test_an_editor_uploads_a_package(editor, media_root):
    form = editor.get(url("add"))
    assert form.status_code == 200
    assert b'enctype="multipart/form-data"' in form.content
    response = editor.post(url("add"), {"file": upload("quiz.h5p", valid_package().getvalue())})
    assert response.status_code == 302
    package = H5PPackage.objects.get()
    assert package.title == "Vrai ou faux ?"
    assert package.uploaded_by.username == "editor"


def test_a_refused_upload_shows_why_and_stores_nothing(editor, media_root):
    files = valid_files()
    files["content/evil.php"] = "<?php system($_GET['c']); ?>"
    response = editor.post(url("add"), {"file": upload("evil.h5p", h5p_zip(files).getvalue())})
    assert response.status_code == 200
    assert "content/evil.php" in response.content.decode()
    assert not H5PPackage.objects.exists()
    assert stored_files(media_root) == []


def test_the_list_shows_library_size_and_usage_in_a_fixed_number_of_queries(
    editor, media_root, django_assert_max_num_queries
):
    h5p_package_store(file=valid_package())
    editor.get(url("list"))  # warm Wagtail's caches (content types, site, permissions)
    with django_assert_max_num_queries(12) as one_package:
        response = editor.get(url("list"))
    content = response.content.decode()
    assert "Vrai ou faux ?" in content
    assert "H5P.Test 1.0.3" in content
    assert "Used 0 times" in content
    for number in range(5):
        h5p_package_store(file=valid_package(title=f"Activity {number}"))
    with django_assert_max_num_queries(len(one_package.captured_queries)):
        editor.get(url("list"))


def test_an_editor_inspects_and_renames_a_package(editor, media_root):
    package = h5p_package_store(file=valid_package())
    assert editor.get(url("inspect", package.pk)).status_code == 200
    response = editor.post(url("edit", package.pk), {"title": "Le ciel"})
    assert response.status_code == 302
    package.refresh_from_db()
    assert package.title == "Le ciel"


def test_an_unused_package_is_deleted_from_the_admin(editor, media_root):
    package = h5p_package_store(file=valid_package())
    response = editor.post(url("delete", package.pk))
    assert response.status_code == 302
    assert not H5PPackage.objects.exists()
    assert not (media_root / package.content_path).exists()


def test_a_package_shown_on_a_page_cannot_be_deleted_from_the_admin(
    editor, media_root, module_showing
):
    package = h5p_package_store(file=valid_package())
    module_showing(package)
    confirm = editor.get(url("delete", package.pk)).content.decode()
    assert "Yes, delete" not in confirm
    assert "prevent it from being deleted" in confirm
    response = editor.post(url("delete", package.pk))
    assert response.status_code == 302
    assert H5PPackage.objects.filter(pk=package.pk).exists()


def test_the_bulk_delete_action_refuses_a_used_package(editor, media_root, module_showing):
    used = h5p_package_store(file=valid_package())
    module_showing(used)
    bulk = reverse("wagtail_bulk_action", args=["courses", "h5ppackage", "delete"])
    response = editor.post(f"{bulk}?id={used.pk}")
    assert response.status_code == 302
    assert H5PPackage.objects.filter(pk=used.pk).exists()


def test_the_bulk_delete_action_removes_the_content_of_an_unused_package(editor, media_root):
    unused = h5p_package_store(file=valid_package())
    bulk = reverse("wagtail_bulk_action", args=["courses", "h5ppackage", "delete"])
    editor.post(f"{bulk}?id={unused.pk}")
    assert not H5PPackage.objects.exists()
    assert not (media_root / unused.content_path).exists()


def test_the_block_renders_a_sandboxed_frame_for_the_host_script(media_root):
    package = h5p_package_store(file=valid_package())
    block = H5PBlock()
    html = block.render(block.to_python({"title": "", "package": package.pk}))
    assert "data-h5p-frame" in html
    assert f'data-src="/h5p/frame/{package.pk}/"' in html
    assert 'sandbox="allow-scripts"' in html
    assert " src=" not in html.split("<iframe", 1)[1].split(">", 1)[0]
    assert "Vrai ou faux ?" in html
    # The host script is loaded once by the page around the steps (learning/player.html,
    # courses/module_page.html), not once per H5P step.
    assert "js/h5p-host.js" not in html


def test_the_block_says_so_when_its_package_is_gone():
    block = H5PBlock()
    html = block.render(block.to_python({"title": "Quiz", "package": None}))
    assert "<iframe" not in html
