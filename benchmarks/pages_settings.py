"""The project's settings, plus one URL for the page benchmark: a bare Django view that
returns a fixed string, served by the same gunicorn, middleware and all."""

from influence.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.pages_urls"
