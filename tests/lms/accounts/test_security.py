"""Content-Security-Policy: own files only on every page, looser in the admin, H5P frame kept."""

import pytest
from django.urls import reverse

from courses.h5p.services import h5p_package_store
from lms.accounts.security import ADMIN_POLICY, POLICY
from tests.courses.h5p.packages import valid_package
from tests.factories import AssociationFactory, learner_in, trainer_in

pytestmark = pytest.mark.django_db

MIDDLEWARE = "lms.accounts.security.ContentSecurityPolicyMiddleware"


@pytest.fixture(autouse=True)
def csp_middleware(settings):
    """The middleware as it will sit in base.py: right after SecurityMiddleware."""
    if MIDDLEWARE not in settings.MIDDLEWARE:
        middleware = list(settings.MIDDLEWARE)
        position = middleware.index("django.middleware.security.SecurityMiddleware") + 1
        middleware.insert(position, MIDDLEWARE)
        settings.MIDDLEWARE = middleware


@pytest.fixture
def association(catalogue):
    return AssociationFactory()


def test_the_sign_in_page_allows_only_this_sites_own_files(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert policy == POLICY
    assert "script-src 'self';" in policy
    assert "style-src 'self';" in policy
    assert "object-src 'none'" in policy
    assert "unsafe-inline" not in policy


def test_a_learners_page_carries_the_policy(client, association):
    client.force_login(learner_in(association))
    response = client.get(reverse("learning:my_path"))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY


def test_a_trainers_page_carries_the_policy(client, association):
    client.force_login(trainer_in(association))
    response = client.get(reverse("logbook:workspace"))
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == POLICY


def test_a_redirect_and_a_not_found_page_carry_the_policy_too(client):
    assert client.get(reverse("accounts:home"))["Content-Security-Policy"] == POLICY
    response = client.get("/nothing-here-at-all/")
    assert response.status_code == 404
    assert response["Content-Security-Policy"] == POLICY


@pytest.mark.parametrize("path", ["/admin/login/", "/django-admin/login/"])
def test_the_admin_may_run_inline_scripts_and_styles(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert policy == ADMIN_POLICY
    assert "script-src 'self' 'unsafe-inline'" in policy
    assert "style-src 'self' 'unsafe-inline'" in policy
    assert "object-src 'none'" in policy


def test_a_path_merely_starting_like_the_admin_gets_the_strict_policy(client):
    response = client.get("/administration/")
    assert response["Content-Security-Policy"] == POLICY


def test_the_h5p_frame_keeps_its_own_sandbox_policy(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    package = h5p_package_store(file=valid_package())
    response = client.get(reverse("h5p:frame", args=[package.pk]))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts;")
    assert policy != POLICY
    assert response.headers.get("Content-Security-Policy-Report-Only") is None


def test_report_only_mode_sends_the_policy_without_enforcing_it(client, settings):
    settings.CSP_REPORT_ONLY = True
    response = client.get(reverse("accounts:login"))
    assert response["Content-Security-Policy-Report-Only"] == POLICY
    assert "Content-Security-Policy" not in response
