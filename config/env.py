"""The one django-environ instance and the helpers that make settings fail loudly.

Only settings.py reads the environment; everything else reads settings.
"""

from __future__ import annotations

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def env_secret(name: str, *, default: str | None = None) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    file_name = env.str(f"{name}_FILE", default="")
    if file_name:
        return Path(file_name).read_text().strip()
    value = env.str(name, default=default if default is not None else "")
    if not value:
        raise ImproperlyConfigured(
            f"Set {name} (or {name}_FILE) in the environment: it is mandatory in production. "
            "See .env.example."
        )
    return value


def env_required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"Set {name} in the environment: it is mandatory in production. See .env.example."
        )
    return value
