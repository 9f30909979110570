"""The interface language a person keeps: chosen by them or their trainer, used at sign-in.

Django's LocaleMiddleware reads the language from a cookie (then the browser's
Accept-Language). A learner often signs in on the association's shared computer or a
borrowed phone, whose cookie and browser say nothing about them: the language kept on the
person (`User.preferred_language`) is written into that cookie as soon as we know who is
signing in (a card scanned, a password accepted, a session opened by a trainer).
"""

from django.conf import settings
from django.http import HttpResponse


def language_supported(code: str) -> str:
    """The code as listed in settings.LANGUAGES (case-insensitive), or "" if it is not one."""
    wanted = (code or "").strip().lower()
    return next((listed for listed, _name in settings.LANGUAGES if listed == wanted), "")


def language_cookie_set(response: HttpResponse, language: str) -> HttpResponse:
    """Write the language cookie as Django's own set_language view does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def person_language_apply(response: HttpResponse, person) -> HttpResponse:
    """The next pages speak the person's own language, if they have one; else nothing changes."""
    language = language_supported(getattr(person, "preferred_language", ""))
    if language:
        language_cookie_set(response, language)
    return response
