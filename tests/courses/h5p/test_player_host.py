"""The H5P player on its own host name (H5P_ORIGIN): the frame keeps that origin, and that
host serves nothing but the player."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from courses.h5p.blocks import H5PBlock
from courses.h5p.services import h5p_package_store
from courses.h5p.views import FRAME_POLICY
from lms.settings.base import h5p_origin_read
from tests.factories import UserFactory

from .packages import valid_package
from .test_views import frame_options

pytestmark = pytest.mark.django_db

PLAYER = "h5p.pasapas.test"
SITE = "https://pasapas.test"


@pytest.fixture
def player_host(settings):
    settings.H5P_ORIGIN = f"https://{PLAYER}"
    settings.WAGTAILADMIN_BASE_URL = SITE
    return settings.H5P_ORIGIN


@pytest.fixture
def package(media_root):
    return h5p_package_store(file=valid_package())


def test_on_its_host_the_frame_keeps_its_origin_and_only_the_site_may_embed_it(
    client, package, player_host
):
    response = client.get(reverse("h5p:frame", args=[package.pk]), HTTP_HOST=PLAYER)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts allow-same-origin;")
    assert f"frame-ancestors {SITE}" in policy
    assert "connect-src 'self';" in policy
    assert "default-src 'none'" in policy
    # X-Frame-Options cannot name another origin: frame-ancestors says who may embed it.
    assert "X-Frame-Options" not in response
    assert frame_options(response)["parentOrigin"] == SITE
    assert not response.cookies


def test_on_the_site_s_host_the_frame_stays_opaque_even_with_a_player_host(
    client, package, player_host
):
    response = client.get(reverse("h5p:frame", args=[package.pk]))
    assert response["Content-Security-Policy"] == FRAME_POLICY
    assert "allow-same-origin" not in FRAME_POLICY
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert frame_options(response)["parentOrigin"] is None


def test_the_player_host_serves_nothing_of_the_site(client, package, player_host):
    assert client.get("/connexion/").status_code == 200  # on the site's own host
    client.force_login(UserFactory())
    for path in ("/", "/connexion/", "/mon-parcours/", "/api/statements/", "/admin/"):
        response = client.get(path, HTTP_HOST=PLAYER)
        assert response.status_code == 404, path
        assert not response.cookies, path
    library = reverse("h5p:package_file", args=[package.pk, "h5p.json"])
    assert client.get(library, HTTP_HOST=PLAYER).status_code == 200


def test_a_step_names_the_player_host_and_lets_the_frame_keep_its_origin(media_root, player_host):
    package = h5p_package_store(file=valid_package())
    block = H5PBlock()
    html = block.render(block.to_python({"title": "", "package": package.pk}))
    assert f'data-src="https://{PLAYER}/h5p/frame/{package.pk}/"' in html
    assert 'sandbox="allow-scripts allow-same-origin"' in html


def test_one_setting_allows_the_player_host_in_the_site_s_policy_and_hosts():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['frame-src'], s.ALLOWED_HOSTS[-1])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "lms.settings.base",
        "H5P_ORIGIN": "https://h5p.pasapas.test/",
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[\"'self'\", 'https://h5p.pasapas.test'] h5p.pasapas.test"


@pytest.mark.parametrize(
    "value", ["h5p.pasapas.test", "https://h5p.pasapas.test/player", "ftp://h5p.pasapas.test"]
)
def test_the_setting_is_an_origin_or_nothing(value):
    assert h5p_origin_read("") == ("", "")
    assert h5p_origin_read(" http://127.0.0.1:8101/ ") == ("http://127.0.0.1:8101", "127.0.0.1")
    with pytest.raises(ImproperlyConfigured, match="a scheme and a host name only"):
        h5p_origin_read(value)
