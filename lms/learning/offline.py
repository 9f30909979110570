"""The learner's pages without a connection: the offline worker's cache key.

The worker (static/js/sw.js) keeps the learner's module pages in a cache named by the key
each learner page carries in its `Pasapas-Offline-Key` header. The key is derived from the
session, so it changes at each sign-in: when the worker sees a new key, it deletes the
pages kept for the previous one before keeping anything, and never shows one person's
pages to another on a shared device.
"""

from django.utils.crypto import salted_hmac

OFFLINE_KEY_HEADER = "Pasapas-Offline-Key"


def offline_key(session_key: str) -> str:
    """A value of this session alone, which says nothing of the session key itself."""
    return salted_hmac("pasapas.offline-key", session_key).hexdigest()[:24]


def offline_key_set(request, response):
    """Mark a learner page with the key of the session it belongs to."""
    if request.session.session_key:
        response[OFFLINE_KEY_HEADER] = offline_key(request.session.session_key)
    return response
