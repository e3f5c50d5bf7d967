"""The settings start only when complete: each production variable missing in turn stops the
process with a message naming it, and with no environment at all the embedded default runs.

Each case starts a fresh interpreter (settings are read once per process) with an environment
built from scratch, so the machine's own variables (DATABASE_URL in `make test`) don't leak in.
The interpreters run side by side, once per module, to keep the file quick.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from tests.test_compose import MANDATORY

BASE_DIR = Path(__file__).resolve().parent.parent

# A local .env would fill in what a case leaves out (config/env.py reads it), so every case
# turns that read off: the cases test the environment they are given, not a developer's file.
_NO_DOTENV = "import environ; environ.Env.read_env = lambda *args, **kwargs: None\n"
_REPORT = """
import json
import django
django.setup()
from django.conf import settings as s
database = s.DATABASES["default"]
print(json.dumps({
    "ENGINE": database["ENGINE"], "NAME": str(database["NAME"]), "HOST": database.get("HOST"),
    "DEBUG": s.DEBUG, "SECRET_KEY": s.SECRET_KEY, "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "INTAKE_BUFFER": s.INTAKE_BUFFER, "REDIS_URL": s.REDIS_URL,
    "CELERY_BROKER_URL": s.CELERY_BROKER_URL, "CACHE": s.CACHES["default"]["BACKEND"],
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE, "SIMULATE": s.SIMULATE_LIVE_TRAFFIC,
    "STORAGE": s.STORAGES["staticfiles"]["BACKEND"],
}))
"""

PRODUCTION = {
    "DEPLOYMENT": "production",
    "SECRET_KEY": "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "outages.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
}


def start(environment: dict[str, str]) -> CompletedProcess[str]:
    """`python -c "import django; django.setup()"` with only these variables (and PATH)."""
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", _NO_DOTENV + _REPORT],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def started(result: CompletedProcess[str]) -> dict[str, object]:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def last_line(result: CompletedProcess[str]) -> str:
    return result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""


def cases(tmp_path: Path) -> dict[str, dict[str, str]]:
    """Every environment this module starts the settings with, by name."""
    found = {"production": PRODUCTION, "bogus": {"DEPLOYMENT": "bogus"}, "nothing": {}}
    for name in MANDATORY:
        without = {k: v for k, v in PRODUCTION.items() if k != name}
        found[f"unset-{name}"] = without
        found[f"empty-{name}"] = {**without, name: ""}
    secret = tmp_path / "secret_key"
    secret.write_text("secret-from-a-file\n")
    without_key = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    found["secret-file"] = {**without_key, "SECRET_KEY_FILE": str(secret)}
    # Uncommenting any example of .env.example must give settings that load.
    examples = {}
    for line in (BASE_DIR / ".env.example").read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match and match.group(2):  # an empty example means "leave unset"
            examples[match.group(1)] = match.group(2)
    metrics = tmp_path / "metrics"  # the example's directory must exist (it says so)
    metrics.mkdir()
    examples.update(
        VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
    )
    found["examples"] = examples
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CompletedProcess[str]]:
    environments = cases(tmp_path_factory.mktemp("settings"))
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        futures = {name: pool.submit(start, env) for name, env in environments.items()}
    return {name: future.result() for name, future in futures.items()}


def test_the_production_variables_are_the_documented_five() -> None:
    assert set(PRODUCTION) - {"DEPLOYMENT"} == MANDATORY


@pytest.mark.parametrize("name", sorted(MANDATORY))
@pytest.mark.parametrize("how", ["unset", "empty"])
def test_production_refuses_to_start_without_a_mandatory_variable(
    runs: dict[str, CompletedProcess[str]], name: str, how: str
) -> None:
    result = runs[f"{how}-{name}"]
    assert result.returncode != 0
    message = last_line(result)
    assert "ImproperlyConfigured" in message
    assert re.search(rf"\b{name}\b", message), message
    assert ".env.example" in message


def test_production_starts_with_every_mandatory_variable_without_connecting(
    runs: dict[str, CompletedProcess[str]],
) -> None:
    settings = started(runs["production"])
    assert settings["ENGINE"] == "django.db.backends.postgresql"
    assert settings["HOST"] == "127.0.0.1"
    assert settings["ALLOWED_HOSTS"] == ["outages.example.com"]
    assert settings["INTAKE_BUFFER"] == "redis"
    assert settings["CACHE"] == "common.cache.RedisCache"
    assert settings["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/1"
    assert settings["DEBUG"] is False
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SIMULATE"] is False
    assert settings["STORAGE"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_production_reads_the_secret_key_from_a_file(
    runs: dict[str, CompletedProcess[str]],
) -> None:
    assert started(runs["secret-file"])["SECRET_KEY"] == "secret-from-a-file"


def test_an_unknown_deployment_fails_clearly(runs: dict[str, CompletedProcess[str]]) -> None:
    result = runs["bogus"]
    assert result.returncode != 0
    message = last_line(result)
    assert "DEPLOYMENT" in message and "'bogus'" in message
    assert "embedded" in message and "production" in message


def test_no_environment_gives_the_embedded_default(
    runs: dict[str, CompletedProcess[str]],
) -> None:
    settings = started(runs["nothing"])
    assert settings["ENGINE"] == "django.db.backends.sqlite3"
    assert settings["NAME"] == str(BASE_DIR / "var" / "outages.sqlite3")
    assert settings["INTAKE_BUFFER"] == "database"
    assert settings["REDIS_URL"] == ""
    assert settings["CELERY_BROKER_URL"] == "filesystem://"
    assert settings["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
    assert "127.0.0.1" in settings["ALLOWED_HOSTS"]  # type: ignore[operator]


def test_every_example_value_in_env_example_is_accepted(
    runs: dict[str, CompletedProcess[str]],
) -> None:
    settings = started(runs["examples"])
    assert settings["ENGINE"] == "django.db.backends.postgresql"


# Requests answered by the settings under test, through Django's own handler: /healthz (the
# site's stack) and a report with the wrong media type (the intake's lean stack, a 415 before
# any database or Redis is needed), plainly and behind an https proxy.
_HEADERS = """
import json
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="outages.example.com")
found = {}
for name, extra in {"http": {}, "https": {"HTTP_X_FORWARDED_PROTO": "https"}}.items():
    page = client.get("/healthz", **extra)
    intake = client.post("/api/v1/services/x/reports", "x", content_type="text/plain", **extra)
    found[name] = [
        (r.status_code, r.headers.get("Strict-Transport-Security")) for r in (page, intake)
    ]
print(json.dumps(found))
"""


def answered_headers(environment: dict[str, str]) -> dict[str, list[list[object]]]:
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONDONTWRITEBYTECODE": "1",
        **environment,
    }
    result = subprocess.run(
        [sys.executable, "-c", _NO_DOTENV + _HEADERS],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_production_sends_strict_transport_security_on_https_answers_only(
    tmp_path: Path,
) -> None:
    found = answered_headers({**PRODUCTION, "VAR_DIR": str(tmp_path)})
    year = "max-age=31536000"
    assert found["https"] == [[200, year], [415, year]]  # site and intake, behind the proxy
    assert found["http"] == [[200, None], [415, None]]  # never over plain http


def test_strict_transport_security_follows_its_environment_variables(tmp_path: Path) -> None:
    found = answered_headers(
        {
            **PRODUCTION,
            "VAR_DIR": str(tmp_path),
            "SECURE_HSTS_SECONDS": "600",
            "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
            "SECURE_HSTS_PRELOAD": "true",
        }
    )
    assert found["https"][0] == [200, "max-age=600; includeSubDomains; preload"]
    embedded = answered_headers({"VAR_DIR": str(tmp_path), "ALLOWED_HOSTS": "outages.example.com"})
    assert embedded["https"][0] == [200, None]  # the embedded default: plain http, no header
