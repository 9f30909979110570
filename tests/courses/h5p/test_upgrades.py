"""Moving activities to a newer library patch is an editor's explicit action, listed first."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from wagtail.users.models import UserProfile

from courses.h5p.models import H5PLibrary
from courses.h5p.selectors import h5p_libraries_resolve
from courses.h5p.services import h5p_package_store
from tests.factories import UserFactory

from .packages import valid_package

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = UserFactory()
    user.groups.add(Group.objects.get(name="Editors"))
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "fr"
    profile.save()
    client.force_login(user)
    return client


def test_an_editor_sees_which_activities_move_then_moves_them(editor, media_root):
    first = h5p_package_store(file=valid_package(title="Premier", test_patch=3))
    second = h5p_package_store(file=valid_package(title="Deuxième", test_patch=5))
    newest = H5PLibrary.objects.get(machine_name="H5P.Test", patch=5)

    listing = editor.get(reverse("h5p_library_upgrades"))
    assert listing.status_code == 200
    assert "H5P.Test 1.0.5" in listing.content.decode()
    assert reverse("h5p_library_upgrade", args=[newest.pk]) in listing.content.decode()

    confirm = editor.get(reverse("h5p_library_upgrade", args=[newest.pk]))
    page = confirm.content.decode()
    assert "Premier" in page and "1.0.3" in page
    assert "Deuxième" not in page  # already on 1.0.5
    # Looking changes nothing.
    assert h5p_libraries_resolve(package=first)["H5P.Test-1.0"].patch == 3

    response = editor.post(reverse("h5p_library_upgrade", args=[newest.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert h5p_libraries_resolve(package=first)["H5P.Test-1.0"].patch == 5
    assert first.main_library == newest
    assert h5p_libraries_resolve(package=second)["H5P.Test-1.0"].patch == 5
    # Nothing left to move.
    listing = editor.get(reverse("h5p_library_upgrades")).content.decode()
    assert reverse("h5p_library_upgrade", args=[newest.pk]) not in listing


def test_the_played_files_follow_the_move(client, editor, media_root):
    first = h5p_package_store(file=valid_package(title="Premier", test_patch=3))
    h5p_package_store(file=valid_package(title="Deuxième", test_patch=5))
    newest = H5PLibrary.objects.get(machine_name="H5P.Test", patch=5)
    editor.post(reverse("h5p_library_upgrade", args=[newest.pk]))
    frame = editor.get(reverse("h5p:frame", args=[first.pk])).content.decode()
    libraries = frame.split('"librariesPath": "')[1].split('"')[0]
    script = editor.get(f"{libraries}/H5P.Test-1.0/scripts/test.js")
    assert b"patch 5" in b"".join(script.streaming_content)


def test_people_without_the_h5p_permission_cannot_move_anything(client, media_root):
    h5p_package_store(file=valid_package(title="Premier", test_patch=3))
    h5p_package_store(file=valid_package(title="Deuxième", test_patch=5))
    newest = H5PLibrary.objects.get(machine_name="H5P.Test", patch=5)
    user = UserFactory()
    user.groups.add(Group.objects.get(name="Moderators"))
    client.force_login(user)
    response = client.post(reverse("h5p_library_upgrade", args=[newest.pk]))
    assert response.status_code in (302, 403)
    assert H5PLibrary.objects.get(machine_name="H5P.Test", patch=3).packages.exists()
