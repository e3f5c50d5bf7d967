"""The one django-environ instance and the helpers that make settings fail loudly.

Only settings.py reads the environment; everything else reads settings.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# An empty variable counts as unset (compose and shells pass `NAME=` for "no value"), so that
# `SECRET_KEY=` falls back to its default instead of failing or yielding an empty setting.
env.ENVIRON = {name: value for name, value in os.environ.items() if value != ""}


def env_secret(name: str, *, default: str | None = None) -> str:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/Kubernetes secrets)."""
    file_name = env.str(f"{name}_FILE", default="")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as error:
            raise ImproperlyConfigured(
                f"{name}_FILE names {file_name!r}, which cannot be read ({error.strerror}). "
                "See .env.example."
            ) from error
    value: str = env.str(name, default=default if default is not None else "")
    if not value:
        raise ImproperlyConfigured(
            f"Set {name} (or {name}_FILE) in the environment: it is mandatory in production. "
            "See .env.example."
        )
    return value


def env_required(name: str) -> str:
    value: str = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"Set {name} in the environment: it is mandatory in production. See .env.example."
        )
    return value
