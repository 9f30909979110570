"""Fixtures the learning tests share: the module a test file works on."""

import pytest

# H5P, a quiz, a pretend inbox and plain steps: every kind of step that records something.
SCAM_MODULE = "reconnaitre-une-arnaque-par-e-mail"
# Explanations, a quiz, a pretend form and a checkpoint: every step can be done in a test.
TOUCH_SCREEN_MODULE = "utiliser-un-ecran-tactile"


@pytest.fixture
def module(request, catalogue):
    """The French module of the starter catalogue the test file names in `MODULE_SLUG`
    (the scam module when it names none)."""
    return catalogue.get(slug=getattr(request.module, "MODULE_SLUG", SCAM_MODULE))
