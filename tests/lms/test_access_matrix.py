"""Walk every URL of the URL configuration with one person of each role.

The expected answers come from `lms.accounts.access_matrix.MATRIX`; a URL without an
entry fails the test, so a new page cannot be added without saying who may open it.
"""

import datetime
import re
import uuid

import pytest
from django.contrib.auth.models import Group as PermissionGroup
from django.core.files.base import ContentFile
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from wagtail.documents import get_document_model

from courses.models import LearningPathPage, ModulePage
from lms.accounts.access_matrix import AREAS, MATRIX, ROLES, Rule
from lms.accounts.devices import device_trust
from lms.accounts.models import Job, JobState, Role
from lms.accounts.services import card_issue
from lms.impact import privacy
from lms.impact.models import ApiToken, FrozenReport
from lms.impact.tokens import api_token_create, secret_hash
from lms.learning.models import ModuleProgress, PathEnrollment
from tests.factories import (
    AssociationFactory,
    FunderFactory,
    GroupFactory,
    MembershipFactory,
    ProgrammeFactory,
    TrainingSessionFactory,
    UserFactory,
    learner_in,
    trainer_in,
)
from tests.lms.impact import reference_indicators

SIGN_IN_PAGES = ("/connexion/", "/admin/login/", "/django-admin/login/")


def url_entries(resolver=None, prefix="", namespace="") -> list[tuple[str, str]]:
    """(matrix key, route) for every URL pattern; third-party areas as one key each."""
    resolver = resolver or get_resolver()
    entries = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if route in AREAS:
                entries.append((AREAS[route], route))
                continue
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            entries.extend(url_entries(pattern, route, inner))
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                key = f"{namespace}:{pattern.name}" if namespace else pattern.name
            else:
                key = route.strip("^").split("/")[0]
            entries.append((key, route))
    return entries


def test_every_url_has_an_entry_in_the_matrix():
    keys = {key for key, _route in url_entries()}
    missing = sorted(keys - MATRIX.keys())
    assert not missing, f"URLs with no access rule in lms/accounts/access_matrix.py: {missing}"
    stale = sorted(MATRIX.keys() - keys)
    assert not stale, f"Rules for URLs that no longer exist: {stale}"


def test_every_rule_names_known_roles():
    for key, rule in MATRIX.items():
        assert rule.roles <= set(ROLES), key
        assert rule.boundary in ("", "association", "owner"), key
        assert rule.auth in ("session", "token"), key
        assert rule.method in ("GET", "POST"), key


@pytest.fixture
def world(catalogue):
    """Two associations, one person of each role in the first, and objects in both."""
    from wagtail.images import get_image_model

    from courses.h5p.models import H5PPackage
    from courses.h5p.selectors import h5p_libraries_revision

    mine, other = AssociationFactory(), AssociationFactory()
    funder = FunderFactory()
    funder_user = UserFactory()
    funder.members.add(funder_user)
    programme = ProgrammeFactory(funder=funder)
    programme.associations.add(mine)
    other_programme = ProgrammeFactory()
    other_programme.associations.add(other)
    editor = UserFactory()
    editor.groups.add(PermissionGroup.objects.get(name="Editors"))
    people = {
        "anonymous": None,
        "learner": learner_in(mine),
        "trainer": trainer_in(mine),
        "coordinator": MembershipFactory(association=mine, role=Role.COORDINATOR).user,
        "funder": funder_user,
        "editor": editor,
        "superuser": UserFactory(is_superuser=True, is_staff=True),
    }
    day = datetime.date(2026, 3, 2)

    def report(programme, association):
        return FrozenReport.objects.create(
            programme=programme,
            association=association,
            period_start_on=day,
            period_end_on=day,
            definitions_version="test",
            figures=privacy.protect(reference_indicators.compute({}, start=day, end=day)),
        )

    def objects(association, programme):
        learner = learner_in(association)
        group = GroupFactory(association=association)
        session = TrainingSessionFactory(association=association, group=group)
        frozen = report(programme, association)
        return {
            "learner_id": learner.pk,
            "group_id": group.pk,
            "session_id": session.pk,
            "pk": frozen.pk,
            "report_id": frozen.pk,
            "programme_id": programme.pk,
            "association_id": association.pk,
        }

    learner = people["learner"]
    path = LearningPathPage.objects.live().first()
    PathEnrollment.objects.create(learner=learner, path=path)
    now = timezone.now()
    for item in path.path_modules.select_related("module"):
        ModuleProgress.objects.create(
            learner=learner,
            module=item.module,
            module_iri=item.module.iri,
            started_at=now,
            completed_at=now,
            updated_at=now,
        )
    card = card_issue(learner=learner, association=mine, pin="1234")
    document = get_document_model().objects.create(
        title="Guide", file=ContentFile(b"%PDF-1.4 guide", name="guide.pdf")
    )
    package = H5PPackage.objects.first()
    library = package.libraries.first() if package else None
    image = get_image_model().objects.exclude(file="").first()
    shared = {
        "module_id": ModulePage.objects.live().first().pk,
        "number": 1,
        "path_id": path.pk,
        "token": card.token,
        "kind": "xlsx",
        "package_id": package.pk if package else 0,
        "path": "h5p.json",
    }
    if library is not None:
        # The token of the package's exact library versions: another one is not found.
        shared.update(
            revision=h5p_libraries_revision(package=package),
            folder=library.folder,
            path="library.json",
        )
    return {
        "people": people,
        "mine": {**shared, **objects(mine, programme)},
        "other": {**shared, **objects(other, other_programme)},
        "image": image,
        "document": document,
        "card": card,
        "association": mine,
        "stranger": UserFactory(),
    }


def concrete_url(key: str, route: str, values: dict, world) -> str | None:
    """A URL for the pattern filled with the world's objects."""
    if key in ("area:wagtail-admin", "area:django-admin"):
        return "/" + route
    if key == "media":
        image = world["image"]
        return f"/media/{image.file.name}" if image else None
    if key == "wagtail_serve":
        return "/"
    if key == "wagtaildocs_serve":
        return world["document"].url
    if key in ("transfer:download", "transfer:template"):
        return reverse(key, kwargs={"kind": "learners", "fmt": "csv"})
    if key == "h5p:package_file":
        values = {**values, "path": "h5p.json"}
    kwargs = {name: values[name] for name in route_parameters(route)}
    return reverse(key, kwargs=kwargs)


def route_parameters(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def owned_by(person, key: str):
    """An object of `person` for URLs limited to their owner: a job, an API token."""
    if key.startswith("accounts:job"):
        job = Job.objects.create(kind="impact-export", owner=person, title="Export")
        job.result.save("figures.csv", ContentFile(b"a,b"), save=False)
        job.state = JobState.DONE
        job.save()
        return job.pk
    token, _secret = api_token_create(user=person, name="Mon outil")
    return token.pk


def owner_url(key: str, route: str, owner, world) -> str:
    name = route_parameters(route)[0]
    return reverse(key, kwargs={name: owned_by(owner, key)})


def answer(client: Client, rule: Rule, url: str, world, person=None) -> str:
    """'in', 'out' (sent to sign in, refused, or not found), or 'error'."""
    if rule.auth == "token":
        headers = {}
        if person is not None:
            # Tokens are only issued to funders and coordinators; one made for anyone
            # else directly in the database must open nothing either.
            token = ApiToken(user=person, name="test", prefix="pap_test", secret_hash="")
            secret = f"pap_{uuid.uuid4().hex}"
            token.secret_hash = secret_hash(secret)
            token.save()
            headers["Authorization"] = f"Bearer {secret}"
        response = client.get(url, headers=headers)
        if response.status_code >= 500:
            return "error"
        return "out" if response.status_code in (401, 403, 404) else "in"
    prepare(client, rule, world)
    if rule.method == "POST":
        data = {
            name: value.format(association=world["association"].pk)
            for name, value in rule.data.items()
        }
        response = client.post(url, data)
    else:
        response = client.get(url, rule.query)
    if response.status_code >= 500:
        return "error"
    if rule.lands_on_sign_in:
        return "in" if response.status_code in (200, 302) else "out"
    if response.status_code in (401, 403, 404):
        return "out"
    if response.status_code in (301, 302):
        location = response.headers.get("Location", "")
        if any(page in location for page in SIGN_IN_PAGES):
            return "out"
    return "in"


def prepare(client: Client, rule: Rule, world) -> None:
    """What a person does before opening the URL (rule.prepare): show a card, use a device."""
    if rule.prepare == "card":
        client.get(reverse("accounts:card_start", args=[world["card"].token]))
    elif rule.prepare == "device":
        marked = HttpResponse()
        device_trust(marked, association_id=world["association"].pk)
        client.cookies.update(marked.cookies)


def client_for(person) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


URLS = sorted(url_entries())


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "route"), URLS, ids=[key for key, _route in URLS])
def test_each_role_gets_exactly_what_the_matrix_allows(world, key, route):
    rule = MATRIX.get(key)
    assert rule is not None, f"{key} has no access rule"
    if not rule.probe:
        pytest.skip(f"{key}: {rule.note}")
    url = "" if rule.boundary == "owner" else concrete_url(key, route, world["mine"], world)
    assert url or rule.boundary == "owner", f"the test cannot build a URL for {key}"
    wrong = []
    for role in ROLES:
        person = world["people"][role]
        client = Client() if rule.auth == "token" else client_for(person)
        if rule.boundary == "owner":
            url = owner_url(key, route, person or world["stranger"], world)
        got = answer(client, rule, url, world, person)
        expected = "in" if role in rule.roles else "out"
        if got != expected:
            wrong.append(f"{role}: {got}, expected {expected}")
        if rule.boundary and role in rule.roles:
            if rule.boundary == "owner":
                other_url = owner_url(key, route, world["stranger"], world)
            else:
                other_url = concrete_url(key, route, world["other"], world)
            got = answer(client, rule, other_url, world, person)
            if got != "out":
                wrong.append(f"{role} opened someone else's object: {got}")
    assert not wrong, f"{url}: " + "; ".join(wrong)


def test_the_documented_matrix_is_the_one_in_the_code():
    from pathlib import Path

    from django.conf import settings

    from lms.accounts.access_matrix import as_markdown

    documented = (Path(settings.BASE_DIR) / "docs" / "access-matrix.md").read_text()
    assert as_markdown() in documented, "run: python manage.py access_matrix (docs/)"
