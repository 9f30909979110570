"""Pages compressed as Django's GZipMiddleware compresses them, by zlib-ng instead of zlib.

zlib-ng writes the same gzip format, which every browser reads. At the same level (6) it
takes about half zlib's time for the same size. Measured 2026-12-07 on the pages the test
client serves (CPU per page, best of 5 x 300, sizes with the random file name):
- step page, 36,866 B of HTML: zlib (Django's GZipMiddleware) 0.28 ms, zlib-ng 0.15 ms,
  both 5,709-5,808 B;
- Mon parcours, 6,356 B: 0.045 ms against 0.036 ms, 1,937-2,039 B;
- catalogue, 9,563 B: 0.062 ms against 0.046 ms, 2,521-2,620 B.
The step page costs about 2-2.5 ms of worker CPU: 0.13 ms is 5 % of it, for 40 lines that
use only public APIs. Compression stays here rather than in the web server in front, so
that every deployment (and `make bench`, which talks to gunicorn) sends compressed pages
with Django's defence against BREACH (below); docs/deploy.md says so. On very repetitive
text zlib-ng can be much larger, which pages are not; tests/lms/test_compression.py
compares on a page the site serves.

Only whole responses that Django would compress are handled here; the others (too short,
already encoded, a client that does not accept gzip, a streaming response) go to Django's own
`process_response`. For the whole responses, `GZipMiddleware.process_response` repeats what
Django 5.2 sends around its compression: the Vary header, a weak ETag, the Content-Length, and
the file name of random length in the gzip header that Django adds against BREACH ("Heal The
Breach"). tests/lms/test_compression.py compares the Vary header and the ETag with those of
Django's own middleware and checks the file name, so a Django upgrade that changes them fails
there.
"""

import gzip
import secrets

from django.middleware.gzip import GZipMiddleware as DjangoGZipMiddleware
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import patch_vary_headers
from zlib_ng import gzip_ng


def compress(data: bytes, *, max_random_bytes: int) -> bytes:
    """`django.utils.text.compress_string` by zlib-ng: level 6, no time stamp, and a file
    name of random length in the header, so the compressed size says less of the page."""
    compressed = memoryview(gzip_ng.compress(data, compresslevel=6, mtime=0))
    header = bytearray(compressed[:10])
    header[3] = gzip.FNAME
    filename = b"a" * secrets.randbelow(max_random_bytes) + b"\x00"
    return bytes(header) + filename + compressed[10:]


class GZipMiddleware(DjangoGZipMiddleware):
    """Django's GZipMiddleware, whose whole (not streaming) responses zlib-ng compresses."""

    def process_response(self, request, response):
        if (
            response.streaming
            or len(response.content) < 200
            or response.has_header("Content-Encoding")
            or not re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        ):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Encoding",))
        compressed = compress(response.content, max_random_bytes=self.max_random_bytes)
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response
