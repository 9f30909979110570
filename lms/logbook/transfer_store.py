"""Files waiting for the trainer's confirmation between an import's preview and its run.

A previewed file is stored under a random token, readable by this process only, with who
sent it, for which association and kind; the confirmation claims it once, within the hour.
Its refused rows, if any, stay there for the trainer to download until the hour is over.
"""

import json
import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from django.utils.text import slugify
from django.utils.translation import gettext as _

from lms.accounts.models import Association, User

from .transfer import KINDS
from .transfer_files import CONTENT_TYPES, file_format

PREVIEW_MAX_AGE_SECONDS = 3600
# Uploaded files wait for confirmation here, readable by this process only, and never in
# MEDIA_ROOT, which may be served to the public.
STORE_DIR = Path(tempfile.gettempdir()) / "pasapas-transfer"
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def store_write(name: str, content: bytes) -> None:
    descriptor = os.open(STORE_DIR / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)


def upload_store(
    *,
    data: bytes,
    kind: str,
    association: Association,
    user: User,
    refused: bytes | None = None,
) -> str:
    STORE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    uploads_purge()
    token = secrets.token_urlsafe(24)
    meta = json.dumps(
        {"kind": kind, "association": association.pk, "user": user.pk, "at": time.time()}
    ).encode()
    if refused is not None:
        # Kept after the import (the confirmation claims the file, not its refused rows).
        store_write(f"{token}.refused", refused)
        store_write(f"{token}.refused-meta", meta)
    store_write(f"{token}.data", data)
    store_write(f"{token}.json", meta)
    return token


def meta_matches(meta: dict, *, kind: str, association: Association, user: User) -> bool:
    fresh = time.time() - meta["at"] < PREVIEW_MAX_AGE_SECONDS
    return fresh and (meta["kind"], meta["association"], meta["user"]) == (
        kind,
        association.pk,
        user.pk,
    )


def upload_claim(*, token: str, kind: str, association: Association, user: User) -> bytes | None:
    """The stored bytes, once: a second confirmation of the same preview finds nothing."""
    if not TOKEN.fullmatch(token or ""):
        return None
    meta_path, data_path = STORE_DIR / f"{token}.json", STORE_DIR / f"{token}.data"
    claimed = STORE_DIR / f"{token}.claimed"
    try:
        os.replace(meta_path, claimed)  # atomic: only one request wins
    except FileNotFoundError:
        return None
    try:
        meta = json.loads(claimed.read_bytes())
        if not meta_matches(meta, kind=kind, association=association, user=user):
            return None
        return data_path.read_bytes()
    except (OSError, ValueError, KeyError):
        return None
    finally:
        claimed.unlink(missing_ok=True)
        data_path.unlink(missing_ok=True)


def refused_rows_download(
    *, token: str, kind: str, association: Association, user: User
) -> tuple[bytes, str, str] | None:
    """The refused rows of a previewed file (content, type, name), for the person who sent
    it, within the hour, before or after the import; None when there is none."""
    if not TOKEN.fullmatch(token or ""):
        return None
    try:
        meta = json.loads((STORE_DIR / f"{token}.refused-meta").read_bytes())
        if not meta_matches(meta, kind=kind, association=association, user=user):
            return None
        content = (STORE_DIR / f"{token}.refused").read_bytes()
    except (OSError, ValueError, KeyError):
        return None
    fmt = file_format(content)
    refused_rows = _("refused rows")
    name = f"{slugify(refused_rows)}-{slugify(str(KINDS[kind][1]))}.{fmt}"
    return content, CONTENT_TYPES[fmt], name


def uploads_purge() -> None:
    limit = time.time() - PREVIEW_MAX_AGE_SECONDS
    for path in STORE_DIR.glob("*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue
