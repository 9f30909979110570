"""Writes to accounts: sign-in cards (issue, check, lock, unlock, reissue), a person's language."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from .languages import language_supported
from .models import Association, SignInCard, SignInEvent, User

MAX_FAILURES = 5
# Each lock in a row lasts longer; after the last one, the next lock waits for a trainer.
# Someone holding a card can then try 20 codes in all (5 per lock), not 480 a day.
LOCK_DURATIONS = (timedelta(minutes=15), timedelta(hours=1), timedelta(hours=24))
# No 0/O, 1/I/L: codes are read aloud and typed by people who read with difficulty.
SHORT_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PICTURES = ["sun", "house", "tree", "cat", "car", "flower", "star", "fish", "apple"]


class CardLocked(Exception):
    """`until` the lock ends, or None: the card waits for a trainer to unlock it."""

    def __init__(self, until):
        super().__init__(str(until))
        self.until = until


def card_needs_trainer(card: SignInCard) -> bool:
    return card.locks_in_a_row > len(LOCK_DURATIONS)


def card_is_locked(card: SignInCard, *, now=None) -> bool:
    now = now or timezone.now()
    return card_needs_trainer(card) or bool(card.locked_until and card.locked_until > now)


def short_code_new() -> str:
    code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def short_code_normalise(text: str) -> str:
    """Accept what people type: lower case, spaces, missing dash, O for 0 and so on."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    cleaned = cleaned.translate(str.maketrans({"0": "O", "1": "I"}))
    return f"{cleaned[:4]}-{cleaned[4:8]}" if len(cleaned) == 8 else ""


def picture_code_key(pictures: list[str]) -> str:
    if len(pictures) != 3 or len(set(pictures)) != 3 or not set(pictures) <= set(PICTURES):
        raise ValueError("A picture code is three different pictures among the nine.")
    return "-".join(pictures)  # the order matters: it is part of the secret


@transaction.atomic
def card_issue(
    *,
    learner: User,
    association: Association,
    pin: str = "",
    pictures: list[str] | None = None,
    issued_by: User | None = None,
    token: str | None = None,
    short_code: str | None = None,
    secret_later: bool = False,
) -> SignInCard:
    """Give the learner a new card; any previous card stops working.

    `secret_later`: a card printed before the learner chose a secret (the group's cards);
    it signs nobody in until the secret is set with card_secret_set().
    """
    if not pin and not pictures and not secret_later:
        raise ValueError("A card needs a 4-digit secret or a picture code.")
    _secret_check(pin, pictures)
    now = timezone.now()
    for old in SignInCard.objects.select_for_update().filter(learner=learner, is_active=True):
        old.is_active = False
        old.revoked_at = now
        old.save(update_fields=["is_active", "revoked_at"])
        SignInEvent.objects.create(card=old, kind=SignInEvent.Kind.REVOKED, by=issued_by)
    code = short_code or short_code_new()
    while short_code is None and SignInCard.objects.filter(short_code=code).exists():
        code = short_code_new()
    card = SignInCard.objects.create(
        learner=learner,
        association=association,
        token=token or secrets.token_urlsafe(32),
        short_code=code,
        pin_hash=make_password(pin) if pin else "",
        picture_hash=make_password(picture_code_key(pictures)) if pictures else "",
        created_by=issued_by,
    )
    SignInEvent.objects.create(card=card, kind=SignInEvent.Kind.ISSUED, by=issued_by)
    return card


def _secret_check(pin: str, pictures: list[str] | None) -> None:
    if pin and (len(pin) != 4 or not pin.isdigit()):
        raise ValueError("The secret is 4 digits.")
    if pictures:
        picture_code_key(pictures)


def card_has_secret(card: SignInCard) -> bool:
    return bool(card.pin_hash or card.picture_hash)


@transaction.atomic
def card_secret_set(
    *, card: SignInCard, pin: str = "", pictures: list[str] | None = None, by: User | None
) -> SignInCard:
    """The learner chooses the secret of a card printed without one; the card stays the same.

    Only a card without a secret: changing a secret means a new card (card_issue), so that a
    lost card stops working.
    """
    if not pin and not pictures:
        raise ValueError("A card needs a 4-digit secret or a picture code.")
    _secret_check(pin, pictures)
    card = SignInCard.objects.select_for_update().get(pk=card.pk, is_active=True)
    if card_has_secret(card):
        raise ValueError("This card already has a secret: make a new card instead.")
    card.pin_hash = make_password(pin) if pin else ""
    card.picture_hash = make_password(picture_code_key(pictures)) if pictures else ""
    card.save(update_fields=["pin_hash", "picture_hash"])
    SignInEvent.objects.create(card=card, kind=SignInEvent.Kind.SECRET_SET, by=by)
    return card


@transaction.atomic
def cards_issue_without_secret(
    *, learners: list[User], association: Association, by: User
) -> list[SignInCard]:
    """Cards for learners who have none, to print with their group's; each learner chooses
    their secret later, with a trainer (card_secret_set). Learners who got a card meanwhile
    are left alone."""
    have = set(
        SignInCard.objects.filter(learner__in=learners, is_active=True).values_list(
            "learner_id", flat=True
        )
    )
    return [
        card_issue(learner=learner, association=association, issued_by=by, secret_later=True)
        for learner in learners
        if learner.pk not in have
    ]


@dataclass(frozen=True)
class SecretCheck:
    ok: bool
    attempts_left: int


@transaction.atomic
def card_check_secret(
    *, card_id: int, pin: str = "", pictures: list[str] | None = None
) -> SecretCheck:
    """Check a secret against the card; 5 failures lock the card: for 15 minutes, then
    1 hour, then 24 hours when locks follow each other, and then until a trainer unlocks it."""
    card = SignInCard.objects.select_for_update().get(pk=card_id, is_active=True)
    now = timezone.now()
    if card_needs_trainer(card):
        raise CardLocked(None)
    if card.locked_until and card.locked_until > now:
        raise CardLocked(card.locked_until)
    if pictures is not None:
        try:
            ok = bool(card.picture_hash) and check_password(
                picture_code_key(pictures), card.picture_hash
            )
        except ValueError:
            ok = False
    else:
        ok = bool(card.pin_hash) and check_password(pin, card.pin_hash)
    if ok:
        card.failed_attempts = 0
        card.locked_until = None
        card.locks_in_a_row = 0
        card.save(update_fields=["failed_attempts", "locked_until", "locks_in_a_row"])
        SignInEvent.objects.create(card=card, kind=SignInEvent.Kind.SUCCESS)
        return SecretCheck(True, MAX_FAILURES)
    card.failed_attempts += 1
    SignInEvent.objects.create(card=card, kind=SignInEvent.Kind.FAILURE)
    if card.failed_attempts >= MAX_FAILURES:
        card.locks_in_a_row += 1
        card.failed_attempts = 0
        if card_needs_trainer(card):
            card.locked_until = None
        else:
            card.locked_until = now + LOCK_DURATIONS[card.locks_in_a_row - 1]
        SignInEvent.objects.create(card=card, kind=SignInEvent.Kind.LOCKED)
        card.save(update_fields=["failed_attempts", "locked_until", "locks_in_a_row"])
        # The lock is committed with the failure; the caller shows the locked screen.
        return SecretCheck(False, 0)
    card.save(update_fields=["failed_attempts"])
    return SecretCheck(False, MAX_FAILURES - card.failed_attempts)


def card_assisted_record(*, card: SignInCard, by: User) -> None:
    """A trainer opened the learner's session for them on a shared device."""
    SignInEvent.objects.create(card=card, kind=SignInEvent.Kind.ASSISTED, by=by)


@transaction.atomic
def card_unlock(*, card: SignInCard, by: User) -> None:
    SignInCard.objects.filter(pk=card.pk).update(
        failed_attempts=0, locked_until=None, locks_in_a_row=0
    )
    SignInEvent.objects.create(card=card, kind=SignInEvent.Kind.UNLOCKED, by=by)


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj,
    association: Association | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Keep a trace of a change; callers pass plain JSON-able dicts of the fields."""
    from .models import AuditEntry

    AuditEntry.objects.create(
        actor=actor,
        association=association,
        action=action,
        object_type=obj._meta.label,
        object_id=str(obj.pk),
        before=before,
        after=after,
    )


def person_language_set(*, person: User, language: str) -> bool:
    """Keep the interface language a person chose (or their trainer chose for them).

    Returns whether it changed; a language the site does not offer is refused.
    """
    code = language_supported(language)
    if not code:
        raise ValueError(f"Not a language of the interface: {language!r}")
    if person.preferred_language == code:
        return False
    User.objects.filter(pk=person.pk).update(preferred_language=code)
    person.preferred_language = code
    return True
