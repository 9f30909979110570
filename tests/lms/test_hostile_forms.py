"""Random and hostile values posted to every form of the site, as each role that sees it.

Every page the URL configuration has (tests/lms/test_access_matrix.py builds one of each,
with a person of each role) is opened; each form found there (read with an HTML parser:
its method, its action and its fields), each POST-only action, and each page's query
string receive values drawn by Hypothesis: any text, and strings known to break things
(hidden Unicode, formulas, markup, huge or odd numbers, NUL bytes). The ids forms post by
hand (association, duplicate, deactivate, group, learner) are sent to every one of them.
Whatever comes in, the answer is never a server error, and a refusal (4xx) writes nothing.
Bounded and derandomised, so CI runs the same examples every time.
"""

from html.parser import HTMLParser
from typing import NamedTuple
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.accounts.access_matrix import AREAS, MATRIX
from tests.lms import test_access_matrix as matrix
from tests.lms.test_access_matrix import client_for, concrete_url, prepare, url_entries

# The access matrix's fixture: two associations, a person of each role, objects in both.
world = matrix.world

NOT_FORMS = {"csrfmiddlewaretoken"}
# Ids some views read from the request themselves: sent to every form and query string.
KNOWN_IDS = ("association", "duplicate", "deactivate", "group", "learner")
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


class Target(NamedTuple):
    role: str
    key: str  # the access matrix's key of the URL the values go to
    url: str
    method: str  # "get" (a query string) or "post"
    names: tuple[str, ...]


FIELD_TAGS = ("input", "select", "textarea", "button")


class FormFields(HTMLParser):
    """Each <form> of a page: its method, its action and the names of its fields."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.current: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            self.current = {"method": method, "action": attrs.get("action") or "", "names": set()}
            self.forms.append(self.current)
        elif self.current is not None and attrs.get("name") and tag in FIELD_TAGS:
            self.current["names"].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def _matrix_key(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name if match.view_name in MATRIX else None


def _page_targets(role: str, key: str, url: str, html: str) -> list[Target]:
    """The page's forms (sent where their action says), and its own query string."""
    parser = FormFields()
    parser.feed(html)
    found = []
    query_names = set(KNOWN_IDS) | set(MATRIX[key].query)
    for form in parser.forms:
        action = urljoin(url, form["action"])
        if urlsplit(action).netloc:  # another site: not ours to post to
            continue
        path = urlsplit(action).path
        action_key = key if path == urlsplit(url).path else _matrix_key(path)
        # Signing out ends the session whatever is posted: the rest of the walk needs it.
        if action_key is None or MATRIX[action_key].lands_on_sign_in:
            continue
        names = form["names"] - NOT_FORMS
        if form["method"] == "get" and action_key == key:
            query_names |= names
            continue
        found.append(
            Target(role, action_key, path, form["method"], tuple(sorted(names | set(KNOWN_IDS))))
        )
    found.append(Target(role, key, url, "get", tuple(sorted(query_names))))
    return found


def _targets(world) -> list[Target]:
    """Every form, POST-only action and query string a role may use, the sign-in card's
    forms included (after showing the card, on a marked device), each once."""
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
                found.append(
                    Target(role, key, url, "post", tuple(sorted({*rule.data, *KNOWN_IDS})))
                )
                continue
            response = client.get(url, rule.query)
            content_type = response.get("Content-Type", "")
            if response.status_code != 200 or "text/html" not in content_type:
                continue
            found.extend(_page_targets(role, key, url, response.content.decode(errors="replace")))
    return list(dict.fromkeys(found))


def _send(client, target: Target, values: dict):
    if target.method == "get":
        return client.get(target.url, values)
    return client.post(target.url, values)


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
        target.key for target in targets
    }
    target = data.draw(st.sampled_from(targets), label="target")
    values = {name: data.draw(VALUE, label=name) for name in target.names}
    client = client_for(world["people"][target.role])
    prepare(client, MATRIX[target.key], world)
    before = _counts(target.key)
    response = _send(client, target, values)
    assert response.status_code < 500, (target, values)
    if response.status_code >= 400:
        assert _counts(target.key) == before, (target, response.status_code, values)


# One value of each kind a field may choke on, sent in every field of every form at once:
# Hypothesis above draws a few forms at random; this sweep sees each form at least once.
# The last one is a list: a field posted several times, as a hand-made request may do.
SWEEP = [
    "abc",
    "",
    "-1",
    "99999999",
    "9" * 400,
    "1 OR 1=1",
    "\x00",
    "=1+1",
    "x" * 4000,
    "2026-02-30",
    ["1", "abc"],
]


@pytest.mark.django_db
def test_every_form_refuses_junk_in_every_field_without_a_server_error(world):
    targets = _targets(world)
    # The walk reached each kind: POST forms, POST-only actions, GET forms and query strings.
    assert {"logbook:trainers", "logbook:device_mark", "logbook:learner_merge"} <= {
        target.key for target in targets if target.method == "post"
    }
    assert {"impact:dashboard", "logbook:learners"} <= {
        target.key for target in targets if target.method == "get"
    }
    assert {"trainer", "coordinator", "funder", "learner", "editor"} <= {
        target.role for target in targets
    }
    failures = []
    for target in targets:
        client = client_for(world["people"][target.role])
        client.raise_request_exception = False  # a 500 is counted, not raised: list them all
        for junk in SWEEP:
            prepare(client, MATRIX[target.key], world)
            before = _counts(target.key)
            response = _send(client, target, dict.fromkeys(target.names, junk))
            shown = str(junk)[:12]
            if response.status_code >= 500:
                failures.append((target.role, target.method, target.key, shown, "5xx"))
            elif response.status_code >= 400 and _counts(target.key) != before:
                failures.append((target.role, target.method, target.key, shown, "wrote"))
    assert failures == [], "\n".join(map(str, failures))
