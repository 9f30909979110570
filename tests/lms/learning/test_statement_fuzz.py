"""Whatever a browser (or anyone) posts to a step, the answer is never a server error.

The step endpoint is where statements and H5P results arrive. Hypothesis sends random
forms and JSON bodies: wrong types, missing fields, bad UUIDs, NaN, infinities, huge and
negative scores, huge strings. The test client re-raises any exception a view lets out,
so a 500 fails the test with its traceback.
"""

import json
import math
import uuid

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lms.learning.models import Statement
from tests.factories import AssociationFactory, learner_in

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=50,
    deadline=None,
    # One learner and one database transaction for all examples, on purpose: statements
    # pile up as they would from one busy device.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
MODULES = ("utiliser-un-ecran-tactile", "reconnaitre-une-arnaque-par-e-mail")
FIELDS = [
    "statement_id",
    "answer",
    "h5p_verb",
    "h5p_raw",
    "h5p_min",
    "h5p_max",
    "h5p_scaled",
    "h5p_success",
    "h5p_completion",
    "field-0",
    "field-1",
    "message-0",
    "message-1",
]
NASTY = [
    "",
    " ",
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "1e309",
    "-1e309",
    "1e308",
    "-1e308",
    "5e-324",
    "-0",
    "0",
    "1",
    "2",
    "-1",
    "0x10",
    "1_000",
    "99999999999999999999",
    "answered",
    "completed",
    "experienced",
    "validated",
    "true",
    "false",
    "TRUE",
    "null",
    "scam",
    "genuine",
    "00000000-0000-0000-0000-000000000000",
    "{12345678-1234-5678-1234-567812345678}",
    "urn:uuid:12345678-1234-5678-1234-567812345678",
    "12345678123456781234567812345678",
    "not-a-uuid",
    "<script>alert(1)</script>",
    "=cmd|' /C calc'!A0",
    "\u202e\u0000\ufeff",
    "x" * 10_000,
]
value = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.integers().map(str),
    st.floats().map(repr),
    st.uuids().map(str),
)


form = st.dictionaries(
    keys=st.one_of(st.sampled_from(FIELDS), st.text(max_size=12)),
    values=value,
    max_size=10,
)
# The H5P fields, each present, with any number in it: what a tampered frame could send.
h5p_form = st.fixed_dictionaries(
    {
        "statement_id": st.one_of(st.uuids().map(str), st.sampled_from(NASTY)),
        "h5p_verb": st.sampled_from(["answered", "completed", "", "experienced", "nan"]),
        "h5p_raw": st.one_of(st.floats().map(repr), st.sampled_from(NASTY)),
        "h5p_min": st.one_of(st.floats().map(repr), st.sampled_from(["0", "-1", "nan"])),
        "h5p_max": st.one_of(st.floats().map(repr), st.sampled_from(["1", "10", "0", "inf"])),
        "h5p_scaled": st.one_of(st.floats().map(repr), st.sampled_from(["0.5", "1", "-1", "2"])),
        "h5p_success": st.sampled_from(["true", "false", "", "yes", "1"]),
    }
)
json_body = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=12,
)


@pytest.fixture
def learner_client(client, catalogue):
    learner = learner_in(AssociationFactory())
    client.force_login(learner)
    client.modules = {slug: catalogue.get(slug=slug) for slug in MODULES}
    return client


def _url(client, slug: str, number: int) -> str:
    return reverse("learning:step", args=[client.modules[slug].pk, number])


def _check(response, *, wants_json: bool):
    assert response.status_code in {200, 302, 400, 404, 409}, response.status_code
    if wants_json and response.status_code in {200, 400, 409}:
        data = response.json()
        assert isinstance(data["ok"], bool)
        if response.status_code == 400:
            assert data["message"]
    _check_stored_scores()


def _check_stored_scores():
    for raw, low, high, scaled in Statement.objects.values_list(
        "score_raw", "score_min", "score_max", "score_scaled"
    ):
        for number in (raw, low, high, scaled):
            assert number is None or math.isfinite(number)
        assert scaled is None or -1 <= scaled <= 1
        if None not in (raw, low, high):
            assert low <= raw <= high


@FUZZ
@given(
    slug=st.sampled_from(MODULES),
    number=st.integers(min_value=0, max_value=12),
    data=form,
    wants_json=st.booleans(),
)
@example(slug=MODULES[1], number=3, data={"h5p_verb": "answered"}, wants_json=True)
@example(slug=MODULES[0], number=5, data={"answer": "-1"}, wants_json=True)
@example(slug=MODULES[0], number=5, data={"answer": "99999999999999999999"}, wants_json=False)
def test_any_form_posted_to_a_step_gets_an_answer_not_an_error(
    learner_client, slug, number, data, wants_json
):
    headers = {"HTTP_ACCEPT": "application/json"} if wants_json else {}
    response = learner_client.post(_url(learner_client, slug, number), data, **headers)
    _check(response, wants_json=wants_json)


@FUZZ
@given(data=h5p_form)
@example(
    data={
        "statement_id": str(uuid.uuid4()),
        "h5p_verb": "answered",
        "h5p_raw": "1e308",
        "h5p_min": "-1e308",
        "h5p_max": "1e308",
        "h5p_scaled": "1",
        "h5p_success": "true",
    }
)
@example(
    data={
        "statement_id": str(uuid.uuid4()),
        "h5p_verb": "completed",
        "h5p_raw": "5",
        "h5p_min": "0",
        "h5p_max": "3",
        "h5p_scaled": "1",
        "h5p_success": "true",
    }
)
def test_an_h5p_result_out_of_bounds_is_refused_and_never_stored(learner_client, data):
    slug = MODULES[1]
    number = next(
        index
        for index, step in enumerate(learner_client.modules[slug].steps, start=1)
        if step.block_type == "h5p"
    )
    before = Statement.objects.count()
    response = learner_client.post(
        _url(learner_client, slug, number), data, HTTP_ACCEPT="application/json"
    )
    _check(response, wants_json=True)
    if response.status_code == 400:
        assert Statement.objects.count() == before


@FUZZ
@given(body=json_body, number=st.integers(min_value=1, max_value=8))
def test_a_json_body_instead_of_a_form_is_not_an_error(learner_client, body, number):
    response = learner_client.post(
        _url(learner_client, MODULES[1], number),
        json.dumps(body),
        content_type="application/json",
        HTTP_ACCEPT="application/json",
    )
    _check(response, wants_json=True)


@pytest.mark.parametrize("answer", ["²", "9" * 5000])
def test_an_answer_in_odd_digits_is_refused_kindly(learner_client, answer):
    quiz = next(
        index
        for index, step in enumerate(learner_client.modules[MODULES[0]].steps, start=1)
        if step.block_type == "quiz"
    )
    response = learner_client.post(
        _url(learner_client, MODULES[0], quiz), {"answer": answer}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"]


def test_a_statement_id_already_used_elsewhere_gets_a_message(learner_client):
    statement_id = str(uuid.uuid4())
    first = learner_client.post(
        _url(learner_client, MODULES[0], 1),
        {"statement_id": statement_id},
        HTTP_ACCEPT="application/json",
    )
    assert first.status_code == 200
    again = learner_client.post(
        _url(learner_client, MODULES[0], 2),
        {"statement_id": statement_id},
        HTTP_ACCEPT="application/json",
    )
    assert again.status_code == 409
    assert again.json()["message"]


# --- The batch endpoint: the page's queued statements as one JSON list ---------------------

BATCH_URL = "/apprendre/releves/"
batch_entry = st.fixed_dictionaries(
    {
        # A module slug is replaced by that module's id in the test.
        "module": st.one_of(
            st.sampled_from(MODULES), st.integers(), st.booleans(), st.none(), st.text(max_size=4)
        ),
        "step": st.one_of(st.integers(min_value=-1, max_value=12), st.integers(), st.floats()),
        "statement_id": st.one_of(st.uuids().map(str), st.sampled_from(NASTY), st.integers()),
        "fields": st.one_of(form, h5p_form, json_body),
    },
    optional={
        "timestamp": st.one_of(
            st.datetimes().map(lambda moment: moment.isoformat()),
            st.sampled_from(NASTY),
            st.integers(),
        )
    },
)
batch_body = st.one_of(st.lists(st.one_of(batch_entry, json_body), max_size=8), json_body)


@FUZZ
@given(body=batch_body)
@example(body=[{"module": MODULES[1], "step": 3, "statement_id": "x", "fields": {}}])
@example(body=[{"module": MODULES[0], "step": 1, "statement_id": str(uuid.uuid4())}] * 2)
@example(
    body=[
        {
            "module": MODULES[0],
            "step": 1,
            "statement_id": str(uuid.uuid4()),
            "timestamp": "2026-02-30T10:00:00",
        }
    ]
)
def test_any_batch_gets_an_answer_per_statement_never_an_error(learner_client, body):
    if isinstance(body, list):
        body = [
            {**entry, "module": learner_client.modules[entry["module"]].pk}
            if isinstance(entry, dict) and entry.get("module") in learner_client.modules
            else entry
            for entry in body
        ]
    before = Statement.objects.count()
    response = learner_client.post(
        BATCH_URL, json.dumps(body), content_type="application/json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code in {200, 400}, response.status_code
    data = response.json()
    if response.status_code == 400:
        assert data["message"] and Statement.objects.count() == before
        return
    assert len(data["results"]) == len(body)
    for result in data["results"]:
        assert result["status"] in {"stored", "duplicate", "refused"}
        assert result["status"] != "refused" or result["message"]
    # What the answer says was stored is what the database holds.
    assert Statement.objects.count() - before == data["stored"]
    _check_stored_scores()
