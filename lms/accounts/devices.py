"""Signed, long-lived cookies that tell a browser apart.

Devices that a trainer marked as the association's own: typing a card's short code by hand
is only allowed on such devices, so nobody can try codes from home; at home, learners scan
the QR code, whose token cannot be guessed. And browsers that signed in as someone before
(below), which a lock on that person's username does not shut out.
"""

import secrets

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


# --- Browsers that signed in before (OWASP's "device cookie") ------------------------------
# After a successful password sign-in, the browser keeps a signed cookie naming the people
# who signed in on it. A username locked by failures from elsewhere (someone trying to
# lock a trainer out) stays open on these browsers; their own failures count against the
# browser's id alone (lms/accounts/ratelimit.py), still within the per-address limit.

KNOWN_COOKIE = "pasapas_known"
KNOWN_SALT = "pasapas.known-device"
KNOWN_MAX_AGE = 60 * 60 * 24 * 365
KNOWN_PEOPLE_MAX = 10  # an association's shared computer: the last ten people


def _known(request) -> dict | None:
    value = request.COOKIES.get(KNOWN_COOKIE)
    if not value:
        return None
    try:
        known = signing.loads(value, salt=KNOWN_SALT, max_age=KNOWN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(known, dict) or not isinstance(known.get("people"), list):
        return None
    return known


def known_device_for(request, username: str) -> str | None:
    """This browser's id when it signed in as `username` (normalised) before, else None."""
    known = _known(request)
    if known and username in known["people"]:
        return str(known.get("device", ""))[:64] or None
    return None


def known_device_remember(request, response, *, username: str) -> None:
    """Set at a successful sign-in: this browser may use `username` despite a lock."""
    known = _known(request) or {"device": secrets.token_urlsafe(16), "people": []}
    people = [name for name in known["people"] if name != username] + [username]
    value = signing.dumps(
        {"device": known["device"], "people": people[-KNOWN_PEOPLE_MAX:]}, salt=KNOWN_SALT
    )
    response.set_cookie(
        KNOWN_COOKIE,
        value,
        max_age=KNOWN_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )
