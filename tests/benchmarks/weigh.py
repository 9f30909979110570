"""What a page costs the browser: every request of the page and of all its frames.

Counted from Playwright's context-level request events, which see the requests of every
frame the context opens, out-of-process ones included. A page-level CDP session (what the
benchmarks read before, issue 20) sees only its own renderer: the sandboxed H5P frame runs
in a process of its own (Chromium isolates sandboxed frames), so none of its requests were
counted. tests/benchmarks/test_weigh.py checks the count on a fixture page with a sandboxed
frame of known size.

The offline worker (static/js/sw.js) costs bytes too: its own script, and every file it
fetches to keep the module (after the page has loaded, so after the page's network is
idle). Playwright 1.65's context events report a service worker's requests in Chromium
(`request.service_worker` set), but give the worker's own script a body of 0 bytes:
weigh() waits until the worker's requests are over too, and counts that script's body from
its Content-Length. test_weigh.py checks both on a fixture worker.

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
    in_flight: int = 0  # requests of the page, its frames and its workers not over yet
    last_change: float = 0.0  # when a request last started or ended (perf_counter)

    def watch(self, context) -> None:
        self.started = self.last_change = time.perf_counter()
        context.on("request", self._started)
        context.on("requestfinished", self._finished)
        context.on("requestfailed", self._failed)

    def unwatch(self, context) -> None:
        context.remove_listener("request", self._started)
        context.remove_listener("requestfinished", self._finished)
        context.remove_listener("requestfailed", self._failed)

    def _started(self, request) -> None:
        self.in_flight += 1
        self.last_change = time.perf_counter()

    def _failed(self, request) -> None:
        self.failed.append(request)
        self._over()

    def _finished(self, request) -> None:
        self.requests.append(request)
        self.last_end = time.perf_counter() - self.started
        self._over()

    def _over(self) -> None:
        self.in_flight -= 1
        self.last_change = time.perf_counter()

    def settle(self, page, quiet_s: float = 1.5, limit_s: float = 30.0) -> None:
        """Until nothing has been in flight for `quiet_s`: the page's network idle is not
        enough, a service worker keeps fetching after it (static/js/sw.js keeps the page
        once offline.js tells it the page has loaded). Events arrive while Playwright
        waits, hence page.wait_for_timeout rather than time.sleep."""
        deadline = time.perf_counter() + limit_s
        while time.perf_counter() < deadline:
            if self.in_flight <= 0 and time.perf_counter() - self.last_change >= quiet_s:
                return
            page.wait_for_timeout(100)

    def figures(self, origin: str, also: tuple[str, ...] = ()) -> dict:
        """Bytes on the wire (headers and encoded bodies), by kind; requests elsewhere than
        `origin` and the site's other origins `also` (the H5P player's own host)."""
        total = media = js = 0
        by_url: dict[str, int] = {}
        frames = 0
        for request in self.requests:
            size = wire_size(request)
            by_url[request.url] = by_url.get(request.url, 0) + size
            total += size
            if request.resource_type in MEDIA:
                media += size
            # A script the worker fetches to keep (a "fetch", for the browser) is JS too.
            if request.resource_type == "script" or is_script(request.url):
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


def wire_size(request) -> int:
    """Headers and encoded body of one request's answer, as it crossed the network."""
    sizes = request.sizes()
    body, headers = sizes["responseBodySize"], sizes["responseHeadersSize"]
    if request.service_worker is not None and request.resource_type == "script" and body <= 0:
        # A worker's own script: Chromium reports no body for it, though it comes from the
        # network (the browser checks it there at each registration, past the HTTP cache).
        response = request.response()
        if response is not None and response.status == 200:
            length = response.headers.get("content-length")
            body = int(length) if length else len(response.body())
    # An answer from the HTTP cache, or one a worker gave from its caches, counts 0: nothing
    # crossed the network (the worker's own fetch, if any, is counted as its request).
    return max(body + headers, 0)


def is_script(url: str) -> bool:
    return url.split("?", 1)[0].split("#", 1)[0].endswith((".js", ".mjs"))


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
    traffic.settle(page)
    traffic.unwatch(context)
    figures = traffic.figures(origin_of(url), also)  # sizes are read from the page's browser
    page.close()
    return figures
