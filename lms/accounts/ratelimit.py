"""Fixed-window rate limits on sign-in attempts, counted in the shared cache (Redis in production)."""

import contextlib
import functools
import hashlib
import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import ngettext

from .devices import known_device_for
from .usernames import username_normalise

KEY_PREFIX = "ratelimit"


@dataclass(frozen=True)
class Rate:
    """At most `count` hits per `seconds`, in fixed windows aligned on the clock."""

    count: int
    seconds: int


@dataclass(frozen=True)
class RateCheck:
    allowed: bool
    count: int
    retry_after_seconds: int


def _cache():
    return caches[getattr(settings, "RATELIMIT_CACHE", "default")]


def _window_key(scope: str, key: str, rate: Rate, window: int) -> str:
    # Hashed: usernames never sit in the cache in clear, and any key is valid on any backend.
    digest = hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()[:32]
    return f"{KEY_PREFIX}:{scope}:{rate.seconds}:{window}:{digest}"


def ratelimit_hit(
    *, scope: str, key: str, rate: Rate, cache=None, now: float | None = None
) -> RateCheck:
    """Count one hit for (scope, key) and say whether it is within the rate.

    cache.add and cache.incr are atomic on Redis and on the local-memory cache, so
    processes sharing one Redis share one counter.
    """
    cache = cache or _cache()
    now = time.time() if now is None else now
    window = int(now // rate.seconds)
    cache_key = _window_key(scope, key, rate, window)
    # The counter outlives its window by a little, so incr never meets a key expiring.
    timeout = rate.seconds + 1
    if cache.add(cache_key, 1, timeout):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # evicted between add and incr
            cache.add(cache_key, 1, timeout)
            count = 1
    retry_after = max(1, math.ceil((window + 1) * rate.seconds - now))
    return RateCheck(allowed=count <= rate.count, count=count, retry_after_seconds=retry_after)


def ratelimit_undo(*, scope: str, key: str, rate: Rate, cache=None, now: float) -> None:
    """Take back one hit counted by `ratelimit_hit(..., now=now)`: that attempt did not fail."""
    cache = cache or _cache()
    # ValueError: the window ended meanwhile, or the counter was evicted.
    with contextlib.suppress(ValueError):
        cache.decr(_window_key(scope, key, rate, int(now // rate.seconds)))


def ratelimit_reset(*, scope: str, key: str, rate: Rate, cache=None, now: float | None = None):
    """Forget the current window's hits, e.g. when a trainer unlocks a learner."""
    cache = cache or _cache()
    now = time.time() if now is None else now
    cache.delete(_window_key(scope, key, rate, int(now // rate.seconds)))


def client_ip(request) -> str:
    """The client's address; IPv6 clients are grouped by /64, which one home usually holds.

    Behind N trusted reverse proxies, set RATELIMIT_PROXY_COUNT = N: the address is then
    the one the outermost trusted proxy saw, which the client cannot forge.
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = getattr(settings, "RATELIMIT_PROXY_COUNT", 0)
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _too_many(request, check: RateCheck) -> HttpResponse:
    """429 with Retry-After: the page templates/429.html, or JSON for a script that asked."""
    minutes = max(1, math.ceil(check.retry_after_seconds / 60))
    message = ngettext(
        "Too many tries. Try again in %(minutes)s minute.",
        "Too many tries. Try again in %(minutes)s minutes.",
        minutes,
    ) % {"minutes": minutes}
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse(
            {"ok": False, "message": message, "retry_after_seconds": check.retry_after_seconds},
            status=429,
        )
    else:
        response = HttpResponse(
            render_to_string("429.html", {"minutes": minutes}, request=request), status=429
        )
    response["Retry-After"] = str(check.retry_after_seconds)
    # A refusal must not be cached by a proxy and served to the next person.
    response["Cache-Control"] = "no-store"
    return response


FAILED_ATTRIBUTE = "pasapas_attempt_failed"


def attempt_failed(request) -> None:
    """Called by a limited view when the attempt failed (a wrong password, code or card):
    only failures count towards the limits."""
    setattr(request, FAILED_ATTRIBUTE, True)


def ratelimit(
    *,
    scope: str,
    per_ip: Rate | None = None,
    per_target: Rate | None = None,
    target: Callable | None = None,
    known_device: Callable | None = None,
    methods: tuple[str, ...] = ("POST",),
):
    """Refuse a view with 429 once a client address or a target has failed too often.

    Only failed attempts count, those the view reports with `attempt_failed(request)`: a
    successful sign-in, or a class signing in one after the other from an association's
    shared address, uses none of the limit. Each attempt is still counted when it arrives
    and taken back when it did not fail, so guesses sent in parallel cannot slip past the
    limit before the first failures are recorded.

    `target(request)` names what is being tried (a username, a card id); None or "" skips
    the per-target limit. `known_device(request, target)` may name this browser instead (a
    device that signed in as that person before, see devices.py): its failures then count
    for that browser alone, so an attacker failing from elsewhere cannot lock the person
    out of their own browser.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in methods:
                return view(request, *args, **kwargs)
            now = time.time()
            counted = []  # (scope, key, rate, check)
            if per_ip is not None:
                counted.append((f"{scope}:ip", client_ip(request), per_ip))
            name = target(request) if (target and per_target) else None
            if name not in (None, ""):
                name = username_normalise(str(name))
                device = known_device(request, name) if known_device else None
                if device:
                    counted.append((f"{scope}:device", device, per_target))
                else:
                    counted.append((f"{scope}:target", name, per_target))
            checks = [
                (scope_, key, rate, ratelimit_hit(scope=scope_, key=key, rate=rate, now=now))
                for scope_, key, rate in counted
            ]
            refused = [check for *_hit, check in checks if not check.allowed]
            if refused:
                response = _too_many(
                    request, max(refused, key=lambda check: check.retry_after_seconds)
                )
            else:
                response = view(request, *args, **kwargs)
                if getattr(request, FAILED_ATTRIBUTE, False):
                    return response
            # A refusal or an attempt that did not fail: take its hits back.
            for scope_, key, rate, _check in checks:
                ratelimit_undo(scope=scope_, key=key, rate=rate, now=now)
            return response

        return wrapped

    return decorator


# --- The limits on each sign-in path -------------------------------------------------------
# An association's computer room shares one public address between many learners, and a
# picture code takes three POSTs: the per-address limits leave room for a full class.
# Cards also lock themselves after wrong secrets (services.card_check_secret).

WINDOW_SECONDS = 15 * 60


def _posted_username(request) -> str | None:
    return request.POST.get("username")


def _card_in_session(request) -> str | None:
    return request.session.get("card_id")  # views.CARD_SESSION_KEY


sign_in_limit = ratelimit(
    scope="password",
    per_ip=Rate(count=20, seconds=WINDOW_SECONDS),
    per_target=Rate(count=10, seconds=WINDOW_SECONDS),
    target=_posted_username,
    known_device=known_device_for,
)
card_secret_limit = ratelimit(
    scope="card-secret",
    per_ip=Rate(count=60, seconds=WINDOW_SECONDS),
    per_target=Rate(count=10, seconds=WINDOW_SECONDS),
    target=_card_in_session,
)
card_pictures_limit = ratelimit(
    scope="card-pictures",
    per_ip=Rate(count=180, seconds=WINDOW_SECONDS),
    per_target=Rate(count=30, seconds=WINDOW_SECONDS),
    target=_card_in_session,
)
card_code_limit = ratelimit(scope="card-code", per_ip=Rate(count=30, seconds=WINDOW_SECONDS))
