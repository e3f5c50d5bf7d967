"""gunicorn's settings for the web tier, read by docker-compose.yml, the Dockerfile and bench:
`gunicorn -c config/gunicorn.py config.wsgi --bind ...`.

Greenlets (gevent), not threads: a report's 2xx waits for Redis to fsync it (appendfsync
always), and while it waits the worker serves other requests by switching greenlets, which
costs far less than handing the GIL between OS threads. docs/scaling.md §2 has make bench's
figures for both worker classes.
"""

import os
from typing import Any

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))  # about one per core
worker_class = "gevent"
# Requests one worker serves at once. Those that need PostgreSQL share its pool below.
worker_connections = int(os.environ.get("WEB_CONNECTIONS", "200"))

# Greenlets of one process would each keep a PostgreSQL connection of their own: share a
# pool per process instead (config/settings.py reads this; the Celery workers keep theirs).
os.environ.setdefault("DATABASE_POOL_SIZE", "8")

# A worker is recycled after ~200,000 requests, so a leak stays bounded: booting one costs
# ~0.6 CPU-s, which at every 10,000 requests was ~60 us per request and stalled the tier.
max_requests = 200_000
max_requests_jitter = 20_000
graceful_timeout = 20

# No access log: its default format begins with the client address, and no raw IP may reach
# a log. Level "error" also silences the one warning that prints a client address ("Invalid
# request from ip=..."). If you need an access log, give it a format without %(h)s, e.g.
# access_log_format = '%(t)s "%(r)s" %(s)s %(B)s %(M)sms'.
accesslog = None
loglevel = "error"
# The control socket would need a writable $HOME.
control_socket_disable = True


# gunicorn's hook; gunicorn is untyped, so are its worker, request and response.
def post_request(worker: Any, req: object, environ: dict[str, Any], resp: object) -> None:
    """Yield to the other greenlets after every request. Without it, a keep-alive client
    whose next request is already waiting is served again and again while others wait: the
    bare view's p99 was 200 ms at c16, and 16 ms with this."""
    if worker.cfg.worker_class_str == "gevent":  # not when a command line picks threads
        import gevent

        gevent.sleep(0)
