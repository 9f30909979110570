"""Files waiting for the trainer's confirmation between an import's preview and its run.

A previewed file is stored under a random token with who sent it, for which association and
kind (models.PendingImport, in the database: the confirmation runs in the background worker,
which may not share this process's temporary folder or server). The confirmation claims it
once, within the hour, as the person who sent it; its refused rows, if any, stay for that
person to download until the hour is over. Older entries are deleted at the next preview.
"""

import re
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from lms.accounts.models import Association, User

from .models import PendingImport
from .transfer import KINDS
from .transfer_files import CONTENT_TYPES, file_format

PREVIEW_MAX_AGE_SECONDS = 3600
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def pending_for(*, token: str, kind: str, association: Association, user: User):
    """The entry `token` names, if it is this person's, of this kind and association, and
    younger than an hour (a queryset: claimed with an UPDATE, read without loading the rest)."""
    if not TOKEN.fullmatch(token or ""):
        return PendingImport.objects.none()
    fresh_since = timezone.now() - timedelta(seconds=PREVIEW_MAX_AGE_SECONDS)
    return PendingImport.objects.filter(
        token=token, kind=kind, association=association, user=user, created_at__gt=fresh_since
    )


def upload_store(
    *,
    data: bytes,
    kind: str,
    association: Association,
    user: User,
    refused: bytes | None = None,
) -> str:
    uploads_purge()
    token = secrets.token_urlsafe(24)
    PendingImport.objects.create(
        token=token,
        kind=kind,
        association=association,
        user=user,
        created_at=timezone.now(),
        data=data,
        refused=refused,
    )
    return token


def upload_claim(*, token: str, kind: str, association: Association, user: User) -> bytes | None:
    """The stored bytes, once: a second confirmation of the same preview finds nothing."""
    pending = pending_for(token=token, kind=kind, association=association, user=user)
    with transaction.atomic():
        # One UPDATE decides, on SQLite and PostgreSQL alike: only one request wins.
        if not pending.filter(claimed_at__isnull=True).update(claimed_at=timezone.now()):
            return None
        data = pending.values_list("data", flat=True).get()
        pending.update(data=None)
    return bytes(data) if data is not None else None


def refused_rows_download(
    *, token: str, kind: str, association: Association, user: User
) -> tuple[bytes, str, str] | None:
    """The refused rows of a previewed file (content, type, name), for the person who sent
    it, within the hour, before or after the import; None when there is none."""
    pending = pending_for(token=token, kind=kind, association=association, user=user)
    content = pending.values_list("refused", flat=True).first()
    if content is None:
        return None
    content = bytes(content)
    fmt = file_format(content)
    refused_rows = _("refused rows")
    name = f"{slugify(refused_rows)}-{slugify(str(KINDS[kind][1]))}.{fmt}"
    return content, CONTENT_TYPES[fmt], name


def uploads_purge() -> None:
    limit = timezone.now() - timedelta(seconds=PREVIEW_MAX_AGE_SECONDS)
    PendingImport.objects.filter(created_at__lt=limit).delete()
