"""What a page costs the browser: every request of the page and of all its frames.

Counted from Playwright's context-level request events, which see the requests of every
frame the context opens, out-of-process ones included. A page-level CDP session (what the
benchmarks read before, issue 20) sees only its own renderer: the sandboxed H5P frame runs
in a process of its own (Chromium isolates sandboxed frames), so none of its requests were
counted. tests/benchmarks/test_weigh.py checks the count on a fixture page with a sandboxed
frame of known size.

No Django here: measure.py and the test both use it.
"""

import time
from dataclasses import dataclass, field

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Keeps sandboxed frames in their parent's process, so that CDP's network and CPU
# throttling of the page reaches them too (they are then throttled as the page is).
FRAMES_IN_PROCESS = "--disable-features=IsolateSandboxedIframes"
MEDIA = {"image", "media"}


@dataclass
class Traffic:
    """Requests that ended (answered or failed), of the page and of its frames."""

    requests: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    started: float = 0.0
    last_end: float = 0.0  # seconds from `started` to the end of the last request

    def watch(self, context) -> None:
        self.started = time.perf_counter()
        context.on("requestfinished", self._finished)
        context.on("requestfailed", self._failed)

    def _failed(self, request) -> None:
        self.failed.append(request)

    def _finished(self, request) -> None:
        self.requests.append(request)
        self.last_end = time.perf_counter() - self.started

    def figures(self, origin: str, also: tuple[str, ...] = ()) -> dict:
        """Bytes on the wire (headers and encoded bodies), by kind; requests elsewhere than
        `origin` and the site's other origins `also` (the H5P player's own host)."""
        total = media = js = 0
        by_url: dict[str, int] = {}
        frames = 0
        for request in self.requests:
            sizes = request.sizes()
            # An answer from the HTTP cache counts 0: nothing crossed the network.
            size = max(sizes["responseBodySize"] + sizes["responseHeadersSize"], 0)
            by_url[request.url] = by_url.get(request.url, 0) + size
            total += size
            if request.resource_type in MEDIA:
                media += size
            if request.resource_type == "script":
                js += size
            # The offline worker's own requests (static/js/sw.js keeping the page it was
            # not there to serve) belong to no frame; they are counted with the page's.
            if request.service_worker is None and request.frame.parent_frame is not None:
                frames += 1
        foreign = sum(
            1
            for request in self.requests + self.failed
            if not request.url.startswith(
                (origin + "/", *(other + "/" for other in also), "data:", "blob:")
            )
        )
        return {
            "requests": len(self.requests),
            "frame_requests": frames,
            "bytes": total - media,  # media excluded, as the targets say
            "bytes_all": total,
            "js": js,
            "foreign": foreign,
            "by_url": by_url,
            "last_end_s": self.last_end,
        }


def origin_of(url: str) -> str:
    return "/".join(url.split("/", 3)[:3])


def weigh(context, url: str, *, wait: str = "networkidle", also: tuple[str, ...] = ()) -> dict:
    """One visit of `url` in `context` (its HTTP cache as it is): what it transferred.

    Requests to the page's origin and to `also` (the site's other origins) are its own."""
    traffic = Traffic()
    traffic.watch(context)
    page = context.new_page()
    page.goto(url, wait_until=wait)
    page.wait_for_load_state("networkidle")
    context.remove_listener("requestfinished", traffic._finished)
    context.remove_listener("requestfailed", traffic._failed)
    figures = traffic.figures(origin_of(url), also)  # sizes are read from the page's browser
    page.close()
    return figures
