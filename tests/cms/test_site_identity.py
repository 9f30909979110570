"""The site's favicon and page titles, as a browser asks for them."""

import re
from pathlib import Path

from django.conf import settings


def title_of(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


def test_the_favicon_is_served_at_the_address_browsers_ask_for(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("favicon.ico")
    # Browsers ask again at most once a day, not at every page.
    assert response["Cache-Control"] == "public, max-age=86400"
    icon = Path(settings.BASE_DIR) / "static" / "favicon.ico"
    assert icon.read_bytes()[:4] == b"\x00\x00\x01\x00"  # the ICO signature


def test_pages_link_their_icon_and_name_the_site_once(client, catalogue):
    sign_in = client.get("/connexion/")
    assert '<link rel="icon"' in sign_in.content.decode()
    assert title_of(sign_in) == "Se connecter – Pas à pas"
    home = client.get("/", follow=True)
    assert title_of(home).count("Pas à pas") == 1
