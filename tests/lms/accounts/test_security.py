"""Content-Security-Policy (django-csp): own files only on every page, looser in the admin,
the H5P frame's and served uploads' own policies kept."""

import pytest
from csp.decorators import csp_update
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from courses.h5p.services import h5p_package_store
from lms.accounts.security import SiteCSPMiddleware
from tests.courses.h5p.packages import valid_package
from tests.factories import AssociationFactory, learner_in, trainer_in

pytestmark = pytest.mark.django_db

# Written out here rather than read from the settings, so a change to the policy is deliberate.
POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "media-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "frame-src": ["'self'"],
    "frame-ancestors": ["'self'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "object-src": ["'none'"],
}
ADMIN_POLICY = {
    **POLICY,
    "script-src": ["'self'", "'unsafe-inline'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "media-src": ["'self'", "blob:"],
    "font-src": ["'self'", "data:"],
}


def directives(header: str) -> dict[str, list[str]]:
    """A policy header as {directive: sources}; django-csp does not keep the settings' order."""
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        assert name not in parsed, f"{name} twice in {header!r}"
        parsed[name] = sources
    return parsed


@pytest.fixture
def association(catalogue):
    return AssociationFactory()


@pytest.fixture
def report_only(settings):
    """The settings as base.py makes them with CSP_REPORT_ONLY=1."""
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    settings.CONTENT_SECURITY_POLICY = None


def test_the_policy_comes_from_django_csp(settings):
    assert "lms.accounts.security.SiteCSPMiddleware" in settings.MIDDLEWARE
    assert issubclass(SiteCSPMiddleware, CSPMiddleware)
    assert not hasattr(settings, "CSP_REPORT_ONLY")  # django-csp 4 refuses the 3.x settings


def test_the_sign_in_page_allows_only_this_sites_own_files(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy == POLICY
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "nonce-" not in response["Content-Security-Policy"]


def test_a_learners_page_carries_the_policy(client, association):
    client.force_login(learner_in(association))
    response = client.get(reverse("learning:my_path"))
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == POLICY


def test_a_trainers_page_carries_the_policy(client, association):
    client.force_login(trainer_in(association))
    response = client.get(reverse("logbook:workspace"))
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == POLICY


def test_a_redirect_and_a_not_found_page_carry_the_policy_too(client):
    assert directives(client.get(reverse("accounts:home"))["Content-Security-Policy"]) == POLICY
    response = client.get("/nothing-here-at-all/")
    assert response.status_code == 404
    assert directives(response["Content-Security-Policy"]) == POLICY


@pytest.mark.parametrize("path", ["/admin/login/", "/django-admin/login/"])
def test_the_admin_may_run_inline_scripts_and_styles(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == ADMIN_POLICY


def test_the_wagtail_dashboard_of_a_signed_in_editor_has_the_admin_policy(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert directives(response["Content-Security-Policy"]) == ADMIN_POLICY


def test_a_path_merely_starting_like_the_admin_gets_the_strict_policy(client):
    response = client.get("/administration/")
    assert directives(response["Content-Security-Policy"]) == POLICY


def test_the_h5p_frame_keeps_its_own_sandbox_policy(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    package = h5p_package_store(file=valid_package())
    response = client.get(reverse("h5p:frame", args=[package.pk]))
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert policy.startswith("sandbox allow-scripts;")
    assert directives(policy) != POLICY
    assert response.headers.get("Content-Security-Policy-Report-Only") is None


def test_report_only_mode_sends_the_policy_without_enforcing_it(client, report_only):
    response = client.get(reverse("accounts:login"))
    assert directives(response["Content-Security-Policy-Report-Only"]) == POLICY
    assert "Content-Security-Policy" not in response


def test_report_only_mode_in_the_admin_reports_against_the_admin_policy(client, report_only):
    response = client.get("/admin/login/")
    assert directives(response["Content-Security-Policy-Report-Only"]) == ADMIN_POLICY
    assert "Content-Security-Policy" not in response


def test_report_only_mode_leaves_the_h5p_frame_with_only_its_own_policy(
    client, settings, tmp_path, report_only
):
    settings.MEDIA_ROOT = tmp_path / "media"
    package = h5p_package_store(file=valid_package())
    response = client.get(reverse("h5p:frame", args=[package.pk]))
    assert response["Content-Security-Policy"].startswith("sandbox allow-scripts;")
    assert "Content-Security-Policy-Report-Only" not in response


def test_report_only_mode_leaves_a_served_upload_with_only_its_sandbox(client, report_only):
    from django.conf import settings

    path = settings.MEDIA_ROOT / "tests-csp" / "page.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"<script>alert(1)</script>")
    response = client.get(f"{settings.MEDIA_URL}tests-csp/page.html")
    assert response.status_code == 200
    assert response["Content-Security-Policy"].startswith("sandbox;")
    assert "Content-Security-Policy-Report-Only" not in response


def test_a_views_own_csp_update_adds_to_the_admin_additions_rather_than_replacing_them():
    @csp_update({"img-src": "https://tiles.example", "connect-src": ["https://api.example"]})
    def view(request):
        return HttpResponse("ok")

    middleware = SiteCSPMiddleware(view)
    admin = middleware(RequestFactory().get("/admin/map/"))
    policy = directives(admin["Content-Security-Policy"])
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://tiles.example"]
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["connect-src"] == ["'self'", "https://api.example"]

    elsewhere = directives(middleware(RequestFactory().get("/map/"))["Content-Security-Policy"])
    assert elsewhere["img-src"] == ["'self'", "data:", "https://tiles.example"]
    assert elsewhere["script-src"] == ["'self'"]


@pytest.mark.parametrize("path", ["/catalogue/", "/admin/pages/", "/media/x", "/nowhere/"])
@pytest.mark.parametrize("mode", ["enforced", "report-only"])
def test_headers_built_once_are_those_django_csp_builds_for_each_response(settings, path, mode):
    """The middleware copies the headers built for the first response of a kind; for every
    kind, with or without a nonce asked for or a view's own policy, they are django-csp's."""
    if mode == "report-only":
        settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
        settings.CONTENT_SECURITY_POLICY = None

    def plain(request):
        return HttpResponse("ok")

    def with_nonce(request):
        return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")

    @csp_update({"img-src": "https://tiles.example"})
    def updated(request):
        return HttpResponse("ok")

    headers = ("Content-Security-Policy", "Content-Security-Policy-Report-Only")
    for view in (plain, with_nonce, updated, plain, updated, with_nonce, plain):
        ours = SiteCSPMiddleware(view)(RequestFactory().get(path))
        theirs = CSPMiddleware(view)(RequestFactory().get(path))
        if not path.startswith("/admin/"):  # the admin additions are ours alone
            assert {h: ours.get(h) for h in headers} == {h: theirs.get(h) for h in headers}
        if mode == "enforced":  # csp_update changes the enforced policy only
            assert ("https://tiles.example" in ours[headers[0]]) == (view is updated)


def test_a_nonce_asked_for_after_the_headers_are_copied_is_refused():
    from csp.exceptions import CSPNonceError

    middleware = SiteCSPMiddleware(lambda request: HttpResponse("ok"))
    middleware(RequestFactory().get("/catalogue/"))  # built
    request = RequestFactory().get("/catalogue/")
    middleware(request)  # copied
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)
