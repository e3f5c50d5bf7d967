"""Checks a web process makes before it serves anything."""

from __future__ import annotations

from django.contrib.staticfiles.storage import ManifestFilesMixin
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import storages


def require_static_manifest() -> None:
    """With the manifest storage (production), pages link static files by the hashed names of
    the manifest `collectstatic` writes: without it every page fails while /healthz says 200.
    Stop the server instead, saying what to run."""
    storage = storages["staticfiles"]
    if isinstance(storage, ManifestFilesMixin) and not storage.exists(storage.manifest_name):
        raise ImproperlyConfigured(
            f"No static files manifest in {storage.location}: run `python manage.py"
            " collectstatic --noinput` (the image does it at build time) before starting the"
            " web server."
        )
