"""The read-only impact API: tokens, scope, the dashboard's figures and suppression, errors.

Longer than 500 lines because the API is one contract, tested in one place on one shared
world: its sections (tokens, scope, figures, frozen reports, the OpenAPI schema) follow the
order in which a funder's system meets it.
"""

import datetime
import json
import re
from collections import Counter

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lms.accounts.models import AuditEntry, Role
from lms.impact import selectors, tokens
from lms.impact.models import (
    ApiToken,
    FrozenReport,
    RollupStale,
    RollupState,
)
from lms.impact.rollups import ROLLUP_MODELS
from tests.factories import (
    AssociationFactory,
    FunderFactory,
    MembershipFactory,
    ProgrammeFactory,
    UserFactory,
    learner_in,
    learners_at_a_session,
    trainer_in,
)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 2)
API = "/api/v1"


def add_learners(association, count, *, gender="woman", start=0):
    return learners_at_a_session(association, count, day=DAY, gender=gender, start=start)


@pytest.fixture
def world(catalogue):
    funder_user = UserFactory(username="funder")
    funder = FunderFactory()
    funder.members.add(funder_user)
    tilleuls, fil, elsewhere = AssociationFactory(), AssociationFactory(), AssociationFactory()
    programme = ProgrammeFactory(funder=funder, target_learners=40, target_hours=100)
    programme.associations.add(tilleuls, fil)
    other_funder_user = UserFactory(username="other-funder")
    other_funder = FunderFactory()
    other_funder.members.add(other_funder_user)
    other_programme = ProgrammeFactory(funder=other_funder, name="Someone else's")
    other_programme.associations.add(elsewhere)
    coordinator = UserFactory(username="coordinator")
    MembershipFactory(user=coordinator, association=tilleuls, role=Role.COORDINATOR)
    add_learners(tilleuls, 12)
    add_learners(fil, 7, gender="man")
    add_learners(fil, 2, gender="other", start=100)
    add_learners(elsewhere, 6)
    return {
        "funder": funder_user,
        "other_funder": other_funder_user,
        "coordinator": coordinator,
        "programme": programme,
        "other_programme": other_programme,
        "tilleuls": tilleuls,
        "fil": fil,
        "elsewhere": elsewhere,
    }


def bearer(user, name="tool") -> str:
    _token, secret = tokens.api_token_create(user=user, name=name)
    return secret


def get(client, path, secret=None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    return client.get(f"{API}{path}", **headers, **extra)


def as_json(value):
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


# --- Tokens ---------------------------------------------------------------------------------


def test_a_funder_creates_a_token_sees_it_once_uses_it_and_revokes_it(client, world):
    client.force_login(world["funder"])
    page = reverse("impact:api_tokens")
    response = client.post(page, {"name": "Tableur de suivi"})
    assert response.status_code == 302
    token = ApiToken.objects.get()
    shown = client.get(page)
    secret = shown.context["new_secret"]
    assert secret.startswith("pap_") and secret in shown.content.decode()
    assert shown["Cache-Control"].startswith("max-age=0")
    # Stored as a hash and a short prefix only; never shown again.
    assert token.secret_hash == tokens.secret_hash(secret) and secret not in token.secret_hash
    assert secret.startswith(token.prefix) and len(token.prefix) == 10
    again = client.get(page)
    assert again.context["new_secret"] is None
    assert secret not in again.content.decode()
    assert token.prefix in again.content.decode()

    assert token.last_used_at is None
    assert get(client, "/programmes", secret).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    confirm = client.get(reverse("impact:api_token_revoke", args=[token.pk]))
    assert confirm.status_code == 200
    assert "Tableur de suivi" in confirm.content.decode()
    client.post(reverse("impact:api_token_revoke", args=[token.pk]))
    client.post(reverse("impact:api_token_revoke", args=[token.pk]))  # a double click
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = get(client, "/programmes", secret)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Bearer"
    assert list(
        AuditEntry.objects.filter(object_id=str(token.pk))
        .order_by("at")
        .values_list("action", flat=True)
    ) == ["api_token_create", "api_token_revoke"]


def test_a_token_needs_a_name_and_the_number_of_active_tokens_is_limited(client, world):
    client.force_login(world["funder"])
    page = reverse("impact:api_tokens")
    response = client.post(page, {"name": "  "})
    assert response.status_code == 400
    assert ApiToken.objects.count() == 0
    for index in range(tokens.MAX_ACTIVE_TOKENS):
        bearer(world["funder"], name=f"tool {index}")
    response = client.post(page, {"name": "one too many"})
    assert response.status_code == 400
    assert "Révoquez" in response.content.decode()
    assert ApiToken.objects.count() == tokens.MAX_ACTIVE_TOKENS


def test_nobody_sees_or_revokes_someone_elses_token(client, world):
    theirs, _secret = tokens.api_token_create(user=world["other_funder"], name="theirs")
    client.force_login(world["funder"])
    assert "theirs" not in client.get(reverse("impact:api_tokens")).content.decode()
    url = reverse("impact:api_token_revoke", args=[theirs.pk])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_learners_and_trainers_have_no_token_page(client, world):
    page = reverse("impact:api_tokens")
    assert client.get(page).status_code == 302
    client.force_login(learner_in(world["tilleuls"]))
    assert client.get(page).status_code == 403


def test_a_token_acts_with_its_users_current_rights(client, world):
    secret = bearer(world["funder"])
    programme = world["programme"]
    assert get(client, f"/programmes/{programme.pk}/figures", secret).status_code == 200
    other = ProgrammeFactory()
    other.funder.members.add(world["funder"])
    programme.funder.members.remove(world["funder"])
    # Still a funder, of another programme only: this one is "not found".
    assert [p["id"] for p in get(client, "/programmes", secret).json()] == [other.pk]
    assert get(client, f"/programmes/{programme.pk}/figures", secret).status_code == 404
    # No longer funding nor coordinating anything: the token opens nothing at all.
    other.funder.members.remove(world["funder"])
    assert get(client, "/programmes", secret).status_code == 401
    world["funder"].is_active = False
    world["funder"].save()
    assert get(client, "/programmes", secret).status_code == 401


def test_missing_or_malformed_tokens_are_refused_in_french(client, world):
    response = get(client, "/programmes")
    assert response.status_code == 401
    assert "jeton" in response.json()["detail"]
    assert get(client, "/programmes", "pap_not-a-real-token").status_code == 401
    assert get(client, "/programmes", "x" * 5000).status_code == 401
    response = client.get(f"{API}/programmes", HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==")
    assert response.status_code == 401


def test_repeated_wrong_tokens_from_one_address_get_429_even_with_a_right_token(client, world):
    secret = bearer(world["funder"])
    for _attempt in range(tokens.FAILURE_RATE.count):
        assert get(client, "/programmes", "pap_wrong").status_code == 401
    refused = get(client, "/programmes", "pap_wrong")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Réessayez" in refused.json()["detail"]
    # Refused without looking at the token, so a right guess cannot stand out.
    assert get(client, "/programmes", secret).status_code == 429
    # Another address is not affected.
    assert get(client, "/programmes", secret, REMOTE_ADDR="192.0.2.7").status_code == 200


# --- Scope ----------------------------------------------------------------------------------


def test_a_funder_lists_only_their_own_programmes(client, world):
    secret = bearer(world["funder"])
    listed = get(client, "/programmes", secret).json()
    assert [item["id"] for item in listed] == [world["programme"].pk]
    assert listed[0]["sees_all_associations"] is True
    assert {a["id"] for a in listed[0]["associations"]} == {
        world["tilleuls"].pk,
        world["fil"].pk,
    }


def test_a_funder_cannot_read_another_funders_programme_or_association(client, world):
    secret = bearer(world["funder"])
    other = world["other_programme"]
    assert get(client, f"/programmes/{other.pk}/figures", secret).status_code == 404
    assert get(client, f"/programmes/{other.pk}/reports", secret).status_code == 404
    response = get(
        client,
        f"/programmes/{world['programme'].pk}/figures",
        secret,
        data={"association": world["elsewhere"].pk},
    )
    assert response.status_code == 404
    # The same answer as for a programme that does not exist: nothing is revealed.
    assert response.json() == get(client, "/programmes/999999/figures", secret).json()


def test_a_coordinator_reads_only_their_own_association(client, world):
    secret = bearer(world["coordinator"])
    programme = world["programme"]
    listed = get(client, "/programmes", secret).json()
    assert listed[0]["sees_all_associations"] is False
    assert [a["id"] for a in listed[0]["associations"]] == [world["tilleuls"].pk]
    url = f"/programmes/{programme.pk}/figures"
    mine = get(client, url, secret, data={"association": world["tilleuls"].pk})
    assert mine.status_code == 200
    assert mine.json()["figures"]["key_figures"]["learners"] == 12
    assert get(client, url, secret, data={"association": world["fil"].pk}).status_code == 404
    whole = get(client, url, secret)
    assert whole.status_code == 400
    assert whole.json()["errors"][0]["field"] == "association"


# --- Figures --------------------------------------------------------------------------------


def test_figures_are_exactly_the_dashboards(client, world):
    secret = bearer(world["funder"])
    programme = world["programme"]
    response = get(
        client,
        f"/programmes/{programme.pk}/figures",
        secret,
        data={"start": "2026-02-01", "end": "2026-06-30", "association": world["fil"].pk},
    )
    assert response.status_code == 200
    body = response.json()
    expected = selectors.figures_live(
        programme=programme,
        association_ids=[world["fil"].pk],
        start=datetime.date(2026, 2, 1),
        end=datetime.date(2026, 6, 30),
    )
    assert body["figures"] == as_json(expected)
    assert body["start"] == "2026-02-01" and body["end"] == "2026-06-30"
    assert body["association_id"] == world["fil"].pk
    assert body["minimum_count"] == 5

    # And the whole programme over its own period, as the dashboard opens it.
    whole = get(client, f"/programmes/{programme.pk}/figures", secret).json()
    client.force_login(world["funder"])
    dashboard = client.get(reverse("impact:dashboard"))
    shown = {figure["key"]: figure["value"] for figure in dashboard.context["key_figures"]}
    counts = ("learners", "new_learners", "sessions", "hours", "learner_hours")
    assert {key: whole["figures"]["key_figures"][key] for key in counts} == {
        key: shown[key] for key in counts
    }
    assert whole["figures"]["key_figures"]["learners"] == 21


def test_small_counts_are_null_in_the_api(client, world):
    secret = bearer(world["funder"])
    body = get(client, f"/programmes/{world['programme'].pk}/figures", secret).json()
    gender = dict(body["figures"]["breakdowns"]["gender"]["rows"])
    # 2 "other" is hidden, and so is the next smallest (7 men): 2 = 21 - 12 - 7 otherwise.
    assert gender["other"] is None
    assert gender["man"] is None
    assert gender["woman"] == 12
    fil_only = get(
        client,
        f"/programmes/{world['programme'].pk}/figures",
        secret,
        data={"association": world["fil"].pk},
    ).json()
    assert dict(fil_only["figures"]["breakdowns"]["gender"]["rows"])["other"] is None


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-02-30"}, "start"),
        ({"start": "02/03/2026"}, "start"),
        ({"end": "demain"}, "end"),
        ({"start": "2026-05-01", "end": "2026-04-01"}, "end"),
        ({"start": "1850-01-01"}, "start"),
        ({"start": "2000-01-01", "end": "2099-12-31"}, "end"),
        ({"association": "abc"}, "association"),
    ],
)
def test_bad_parameters_get_400_with_a_french_message(client, world, params, field):
    secret = bearer(world["funder"])
    response = get(client, f"/programmes/{world['programme'].pk}/figures", secret, data=params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["detail"] == "Certains paramètres ne sont pas valides."
    assert body["errors"][0]["field"] == field
    assert body["errors"][0]["message"]


def test_messages_follow_accept_language(client, world):
    secret = bearer(world["funder"])
    response = get(
        client,
        f"/programmes/{world['programme'].pk}/figures",
        secret,
        data={"start": "2026-13-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.json()["errors"][0]["message"] == (
        "Write the date as YYYY-MM-DD, for example 2026-03-31."
    )


def test_the_figures_endpoint_runs_a_bounded_number_of_queries(
    client, world, django_assert_max_num_queries
):
    secret = bearer(world["funder"])
    url = f"/programmes/{world['programme'].pk}/figures"
    # Rolling up the learners whose records changed costs a fixed number of queries per
    # 1,000 learners (lms/impact/rollups.py), then the figures a fixed number.
    with django_assert_max_num_queries(60):
        get(client, url, secret)
    add_learners(world["tilleuls"], 20, start=500)
    with django_assert_max_num_queries(60):
        response = get(client, url, secret)
    assert response.json()["figures"]["key_figures"]["learners"] == 41


# The test programme runs through 2026: closing it before its end needs the confirmation.
OPEN_PERIOD = {"open_period": "on"}


# --- Frozen reports -------------------------------------------------------------------------


def test_frozen_reports_are_listed_and_read_as_stored(client, world):
    client.force_login(world["funder"])
    client.post(reverse("impact:freeze"), {"programme": world["programme"].pk, **OPEN_PERIOD})
    report = FrozenReport.objects.get()
    report.figures["key_figures"]["learners"] = 999  # stored figures are never recomputed
    report.save()
    secret = bearer(world["funder"])
    base = f"/programmes/{world['programme'].pk}/reports"
    listed = get(client, base, secret).json()
    assert [item["id"] for item in listed] == [report.pk]
    assert "figures" not in listed[0]
    one = get(client, f"{base}/{report.pk}", secret).json()
    assert one["figures"]["key_figures"]["learners"] == 999
    assert one["definitions_version"] == report.definitions_version


def test_frozen_reports_out_of_scope_are_not_found(client, world):
    programme_wide = FrozenReport.objects.create(
        programme=world["programme"],
        period_start_on=DAY,
        period_end_on=DAY,
        definitions_version="1.0",
        figures={},
    )
    theirs = FrozenReport.objects.create(
        programme=world["other_programme"],
        period_start_on=DAY,
        period_end_on=DAY,
        definitions_version="1.0",
        figures={},
    )
    mine = FrozenReport.objects.create(
        programme=world["programme"],
        association=world["tilleuls"],
        period_start_on=DAY,
        period_end_on=DAY,
        definitions_version="1.0",
        figures={"key_figures": {}},
    )
    funder = bearer(world["funder"])
    base = f"/programmes/{world['programme'].pk}/reports"
    assert get(client, f"{base}/{theirs.pk}", funder).status_code == 404
    assert get(client, f"{base}/{programme_wide.pk}", funder).status_code == 200
    coordinator = bearer(world["coordinator"])
    assert [r["id"] for r in get(client, base, coordinator).json()] == [mine.pk]
    assert get(client, f"{base}/{programme_wide.pk}", coordinator).status_code == 404
    assert get(client, f"{base}/{mine.pk}", coordinator).status_code == 200


# --- OpenAPI --------------------------------------------------------------------------------


def test_the_openapi_description_is_valid_versioned_and_has_no_docs_page(client, world):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    description = response.json()
    assert description["info"]["version"] == "1"
    assert description["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    assert set(description["paths"]) == {
        f"{API}/programmes",
        f"{API}/programmes/{{programme_id}}/figures",
        f"{API}/programmes/{{programme_id}}/reports",
        f"{API}/programmes/{{programme_id}}/reports/{{report_id}}",
    }
    assert all(set(item) == {"get"} for item in description["paths"].values())
    key_figures = description["components"]["schemas"]["KeyFigures"]["properties"]
    assert "Distinct learners" in key_figures["learners"]["description"]
    schemathesis.openapi.from_dict(description).validate()
    # Swagger UI would load scripts from a CDN: it is switched off.
    assert client.get(f"{API}/docs").status_code in (301, 404)
    assert client.get(f"{API}/docs/").status_code == 404


@pytest.fixture
def fuzz(world, monkeypatch):
    """A token for each kind of caller, and reports they may read; the fuzzer's wrong tokens
    must not lock the right ones out."""
    from lms.accounts.ratelimit import Rate

    monkeypatch.setattr(tokens, "FAILURE_RATE", Rate(count=100_000, seconds=60))
    programme_wide = FrozenReport.objects.create(
        programme=world["programme"],
        period_start_on=DAY,
        period_end_on=DAY,
        definitions_version="1.0",
        figures={"key_figures": {"learners": None}},
    )
    tilleuls_report = FrozenReport.objects.create(
        programme=world["programme"],
        association=world["tilleuls"],
        period_start_on=DAY,
        period_end_on=DAY,
        definitions_version="1.0",
        figures={"key_figures": {"learners": None}},
    )
    revoked, revoked_secret = tokens.api_token_create(user=world["funder"], name="old tool")
    tokens.api_token_revoke(token=revoked, by=world["funder"])
    # A trainer who coordinated once and kept the token: it no longer opens anything.
    former = trainer_in(world["tilleuls"], username="former-coordinator")
    former_secret = bearer(former)
    learner = learner_in(world["tilleuls"], username="fuzz-learner")
    session = Client()
    session.force_login(learner)
    programme = {"programme_id": world["programme"].pk}
    return {
        "funder": {
            "headers": {"Authorization": f"Bearer {bearer(world['funder'])}"},
            "path": {**programme, "report_id": programme_wide.pk},
            "query": {},
        },
        "coordinator": {
            "headers": {"Authorization": f"Bearer {bearer(world['coordinator'])}"},
            "path": {**programme, "report_id": tilleuls_report.pk},
            # A coordinator sees their association's share only: named, or 400.
            "query": {"association": world["tilleuls"].pk},
        },
        "former coordinator": {"headers": {"Authorization": f"Bearer {former_secret}"}},
        "revoked token": {"headers": {"Authorization": f"Bearer {revoked_secret}"}},
        "wrong token": {"headers": {"Authorization": "Bearer pap_" + "x" * 43}},
        # Signed in on the site: the API asks for a token all the same.
        "learner, no token": {
            "headers": {},
            "cookies": {name: morsel.value for name, morsel in session.cookies.items()},
        },
    }


@pytest.fixture
def wsgi_app():
    """Django's WSGI application, keeping the test's database connection between requests.

    Like Django's test client: a finished request must not close the connection that
    holds the test's transaction.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# What an answer of the API may write: the rollups figures are computed from (derived from
# the records, rebuilt when stale: lms/impact/rollups.py) and a token's "last used" time.
# A refusal writes nothing at all.
WRITE_RE = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY|TRUNCATE(?:\s+TABLE)?)\s+"?(\w+)"?',
    re.IGNORECASE,
)
# The summaries a read brings up to date (lms/impact/rollups.py), and their bookkeeping.
DERIVED_TABLES = {model._meta.db_table for model in (*ROLLUP_MODELS, RollupStale, RollupState)}
LAST_USED_RE = re.compile(r'^\s*UPDATE "impact_apitoken" SET "last_used_at" = [^,]+ WHERE')
ALLOWED = ("funder", "coordinator")


@pytest.mark.parametrize(
    "caller",
    [
        "funder",
        "coordinator",
        "former coordinator",
        "revoked token",
        "wrong token",
        "learner, no token",
    ],
)
def test_no_operation_answers_500_or_writes_to_generated_requests(world, fuzz, wsgi_app, caller):
    """Schemathesis, in-process over WSGI: every operation, as each kind of caller, with
    values that fit the description (positive) and values that do not (negative: wrong
    types, out-of-range ids, malformed dates). Never a 5xx; a refusal writes nothing and an
    answer writes at most the token's "last used" time; answers conform to the description."""
    schema = schemathesis.openapi.from_wsgi(f"{API}/openapi.json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4
    who = fuzz[caller]
    # The WSGI transport does not decompress: ask for plain bodies (GZipMiddleware is on).
    headers = {**who["headers"], "Accept-Encoding": "identity"}
    cookies = who.get("cookies", {})
    allowed = caller in ALLOWED
    conformance = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    answered = Counter()

    def fuzz_operation(strategy, checks, max_examples):
        @given(case=strategy)
        @settings(
            max_examples=max_examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            with CaptureQueriesContext(connection) as queries:
                response = case.call(headers=headers, cookies=cookies)
            answered[(case.operation.path, response.status_code)] += 1
            assert response.status_code < 500, (case.path, case.query, response.text[:500])
            writes = [query["sql"] for query in queries if WRITE_RE.match(query["sql"])]
            if response.status_code >= 400 or not allowed:
                assert writes == [], (caller, case.path, case.query, response.status_code)
            else:
                assert [
                    sql
                    for sql in writes
                    if WRITE_RE.match(sql)[1] not in DERIVED_TABLES and not LAST_USED_RE.match(sql)
                ] == []
            case.validate_response(response, checks=checks, headers=headers)

        call()

    for operation in operations:
        strategies = [
            (operation.as_strategy(), conformance),
            (operation.as_strategy(GenerationMode.NEGATIVE), [not_a_server_error]),
        ]
        if allowed:
            # Also on the real programme and report, so figures are computed, not just 404s.
            fixed = {name: v for name, v in who["path"].items() if f"{{{name}}}" in operation.path}
            query = who["query"] if operation.path.endswith("/figures") else {}
            strategies.append(
                (operation.as_strategy(path_parameters=fixed, query=query), conformance)
            )
        for strategy, checks in strategies:
            # Refused callers meet the token check before anything else: a few suffice.
            fuzz_operation(strategy, checks, max_examples=8 if allowed else 3)
    if allowed:
        # Every operation answered with data at least once: the run reached the real code.
        assert {path for path, status in answered if status == 200} == {
            op.path for op in operations
        }
    else:
        assert {status for _path, status in answered} <= {401, 404}, answered
