"""API tokens: creating, revoking and checking the secrets funders' tools send to the API."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.access import user_roles
from lms.accounts.models import User
from lms.accounts.ratelimit import WINDOW_SECONDS, Rate, client_ip, ratelimit_hit
from lms.accounts.services import audit_record

from .models import ApiToken

# Who may hold a token: the people who may see the impact dashboard.
IMPACT_ROLES = {"funder", "coordinator"}

# "pap_" tells a leaked secret apart in logs and secret scanners; 32 random bytes follow.
TOKEN_PREFIX = "pap_"  # noqa: S105  (a label, not a secret)
VISIBLE_CHARACTERS = 6
MAX_ACTIVE_TOKENS = 10
MAX_TOKEN_LENGTH = 100
# Tools retry in loops: a broken one must not lock out its owner's office for long, but
# guessing stays hopeless. Counted per client address, in the shared cache.
FAILURE_RATE = Rate(count=20, seconds=WINDOW_SECONDS)
FAILURE_SCOPE = "api-token:ip"
# Only write "last used" once a minute: a tool polling the API should not write every time.
LAST_USED_PRECISION = timedelta(minutes=1)


class TooManyFailures(Exception):
    """Too many wrong tokens from this address: answer 429 without looking at the token."""

    def __init__(self, retry_after_seconds: int):
        self.retry_after_seconds = retry_after_seconds
        super().__init__(retry_after_seconds)


def secret_hash(secret: str) -> str:
    # A plain SHA-256 is enough: the secret is 256 random bits, not a password to stretch.
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_for_user(user: User):
    """The person's own tokens, newest first; nobody sees or revokes anyone else's."""
    return ApiToken.objects.filter(user=user)


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it with its secret, which is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the token a name, for example the tool that will use it."))
    with transaction.atomic():
        # Lock the person's row so two quick clicks cannot both pass the limit.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if tokens_for_user(user).filter(revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
            raise ValidationError(
                _("You already have %(count)s active tokens. Revoke one you no longer use.")
                % {"count": MAX_ACTIVE_TOKENS}
            )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            prefix=secret[: len(TOKEN_PREFIX) + VISIBLE_CHARACTERS],
            secret_hash=secret_hash(secret),
        )
        audit_record(
            actor=user,
            action="api_token_create",
            obj=token,
            after={"name": token.name, "prefix": token.prefix},
        )
    return token, secret


def api_token_revoke(*, token: ApiToken, by: User) -> ApiToken:
    """Refuse the token from now on; revoking twice changes nothing (a double click)."""
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().get(pk=token.pk)
        if token.revoked_at is not None:
            return token
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=by,
            action="api_token_revoke",
            obj=token,
            before={"revoked_at": None},
            after={"revoked_at": token.revoked_at.isoformat()},
        )
    return token


def _blocked_key(address: str) -> str:
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"ratelimit:{FAILURE_SCOPE}:blocked:{digest}"


def _limits_cache():
    return caches[getattr(settings, "RATELIMIT_CACHE", "default")]


def api_token_check(request, secret: str) -> ApiToken | None:
    """The active token this secret belongs to, or None; counts wrong secrets per address.

    Once an address is over the limit, every token it sends is refused until the window
    ends, right ones included: otherwise a lucky guess would stand out among the 429s.
    """
    address = client_ip(request)
    cache = _limits_cache()
    blocked_until = cache.get(_blocked_key(address))
    now = timezone.now().timestamp()
    if blocked_until is not None and blocked_until > now:
        raise TooManyFailures(max(1, int(blocked_until - now)))
    token = None
    if secret.startswith(TOKEN_PREFIX) and len(secret) <= MAX_TOKEN_LENGTH:
        token = (
            ApiToken.objects.select_related("user")
            .filter(secret_hash=secret_hash(secret), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
    if token is None:
        check = ratelimit_hit(scope=FAILURE_SCOPE, key=address, rate=FAILURE_RATE, cache=cache)
        if not check.allowed:
            cache.set(
                _blocked_key(address),
                now + check.retry_after_seconds,
                check.retry_after_seconds,
            )
            raise TooManyFailures(check.retry_after_seconds)
        return None
    if not user_roles(token.user) & IMPACT_ROLES:
        # The owner no longer funds nor coordinates anything: the token is dead weight.
        return None
    used_at = timezone.now()
    if token.last_used_at is None or used_at - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=used_at)
        token.last_used_at = used_at
    return token
