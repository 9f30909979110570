"""The pretend sign-in steps (itsme, eID card reader, login page): graded on the server,
right, wrong and trap, and nothing the learner typed is ever stored."""

import html
import uuid

import pytest
from django.urls import reverse

from lms.learning.grading import practice_eid_check, practice_itsme_check, practice_login_check
from lms.learning.models import Statement
from tests.factories import AssociationFactory, learner_in

GENUINE = {"started_by_learner": True}
TRAP = {"started_by_learner": False}


@pytest.mark.parametrize(
    ("value", "decision", "code", "success", "score", "items"),
    [
        (GENUINE, "confirm", "12345", True, (2, 2), [True, True]),
        (GENUINE, "confirm", "1234", False, (1, 2), [True, False]),
        (GENUINE, "confirm", "١٢٣٤٥", False, (1, 2), [True, False]),  # not a keypad's digits
        (GENUINE, "refuse", "", False, (0, 2), [False, True]),
        (GENUINE, "", "12345", False, (0, 2), [None, True]),
        (TRAP, "refuse", "", True, (1, 1), [True, True]),
        (TRAP, "confirm", "12345", False, (0, 1), [False, True]),
    ],
)
def test_itsme_confirms_what_the_learner_started_and_refuses_a_trap(
    value, decision, code, success, score, items
):
    outcome = practice_itsme_check(value, decision, code)
    assert outcome.success is success
    assert (outcome.score_raw, outcome.score_max) == score
    assert outcome.items == items
    assert code not in str(outcome.response) or not code


@pytest.mark.parametrize(
    ("method", "card", "pin", "success", "items"),
    [
        ("eid", True, "1234", True, [True, True, True]),
        ("eid", True, " 1234 ", True, [True, True, True]),
        ("eid", False, "1234", False, [True, False, True]),
        ("eid", True, "12345", False, [True, True, False]),
        ("itsme", True, "1234", False, [False, True, True]),
        ("", False, "", False, [None, False, False]),
    ],
)
def test_the_eid_reader_wants_the_card_chosen_inserted_and_a_4_digit_pin(
    method, card, pin, success, items
):
    outcome = practice_eid_check({}, method, card, pin)
    assert (outcome.success, outcome.items) == (success, items)
    assert outcome.score_raw == items.count(True) and outcome.score_max == 3
    assert "1234" not in str(outcome.response)


@pytest.mark.parametrize(
    ("method", "success", "items"),
    [
        ("eid", True, [True]),
        ("itsme", False, [False]),
        ("app", False, [False]),
        ("", False, [None]),
    ],
)
def test_the_login_page_wants_the_way_that_fits_the_situation(method, success, items):
    outcome = practice_login_check({"right_method": "eid"}, method)
    assert (outcome.success, outcome.items) == (success, items)


# --- Through the step page, as a learner sends them ------------------------------------------


@pytest.fixture
def learner_client(client):
    client.force_login(learner_in(AssociationFactory()))
    return client


def pretend_step(catalogue, slug: str, kind: str, *, trap: bool = False):
    module = catalogue.get(slug=slug)
    for number, step in enumerate(module.steps, start=1):
        if step.block_type != kind:
            continue
        if kind != "practice_itsme" or step.value["started_by_learner"] is not trap:
            return module, number
    raise AssertionError(f"no {kind} in {slug}")


def post(client, module, number, fields, **extra):
    return client.post(
        reverse("learning:step", args=[module.pk, number]),
        {"statement_id": str(uuid.uuid4()), **fields},
        **extra,
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "kind", "trap", "right", "wrong"),
    [
        (
            "installer-et-utiliser-itsme",
            "practice_itsme",
            False,
            {"decision": "confirm", "code": "24680"},
            {"decision": "confirm", "code": "246"},
        ),
        (
            "installer-et-utiliser-itsme",
            "practice_itsme",
            True,
            {"decision": "refuse"},
            {"decision": "confirm", "code": "24680"},
        ),
        (
            "utiliser-le-lecteur-de-carte-eid",
            "practice_eid",
            False,
            {"method": "eid", "card": "inserted", "code": "2468"},
            {"method": "eid", "code": "2468"},
        ),
        (
            "se-connecter-a-un-service-public",
            "practice_login",
            False,
            {"method": "eid"},
            {"method": "itsme"},
        ),
    ],
)
def test_each_pretend_step_is_graded_on_the_server_and_stores_no_code(
    learner_client, catalogue, slug, kind, trap, right, wrong
):
    module, number = pretend_step(catalogue, slug, kind, trap=trap)
    json = {"HTTP_ACCEPT": "application/json"}
    verdict = post(learner_client, module, number, wrong, **json).json()
    assert verdict["ok"] is True and verdict["success"] is False
    assert False in verdict["items"]
    verdict = post(learner_client, module, number, right, **json).json()
    assert verdict["success"] is True and all(verdict["items"])
    statements = Statement.objects.order_by("stored_at", "timestamp")
    assert [s.success for s in statements] == [False, True]
    assert {s.object_kind for s in statements} == {kind}
    assert all(s.verb.endswith("answered") for s in statements)
    for statement in statements:
        assert "24680" not in str(statement.response) and "2468" not in str(statement.response)


@pytest.mark.django_db
def test_without_the_script_the_page_shows_the_verdict_of_each_part(learner_client, catalogue):
    module, number = pretend_step(catalogue, "utiliser-le-lecteur-de-carte-eid", "practice_eid")
    response = post(learner_client, module, number, {"method": "eid", "code": "12"})
    page = html.unescape(learner_client.get(response.url).content.decode())
    assert "Mettez d'abord la carte dans le lecteur." in page
    assert "Tapez 4 chiffres." in page
    # The card chosen was right: only the parts still wrong say what to do.
    assert 'data-item-wrong="0" hidden>' in page
    assert 'data-item-wrong="1">' in page and 'data-item-wrong="2">' in page
    assert "data-verdict-success hidden>" in page
    response = post(
        learner_client, module, number, {"method": "eid", "card": "inserted", "code": "1234"}
    )
    page = html.unescape(learner_client.get(response.url).content.decode())
    assert "vous êtes connecté(e) à MyPension" in page
    assert "Suivant" in page
