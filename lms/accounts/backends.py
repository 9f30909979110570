"""How a signed-in person is found again at each request.

Django's `ModelBackend` loads the user's row with the ORM at every request: on a learner's
page that was a third of the server's time. `UserBackend` is that backend, except that
`get_user` keeps the row in the shared cache (Redis) for `AUTH_USER_CACHE_SECONDS`:

- a change saved to the user (deactivation, password, name) or their deletion removes the
  cached row at once and again when the transaction commits (signals below), so the next
  request of every server process reads the database again;
- a change that sends no signal (a queryset's `update()`) shows after
  `AUTH_USER_CACHE_SECONDS` at most, the same bound as the roles kept in the session
  (lms/accounts/access.py);
- the password hash never goes to the cache. The row is kept without it, the password is a
  deferred field of the user built from it (loaded from the database if code reads it), and
  the session check uses the hash Django derives from it, already kept in every session.

Only with a cache every server process shares: with the per-process memory cache a change
saved in one process would not reach the others, so there (the embedded default)
`AUTH_USER_CACHE_SECONDS` is 0 and this is exactly `ModelBackend`. The test settings turn
it on: a test's requests all run in one process, over one memory cache.
"""

import functools

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.crypto import salted_hmac

from .usernames import username_normalise

# The dotted path Django records in the session, and `login()` is given by views that sign
# someone in without a password (sign-in cards).
USER_BACKEND = "lms.accounts.backends.UserBackend"


@functools.cache
def _cached_fields() -> list[str]:
    """Every column of the user but the password, in the model's order."""
    return [
        field.attname
        for field in get_user_model()._meta.concrete_fields
        if field.attname != "password"
    ]


def user_cache_key(user_id) -> str:
    return f"pasapas:user:{_key_signature()}:{user_id}"


@functools.cache
def _key_signature() -> str:
    """What the cached rows depend on besides the database, in every key:
    - the columns: after a migration adds or removes one, rows cached by the old code are
      never read as the new model's;
    - the SECRET_KEY the session hash is derived with: after the key is changed, a session
      signed with a key no longer accepted is never checked against a hash made with it."""
    return salted_hmac("pasapas.user-cache", ",".join(_cached_fields())).hexdigest()[:16]


class UserBackend(ModelBackend):
    """`ModelBackend`, with `get_user` served from the shared cache (see the module)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        """ModelBackend's, with the username read as the sign-in form and the limits read
        it (usernames.py): "Formateur" signs in as "formateur", whichever case was stored."""
        if username is not None:
            username = stored_username(username)
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        seconds = settings.AUTH_USER_CACHE_SECONDS
        if not seconds:
            return super().get_user(user_id)
        user_model = get_user_model()
        key = user_cache_key(user_id)
        fields = _cached_fields()
        cached = cache.get(key)
        if cached is None:
            try:
                user = user_model._default_manager.get(pk=user_id)
            except user_model.DoesNotExist:
                return None
            cached = ([getattr(user, name) for name in fields], user.get_session_auth_hash())
            cache.set(key, cached, seconds)
        values, session_auth_hash = cached
        user = user_model.from_db(user_model._default_manager.db, fields, values)
        user._cached_session_auth_hash = session_auth_hash
        return user if self.user_can_authenticate(user) else None


def stored_username(typed: str) -> str:
    """The stored username that `typed` names once normalised: matched without regard to
    case, unless two stored usernames differ only by case (then only the exact one)."""
    normalised = username_normalise(typed)
    matches = list(
        get_user_model()
        ._default_manager.filter(username__iexact=normalised)
        .values_list("username", flat=True)[:2]
    )
    return matches[0] if len(matches) == 1 else normalised


def forget_users(user_ids) -> None:
    """Drop users' cached rows, now and when the current transaction commits (called by the
    user signals, and after a `bulk_update`, which sends none).

    Both: now, so this process's next read goes to the database; at commit, because a
    request of another process may have cached the old row in between.
    """
    keys = [user_cache_key(user_id) for user_id in user_ids]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def _user_changed(sender, instance, **_kwargs) -> None:
    if settings.AUTH_USER_CACHE_SECONDS:
        forget_users([instance.pk])


def connect_signals() -> None:
    """Called by AccountsConfig.ready, so that every process forgets what it changes (a
    command or a task worker too, which never loads this backend)."""
    user_model = settings.AUTH_USER_MODEL
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="pasapas-user-save")
    post_delete.connect(_user_changed, sender=user_model, dispatch_uid="pasapas-user-delete")
