"""Sign-in cards: the QR link and a secret, picture codes, locks, trusted devices."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lms.accounts.devices import COOKIE, device_trust
from lms.accounts.models import SignInCard, SignInEvent
from lms.accounts.services import (
    CardLocked,
    card_check_secret,
    card_issue,
    card_needs_trainer,
    card_unlock,
    short_code_normalise,
)
from tests.factories import AssociationFactory, learner_in, trainer_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def card():
    association = AssociationFactory()
    learner = learner_in(association, display_name="Fatima")
    return card_issue(
        learner=learner, association=association, pin="2468", pictures=["sun", "cat", "star"]
    )


def test_the_qr_link_and_the_right_secret_sign_the_learner_in(client, card):
    response = client.get(reverse("accounts:card_start", args=[card.token]))
    assert response.url == reverse("accounts:card_secret")
    response = client.post(reverse("accounts:card_secret"), {"pin": "2468"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert response.url == reverse("learning:my_path")
    assert client.get(response.url).status_code == 200


def test_the_picture_code_signs_in_one_picture_per_screen(client, card):
    client.get(reverse("accounts:card_start", args=[card.token]))
    for picture in ("sun", "cat"):
        assert (
            client.post(reverse("accounts:card_pictures"), {"picture": picture}).status_code == 200
        )
    response = client.post(reverse("accounts:card_pictures"), {"picture": "star"})
    assert response.url == reverse("learning:my_path")


def test_the_picture_order_is_part_of_the_secret(client, card):
    client.get(reverse("accounts:card_start", args=[card.token]))
    for picture in ("cat", "sun"):
        client.post(reverse("accounts:card_pictures"), {"picture": picture})
    response = client.post(reverse("accounts:card_pictures"), {"picture": "star"})
    assert response.status_code == 200
    assert "ne marchent pas" in response.content.decode()


def test_five_wrong_secrets_lock_the_card_for_fifteen_minutes_and_are_logged(client, card):
    client.get(reverse("accounts:card_start", args=[card.token]))
    for _ in range(4):
        assert client.post(reverse("accounts:card_secret"), {"pin": "0000"}).status_code == 200
    response = client.post(reverse("accounts:card_secret"), {"pin": "0000"})
    assert response.status_code == 423
    response = client.post(reverse("accounts:card_secret"), {"pin": "2468"})
    assert response.status_code == 423
    kinds = list(SignInEvent.objects.filter(card=card).values_list("kind", flat=True))
    assert kinds.count("failure") == 5 and "locked" in kinds


def test_a_trainer_unlocks_a_card(client, card):
    client.get(reverse("accounts:card_start", args=[card.token]))
    for _ in range(5):
        client.post(reverse("accounts:card_secret"), {"pin": "0000"})
    card_unlock(card=card, by=trainer_in(card.association))
    response = client.post(reverse("accounts:card_secret"), {"pin": "2468"})
    assert response.url == reverse("learning:my_path")


def test_a_new_card_stops_the_old_one(client, card):
    new = card_issue(learner=card.learner, association=card.association, pin="1357")
    response = client.get(reverse("accounts:card_start", args=[card.token]))
    assert response.status_code == 404
    assert client.get(reverse("accounts:card_start", args=[new.token])).status_code == 302
    assert SignInCard.objects.filter(learner=card.learner, is_active=True).get() == new


def test_the_short_code_works_only_on_a_trusted_device(client, card):
    response = client.post(reverse("accounts:card_code"), {"code": card.short_code})
    assert response.status_code == 403
    from django.http import HttpResponse

    trusted = HttpResponse()
    device_trust(trusted, association_id=card.association_id)
    client.cookies[COOKIE] = trusted.cookies[COOKIE].value
    typed = card.short_code.lower().replace("-", " ")
    response = client.post(reverse("accounts:card_code"), {"code": typed})
    assert response.url == reverse("accounts:card_secret")


def test_a_trusted_device_of_another_association_does_not_accept_the_code(client, card):
    from django.http import HttpResponse

    trusted = HttpResponse()
    device_trust(trusted, association_id=AssociationFactory().pk)
    client.cookies[COOKIE] = trusted.cookies[COOKIE].value
    response = client.post(reverse("accounts:card_code"), {"code": card.short_code})
    assert response.status_code == 200
    assert "ne marche pas" in response.content.decode()


def test_short_codes_are_forgiving_to_type():
    assert short_code_normalise("abcd ef23") == "ABCD-EF23"
    assert short_code_normalise("ABCD-EF2") == ""


# --- Locks that grow, then wait for a trainer ----------------------------------------------


def wrong_secrets(card, count=5):
    for _ in range(count):
        card_check_secret(card_id=card.pk, pin="0000")
    card.refresh_from_db()


def lock_runs_out(card):
    SignInCard.objects.filter(pk=card.pk).update(locked_until=timezone.now() - timedelta(seconds=1))


def test_locks_grow_then_the_card_waits_for_a_trainer_who_sees_why(client, card):
    """Before: every lock lasted 15 minutes, 480 codes a day for whoever holds the card."""
    minutes = []
    for _lock in range(3):
        wrong_secrets(card)
        minutes.append(round((card.locked_until - timezone.now()).total_seconds() / 60))
        with pytest.raises(CardLocked):  # even the right secret waits
            card_check_secret(card_id=card.pk, pin="2468")
        lock_runs_out(card)
    assert minutes == [15, 60, 24 * 60]

    wrong_secrets(card)  # a fourth lock in a row: no end time, a trainer must unlock
    assert card_needs_trainer(card) and card.locked_until is None
    lock_runs_out(card)
    with pytest.raises(CardLocked) as locked:
        card_check_secret(card_id=card.pk, pin="2468")
    assert locked.value.until is None

    # The learner is told, in French, to ask their trainer.
    client.get(reverse("accounts:card_start", args=[card.token]))
    response = client.post(reverse("accounts:card_secret"), {"pin": "2468"})
    assert response.status_code == 423
    page = response.content.decode()
    assert "Votre carte est bloquée" in page
    assert "Demandez à votre formateur de débloquer votre carte." in page

    # The trainer sees why on the learner's page, and unlocks it.
    trainer = Client()
    trainer.force_login(trainer_in(card.association))
    learner_page = reverse("logbook:learner", args=[card.learner.pk])
    page = trainer.get(learner_page).content.decode()
    assert "Bloquée après 4 séries de 5 codes faux d'affilée" in page
    unlock = reverse("logbook:learner_card_unlock", args=[card.learner.pk])
    assert unlock in page
    assert trainer.post(unlock).status_code == 302
    card.refresh_from_db()
    assert card.locks_in_a_row == 0
    assert card_check_secret(card_id=card.pk, pin="2468").ok


def test_a_right_secret_between_locks_starts_again_at_fifteen_minutes(card):
    wrong_secrets(card)
    lock_runs_out(card)
    assert card_check_secret(card_id=card.pk, pin="2468").ok
    wrong_secrets(card)
    assert 14 <= (card.locked_until - timezone.now()).total_seconds() / 60 <= 15
