"""Random and hostile values posted to every form of the site, as each role that sees it.

Every page the URL configuration has (tests/lms/test_access_matrix.py builds one of each,
with a person of each role) is opened; each POST form found there, and each POST-only
action, receives values drawn by Hypothesis: any text, and strings known to break things
(hidden Unicode, formulas, markup, huge or odd numbers, NUL bytes). Whatever comes in, the
answer is never a server error, and a refusal (4xx) writes nothing.
Bounded and derandomised, so CI runs the same examples every time.
"""

import re

import pytest
from django.apps import apps
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.accounts.access_matrix import AREAS, MATRIX
from tests.lms import test_access_matrix as matrix
from tests.lms.test_access_matrix import client_for, concrete_url, prepare, url_entries

# The access matrix's fixture: two associations, a person of each role, objects in both.
world = matrix.world

FIELD_RE = re.compile(
    r"<(?:input|select|textarea|button)\b[^>]*?\bname=\"([^\"]+)\"", re.IGNORECASE
)
POST_FORM_RE = re.compile(r"<form\b[^>]*\bmethod=\"post\"", re.IGNORECASE)
# Sign-in and sign-out change the session by design whatever is posted; the rest is fair.
NOT_FORMS = {"csrfmiddlewaretoken"}
HOSTILE = [
    "",
    " ",
    "A\u200bm\u200bi\u200bna",
    "\u202eanimA",
    "\u2066x\u2069",
    "\ufeff",
    "E\u0301lise",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "{{ 7*7 }}",
    "'; DROP TABLE accounts_user; --",
    "../../../../etc/passwd",
    "\x00",
    "-1",
    "0",
    "2147483648",
    "9" * 400,
    "1e999",
    "NaN",
    "2026-02-30",
    "25:61",
    "x" * 5000,
]
VALUE = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40))
# The tables a form of this site writes to; a refusal must leave them as they were.
WRITTEN_APPS = ("accounts", "logbook", "learning", "impact")
# But for the record of a wrong sign-in card code: kept on purpose (the card locks after
# five, and the trainer sees why), so the refusal that answers it does write that row.
RECORDED_ON_REFUSAL = {"accounts:card_secret": {"accounts.SignInEvent"}}
RECORDED_ON_REFUSAL["accounts:card_pictures"] = RECORDED_ON_REFUSAL["accounts:card_secret"]


def _counts(key: str = "") -> dict[str, int]:
    recorded = RECORDED_ON_REFUSAL.get(key, set())
    return {
        model._meta.label: model.objects.count()
        for label in WRITTEN_APPS
        for model in apps.get_app_config(label).get_models()
        if model._meta.label not in recorded
    }


def _targets(world) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(role, matrix key, url, field names) for every POST form or action a role may use,
    the sign-in card's forms included (after showing the card, on a marked device)."""
    found = []
    for key, route in sorted(url_entries()):
        rule = MATRIX.get(key)
        if (
            rule is None
            or not rule.probe
            or rule.auth != "session"
            or rule.boundary == "owner"
            or route in AREAS
            or key.startswith("area:")
            or key == "media"
        ):
            continue
        url = concrete_url(key, route, world["mine"], world)
        if not url:
            continue
        # The card's forms come before signing in (showing a card signs out whoever was
        # signed in): filled by someone signed out, whatever their role.
        roles = {"anonymous"} if rule.prepare else rule.roles
        for role in sorted(roles):
            client = client_for(world["people"][role])
            prepare(client, rule, world)
            if rule.method == "POST":
                found.append((role, key, url, tuple(rule.data)))
                continue
            response = client.get(url, rule.query)
            content_type = response.get("Content-Type", "")
            if response.status_code != 200 or "text/html" not in content_type:
                continue
            html = response.content.decode(errors="replace")
            if not POST_FORM_RE.search(html):
                continue
            names = tuple(sorted(set(FIELD_RE.findall(html)) - NOT_FORMS))
            if names:
                found.append((role, key, url, names))
    return found


@pytest.mark.django_db
@settings(
    max_examples=50,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_form_answers_a_server_error_and_a_refusal_writes_nothing(world, data):
    if "_hostile_targets" not in world:  # walked once; Hypothesis calls this per example
        world["_hostile_targets"] = _targets(world)
    targets = world["_hostile_targets"]
    assert len(targets) >= 10, targets  # the walk found the site's forms
    assert {"accounts:card_secret", "accounts:card_pictures", "accounts:card_code"} <= {
        key for _r, key, *_ in targets
    }
    role, key, url, names = data.draw(st.sampled_from(targets), label="target")
    values = {name: data.draw(VALUE, label=name) for name in names}
    client = client_for(world["people"][role])
    prepare(client, MATRIX[key], world)
    before = _counts(key)
    response = client.post(url, values)
    assert response.status_code < 500, (role, key, values)
    if response.status_code >= 400:
        assert _counts(key) == before, (role, key, response.status_code, values)


# One value of each kind a field may choke on, sent in every field of every form at once:
# Hypothesis above draws a few forms at random; this sweep sees each form at least once.
SWEEP = ["abc", "", "-1", "9" * 400, "\x00", "=1+1", "x" * 5000, "2026-02-30"]


@pytest.mark.django_db
def test_every_form_refuses_junk_in_every_field_without_a_server_error(world):
    failures = []
    for role, key, url, names in _targets(world):
        client = client_for(world["people"][role])
        client.raise_request_exception = False  # a 500 is counted, not raised: list them all
        for junk in SWEEP:
            prepare(client, MATRIX[key], world)
            before = _counts(key)
            response = client.post(url, dict.fromkeys(names, junk))
            if response.status_code >= 500:
                failures.append((role, key, junk[:12], response.status_code))
            elif response.status_code >= 400 and _counts(key) != before:
                failures.append((role, key, junk[:12], "wrote on a refusal"))
    assert failures == [], "\n".join(map(str, failures))
