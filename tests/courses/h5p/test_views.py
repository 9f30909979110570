"""The player frame is sandboxed and cookie-free; package files are public, typed and contained."""

import json
import re

import pytest
from django.urls import reverse

from courses.h5p.services import h5p_package_store
from tests.factories import UserFactory

from .packages import valid_package

pytestmark = pytest.mark.django_db


@pytest.fixture
def package(media_root):
    return h5p_package_store(file=valid_package())


def frame_options(response) -> dict:
    match = re.search(
        r'<script id="h5p-options" type="application/json">(.*?)</script>',
        response.content.decode(),
    )
    return json.loads(match[1])


def test_the_frame_is_sandboxed_and_may_only_load_this_site(client, package):
    response = client.get(reverse("h5p:frame", args=[package.pk]))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts;")
    assert "allow-same-origin" not in policy
    assert "script-src 'self' 'unsafe-eval';" in policy
    assert "default-src 'none'" in policy
    assert "frame-ancestors 'self'" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_the_frame_sets_no_cookie_even_for_a_signed_in_person(client, package):
    client.force_login(UserFactory())
    response = client.get(reverse("h5p:frame", args=[package.pk]))
    assert response.status_code == 200
    assert not response.cookies
    assert "Set-Cookie" not in str(response.serialize_headers())
    assert "Cookie" not in response.get("Vary", "")


def test_the_frame_plays_without_saving_state_or_posting_results(client, package):
    options = frame_options(client.get(reverse("h5p:frame", args=[package.pk])))
    player = options["player"]
    assert options["packageId"] == package.pk
    assert player["embedType"] == "div"
    assert player["saveFreq"] is False
    assert player["postUserStatistics"] is False
    assert "ajax" not in player and "user" not in player
    assert player["h5pJsonPath"] == f"/h5p/files/{package.pk}"
    assert player["librariesPath"].startswith(f"/h5p/files/{package.pk}/libraries/")
    assert player["frameJs"].endswith("h5p-standalone/frame.bundle.js")
    assert player["xAPIObjectIRI"].endswith(f"/h5p/{package.sha256}")


def test_an_unknown_frame_is_not_found(client, package):
    assert client.get(reverse("h5p:frame", args=[package.pk + 1])).status_code == 404


def test_the_frame_script_is_cached_only_at_its_current_version(client, package):
    html = client.get(reverse("h5p:frame", args=[package.pk])).content.decode()
    versioned = re.search(r'src="(/h5p/frame\.js\?v=\w+)"', html)[1]
    response = client.get(versioned)
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"pasapas:h5p" in response.content
    assert client.get("/h5p/frame.js?v=old")["Cache-Control"] == "no-cache"


def test_the_package_files_are_public_typed_and_cached_for_a_year(client, package):
    options = frame_options(client.get(reverse("h5p:frame", args=[package.pk])))
    libraries = options["player"]["librariesPath"]
    for url, content_type in [
        (f"/h5p/files/{package.pk}/h5p.json", "application/json"),
        (f"/h5p/files/{package.pk}/content/content.json", "application/json"),
        (f"/h5p/files/{package.pk}/content/images/photo.png", "image/png"),
        (f"{libraries}/H5P.Test-1.0/library.json", "application/json"),
        (f"{libraries}/H5P.Test-1.0/scripts/test.js", "text/javascript; charset=utf-8"),
        (f"{libraries}/H5P.Test-1.0/styles/test.css", "text/css; charset=utf-8"),
        (f"{libraries}/H5P.Test-1.0/icon.svg", "image/svg+xml"),
        (f"{libraries}/H5P.Helper-1.2/helper.js", "text/javascript; charset=utf-8"),
    ]:
        response = client.get(url, HTTP_ORIGIN="null")
        assert response.status_code == 200, url
        assert response["Content-Type"] == content_type, url
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response["Content-Security-Policy"].startswith("sandbox;")
        assert not response.cookies


def test_text_files_are_compressed_for_browsers_that_accept_gzip(client, package):
    response = client.get(
        f"/h5p/files/{package.pk}/content/content.json", HTTP_ACCEPT_ENCODING="gzip"
    )
    assert response["Content-Encoding"] == "gzip"


def library_script(client, package) -> bytes:
    options = frame_options(client.get(reverse("h5p:frame", args=[package.pk])))
    script = client.get(f"{options['player']['librariesPath']}/H5P.Test-1.0/scripts/test.js")
    assert script.status_code == 200
    return b"".join(script.streaming_content)


def test_a_newer_patch_uploaded_with_another_package_does_not_change_this_one(client, package):
    before = frame_options(client.get(reverse("h5p:frame", args=[package.pk])))
    newer = h5p_package_store(file=valid_package(title="Newer", test_patch=7))
    after = frame_options(client.get(reverse("h5p:frame", args=[package.pk])))
    assert after["player"]["librariesPath"] == before["player"]["librariesPath"]
    assert b"patch 3" in library_script(client, package)
    assert b"patch 7" in library_script(client, newer)


def test_the_library_address_names_the_exact_versions_and_another_one_is_not_found(client, package):
    newer = h5p_package_store(file=valid_package(title="Newer", test_patch=7))
    old_path = frame_options(client.get(reverse("h5p:frame", args=[package.pk])))["player"][
        "librariesPath"
    ]
    new_path = frame_options(client.get(reverse("h5p:frame", args=[newer.pk])))["player"][
        "librariesPath"
    ]
    assert old_path.rsplit("/", 1)[1] != new_path.rsplit("/", 1)[1]
    # The versions segment of one package does not fetch another set of versions.
    wrong = old_path.replace(f"/{package.pk}/", f"/{newer.pk}/")
    assert client.get(f"{wrong}/H5P.Test-1.0/scripts/test.js").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "content/../h5p.json",
        "content/%2e%2e/%2e%2e/%2e%2e/lms/settings/base.py",
        "content/..%2f..%2f..%2fsecret.json",
        "content/images/../../h5p.json",
        "content//content.json",
        "content/./content.json",
        "content\\content.json",
        "content/%5c..%5ccontent.json",
        "content/images/photo.png%00.json",
        "../h5p/content/h5p.json",
        "content/page.html",
        "content/content.JSON.php",
        "library.json",
        "content",
    ],
)
def test_paths_outside_the_package_or_of_refused_types_are_not_found(client, package, path):
    assert client.get(f"/h5p/files/{package.pk}/{path}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "H5P.Test-1.0/../H5P.Helper-1.2/helper.js",
        "H5P.Test-1.0/%2e%2e/%2e%2e/%2e%2e/content/x/h5p.json",
        "..%2fH5P.Test-1.0/library.json",
        "H5P.Test-1.0/scripts/test.php",
        "H5P.Unknown-1.0/library.json",
        "H5P.Test-9.9/library.json",
        "not-a-library/library.json",
    ],
)
def test_library_paths_outside_a_library_are_not_found(client, package, path):
    libraries = frame_options(client.get(reverse("h5p:frame", args=[package.pk])))["player"][
        "librariesPath"
    ]
    assert client.get(f"{libraries}/H5P.Test-1.0/library.json").status_code == 200
    assert client.get(f"{libraries}/{path}").status_code == 404
    assert client.get(f"/h5p/files/{package.pk}/libraries/any/{path}").status_code == 404


def test_another_packages_content_cannot_be_reached_through_this_one(client, package):
    other = h5p_package_store(file=valid_package(title="Other"))
    url = f"/h5p/files/{package.pk}/content/../../{other.sha256}/content/content.json"
    assert client.get(url).status_code == 404


def test_files_of_an_unknown_package_are_not_found(client, package):
    assert client.get(f"/h5p/files/{package.pk + 1}/h5p.json").status_code == 404
    assert (
        client.get(f"/h5p/files/{package.pk + 1}/libraries/x/H5P.Test-1.0/library.json").status_code
        == 404
    )


def test_the_frame_carries_the_player_s_json_files_and_preloads_what_they_name(client, package):
    """The chain of small JSON files the player reads one after the other comes with the
    frame document, as the site serves them; every script and stylesheet they name is
    preloaded, each library after those it depends on (frame_files.py)."""
    html = client.get(reverse("h5p:frame", args=[package.pk])).content.decode()
    carried = json.loads(
        re.search(r'<script id="h5p-files" type="application/json">(.*?)</script>', html)[1]
    )
    player = frame_options(client.get(reverse("h5p:frame", args=[package.pk])))["player"]
    libraries = player["librariesPath"]
    files = f"/h5p/files/{package.pk}"
    assert sorted(carried) == sorted(
        [
            f"{files}/h5p.json",
            f"{files}/content/content.json",
            f"{libraries}/H5P.Test-1.0/library.json",
            f"{libraries}/H5P.Helper-1.2/library.json",
        ]
    )
    for url, value in carried.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert value == json.loads(b"".join(response.streaming_content)), url

    preloads = re.findall(r'<link rel="preload" href="([^"]+)" as="(script|style)">', html)
    assert preloads == [
        (player["frameCss"], "style"),
        (f"{libraries}/H5P.Test-1.0/styles/test.css", "style"),
        (player["frameJs"], "script"),
        (f"{libraries}/H5P.Helper-1.2/helper.js", "script"),
        (f"{libraries}/H5P.Test-1.0/scripts/test.js", "script"),
    ]
    for url, _kind in preloads[1:2] + preloads[3:]:
        assert client.get(url).status_code == 200, url


def test_a_large_content_json_is_left_for_the_player_to_fetch(client, package, monkeypatch):
    from courses.h5p import frame_files

    frame_files._frame_files.cache_clear()
    monkeypatch.setattr(frame_files, "INLINE_CONTENT_LIMIT", 10)
    html = client.get(reverse("h5p:frame", args=[package.pk])).content.decode()
    frame_files._frame_files.cache_clear()
    assert f"/h5p/files/{package.pk}/h5p.json" in html
    assert f"/h5p/files/{package.pk}/content/content.json" not in html
