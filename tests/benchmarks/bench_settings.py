"""Settings for the benchmarks: the dev settings, plus bench-only URLs (bench_urls.py).

tests/benchmarks/bench_statements.py and measure.py run with these so that their reference
views (an empty POST; an empty page behind the learner's sign-in) run in the same processes
and middleware as the pages measured, without adding a URL to the site itself.
"""

from lms.settings.dev import *  # noqa: F403  (settings modules extend the base namespace)

ROOT_URLCONF = "tests.benchmarks.bench_urls"
