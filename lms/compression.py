"""Pages compressed as Django's GZipMiddleware compresses them, by zlib-ng instead of zlib.

zlib-ng writes the same gzip format, which every browser reads. At the same level (6) it
takes about half zlib's time, for a page within about 1 % of zlib's size: the learner's step
page (29 KB of HTML) went from 0.57 ms to 0.28 ms and from 4,837 to 4,802 bytes on the bench
machine. On very repetitive text it can be much larger, which pages are not;
tests/lms/test_compression.py compares on a page the site serves. Compression was the largest
single cost of that page after the sign-in.

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
