"""Settings for the statement benchmark's gunicorn: the dev settings, plus one bench-only URL.

tests/benchmarks/bench_statements.py starts gunicorn with these so that its baseline, an
empty POST view, runs in the same processes and middleware as the statement endpoint,
without adding a URL to the site itself.
"""

from lms.settings.dev import *  # noqa: F403  (settings modules extend the base namespace)

ROOT_URLCONF = "tests.benchmarks.bench_urls"
