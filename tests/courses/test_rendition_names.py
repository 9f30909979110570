"""Picture renditions are named by their content and kept a year by browsers (issue 20)."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection

from courses.storage import IMMUTABLE_CACHE_CONTROL, is_hashed_rendition

pytestmark = pytest.mark.django_db
Image = get_image_model()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png(colour: str) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (200, 100), colour).save(buffer, "PNG")
    return buffer.getvalue()


def picture(colour: str) -> Image:
    image = Image(title="pictogram", collection=Collection.get_first_root_node())
    image.file.save("pictogram.png", ContentFile(png(colour)), save=False)
    image.width, image.height = 200, 100
    image.save()
    return image


def test_a_rendition_is_named_by_its_content_and_served_for_a_year(client, media_root):
    image = picture("red")
    rendition = image.get_rendition("width-96")
    assert is_hashed_rendition(rendition.file.name), rendition.file.name
    assert rendition.url.startswith("/media/images/pictogram.width-96.")

    response = client.get(rendition.url)
    assert response.status_code == 200
    assert response["Cache-Control"] == IMMUTABLE_CACHE_CONTROL
    assert response["Content-Type"] == "image/png"
    # The uploads' other protections stay.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]

    # The original keeps its name, which a replaced file may take again: no long cache.
    original = client.get(image.file.url)
    assert original.status_code == 200
    assert "Cache-Control" not in original
    assert not is_hashed_rendition(image.file.name)


def test_a_replaced_picture_s_renditions_get_new_names(client, media_root):
    red = picture("red")
    before = red.get_rendition("width-96").url
    red.renditions.all().delete()
    red.file.delete(save=False)
    red.file.save("pictogram.png", ContentFile(png("blue")), save=False)
    red.width, red.height = 200, 100
    red.save()
    after = Image.objects.get(pk=red.pk).get_rendition("width-96").url
    # Same original name and filter, other bytes: another address, so a browser that kept
    # the red one a year never shows it in place of the blue one.
    assert after != before
    assert is_hashed_rendition(after.removeprefix("/media/"))


def test_the_same_bytes_get_the_same_name_in_any_install(media_root):
    first = picture("green").get_rendition("width-96").file.name
    second = picture("green").get_rendition("width-96").file.name
    stem = lambda name: name.rsplit("/", 1)[-1].split(".")[2]  # noqa: E731
    assert stem(first) == stem(second)
