"""H5P tests write into their own MEDIA_ROOT, and can put a package on a module page."""

import json
from pathlib import Path

import pytest
from wagtail.models import Page

from courses.blocks import StepBlock
from courses.h5p.blocks import H5PBlock
from courses.models import ModulePage


@pytest.fixture
def media_root(settings, tmp_path) -> Path:
    root = tmp_path / "media"
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture
def h5p_step(monkeypatch):
    """StepBlock with the H5P step, until courses/blocks.py lists it itself."""
    if "h5p" not in StepBlock.base_blocks:
        steps = ModulePage._meta.get_field("steps").stream_block
        block = H5PBlock()
        block.set_name("h5p")
        monkeypatch.setitem(steps.child_blocks, "h5p", block)


@pytest.fixture
def module_showing(db, h5p_step):
    """Makes a live module page whose steps show the given package (or none)."""

    def make(package, *, slug: str = "module") -> ModulePage:
        steps = [{"type": "explanation", "value": {"title": "Bonjour", "text": "Lisez."}}]
        if package is not None:
            steps.append({"type": "h5p", "value": {"title": "", "package": package.pk}})
        module = ModulePage(
            title="Un module", slug=slug, goal="Vous saurez.", steps=json.dumps(steps)
        )
        Page.get_first_root_node().add_child(instance=module)
        return module

    return make


@pytest.fixture(autouse=True)
def _no_catalogue_packages(request):
    """These tests count packages and libraries: start without the starter catalogue's ones.

    The catalogue is loaded once per test database (tests/conftest.py) and may hold H5P
    activities; inside each test's transaction they are removed, and come back after.
    """
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    request.getfixturevalue("db")
    from courses.h5p.models import H5PLibrary, H5PPackage

    H5PPackage.objects.all().delete()
    H5PLibrary.objects.all().delete()
