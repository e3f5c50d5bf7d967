"""The product's Prometheus counters (served by config.health.metrics_view).

With PROMETHEUS_MULTIPROC_DIR set (gunicorn and Celery, see config/embedded.conf and compose),
every process writes its counters there and /metrics adds them up.
"""

from __future__ import annotations

from prometheus_client import Counter

intake_accepted = Counter(
    "outages_intake_accepted", "Reports accepted by intake", ["status", "source"]
)
intake_rejected = Counter("outages_intake_rejected", "Reports turned away, by reason", ["reason"])
intake_fallbacks = Counter(
    "outages_intake_buffer_fallbacks", "Reports written to the database because Redis was down"
)
drain_stored = Counter("outages_drain_reports", "Stream entries stored by the bucketing consumer")
cache_unavailable = Counter(
    "outages_cache_unavailable", "Cache calls answered as misses because Redis was unreachable"
)
page_renders = Counter(
    "outages_page_renders", "Shared public pages rendered (the page cache's misses)"
)
drain_dead = Counter("outages_drain_dead_letters", "Stream entries set aside as unstorable")
