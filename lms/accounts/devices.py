"""Devices that a trainer marked as the association's own (a signed, long-lived cookie).

Typing a card's short code by hand is only allowed on such devices, so nobody can try
codes from home; at home, learners scan the QR code, whose token cannot be guessed.
"""

from django.core import signing

COOKIE = "pasapas_device"
SALT = "pasapas.trusted-device"
MAX_AGE = 60 * 60 * 24 * 365 * 2


def device_association_id(request) -> int | None:
    value = request.COOKIES.get(COOKIE)
    if not value:
        return None
    try:
        return int(signing.loads(value, salt=SALT, max_age=MAX_AGE)["association"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def device_trust(response, *, association_id: int) -> None:
    value = signing.dumps({"association": association_id}, salt=SALT)
    response.set_cookie(COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="Lax", secure=False)


def device_forget(response) -> None:
    response.delete_cookie(COOKIE)
