"""The WSGI entry point. In production it refuses to start without collected static files:
the manifest storage answers every HTML page 500 without them, while /healthz still says 200."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from config.startup import require_static_manifest  # noqa: E402  (needs the settings loaded)

require_static_manifest()
