"""Bench-only settings: the product's own settings, plus the comparison views of bench.urls.

BENCH_MIDDLEWARE=none empties the middleware stack, to price it.
"""

from config.env import env
from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
LEAN_PATHS = [*LEAN_PATHS, "/api/bench/bare-lean"]  # noqa: F405

if env.str("BENCH_MIDDLEWARE", default="") == "none":
    MIDDLEWARE: list[str] = []
