"""Picture renditions named by their content, so that browsers may keep them for a year.

Wagtail names a rendition after its original picture and its filter ("theme-e-mail.width-96
.svg"). When an editor replaces a picture, its renditions are made again, and a later one
can take an earlier one's name: a browser told to keep the file would show the old picture.
Named by a hash of their bytes ("theme-e-mail.width-96.3f2a9c0d41be.svg"), a name always
means the same bytes: the uploads' server sends such a file with a one-year `immutable`
Cache-Control (lms/accounts/security.py `media_serve`, nginx in docs/deploy.md), and a
learner's next visit asks nothing for its pictograms (issue 20).

Used for renditions only (WAGTAILIMAGES_RENDITION_STORAGE): originals, documents and H5P
packages keep their names.
"""

import hashlib
import os
import re

from django.core.files import File
from django.core.files.storage import FileSystemStorage

HASH_LENGTH = 12
# What a file named by its content is served with.
IMMUTABLE_CACHE_CONTROL = f"public, max-age={365 * 24 * 60 * 60}, immutable"
# A name this storage wrote, in the folder Wagtail keeps renditions in (its upload_to):
# "images/<name>.<12 hex digits>.<extension>".
HASHED_RENDITION = re.compile(rf"^images/[^/]+\.[0-9a-f]{{{HASH_LENGTH}}}\.[A-Za-z0-9]+$")


def content_hashed_name(name: str, content) -> str:
    """`name` with a hash of `content`'s bytes before its extension."""
    digest = hashlib.sha256()
    content.seek(0)
    for chunk in content.chunks():
        digest.update(chunk)
    content.seek(0)
    root, extension = os.path.splitext(name)
    return f"{root}.{digest.hexdigest()[:HASH_LENGTH]}{extension}"


def is_hashed_rendition(path: str) -> bool:
    """True for a rendition's path under MEDIA_ROOT that names its content (never changes)."""
    return bool(HASHED_RENDITION.match(path))


class HashedRenditionStorage(FileSystemStorage):
    """MEDIA_ROOT, with each file saved under a name holding a hash of its content."""

    def save(self, name, content, max_length=None):
        if not hasattr(content, "chunks"):
            content = File(content, name)
        return super().save(content_hashed_name(name, content), content, max_length)
