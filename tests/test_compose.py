"""docker-compose.yml, the Dockerfile and .env.example agree with what config/settings.py reads.

No Docker engine is needed: the files are parsed, and the names are compared with the
environment variables found in the settings source.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
# Read by a process but not by the settings (set per service in compose).
PROCESS_VARIABLES = {"PROMETHEUS_MULTIPROC_DIR"}


def settings_variables() -> tuple[set[str], set[str]]:
    """(every variable config/settings.py reads, those mandatory in production).

    A read is env.<cast>("NAME", ...), env_required("NAME") or env_secret("NAME"); the latter
    also reads NAME_FILE. The mandatory ones are those read through env_required/env_secret.
    """
    tree = ast.parse((BASE_DIR / "config" / "settings.py").read_text())
    read: set[str] = set()
    mandatory: set[str] = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        function = node.func
        if isinstance(function, ast.Name) and function.id in ("env_required", "env_secret"):
            read.add(first.value)
            mandatory.add(first.value)
            if function.id == "env_secret":
                read.add(f"{first.value}_FILE")
        elif (
            isinstance(function, ast.Attribute)
            and isinstance(function.value, ast.Name)
            and function.value.id == "env"
        ):
            read.add(first.value)
    return read, mandatory


READ, MANDATORY = settings_variables()


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def tokens(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(t) for t in command]


def option(words: list[str], name: str) -> str | None:
    """The value of `--name value` or `--name=value` in a command line, if present."""
    for index, word in enumerate(words):
        if word == name and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(f"{name}="):
            return word.split("=", 1)[1]
    return None


def test_the_settings_scan_finds_the_production_variables() -> None:
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"} <= (
        MANDATORY
    )
    assert {"DEPLOYMENT", "SECRET_KEY_FILE", "INTAKE_BUFFER", "LOG_LEVEL"} <= READ


def test_it_has_the_app_and_data_services(services: dict[str, Any]) -> None:
    assert {"web", "worker", "beat", "postgres", "redis"} <= services.keys()


def test_every_named_service_has_a_health_check(services: dict[str, Any]) -> None:
    for name in ("web", "worker", "beat", "postgres", "redis"):
        healthcheck = services[name].get("healthcheck", {})
        assert healthcheck.get("test"), f"{name} has no health check"
        assert not healthcheck.get("disable"), f"{name} disables its health check"


def test_a_service_without_health_check_only_starts_after_healthy_services(
    services: dict[str, Any],
) -> None:
    for name, service in services.items():
        if service.get("healthcheck", {}).get("test"):
            continue
        depends_on = service.get("depends_on")
        assert isinstance(depends_on, dict) and depends_on, f"{name}: no health check, no deps"
        for dependency, rule in depends_on.items():
            assert rule.get("condition") == "service_healthy", f"{name} -> {dependency}"


def test_app_services_wait_for_healthy_data_services_and_migrations(
    services: dict[str, Any],
) -> None:
    migrations = [
        name
        for name, service in services.items()
        if "manage.py migrate" in " ".join(tokens(service.get("command", "")))
    ]
    assert migrations, "no service runs `manage.py migrate`"
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        assert depends_on["postgres"]["condition"] == "service_healthy", name
        assert depends_on["redis"]["condition"] == "service_healthy", name
        assert any(
            depends_on.get(m, {}).get("condition") == "service_completed_successfully"
            for m in migrations
        ), f"{name} may start before the migrations ran"


def test_redis_keeps_every_accepted_report(services: dict[str, Any]) -> None:
    """Invariant 1: a report answered 2xx may live only in the stream, so fsync each write."""
    words = tokens(services["redis"]["command"])
    assert words[0] == "redis-server"
    assert option(words, "--appendonly") == "yes"
    assert option(words, "--appendfsync") == "always"
    # Evicting keys to make room would drop stream entries (or idempotency keys) silently.
    assert option(words, "--maxmemory-policy") in (None, "noeviction")


def test_the_shared_environment_is_what_the_settings_read(compose: dict[str, Any]) -> None:
    shared = compose["x-environment"]
    assert set(shared) <= READ, f"not read by settings.py: {sorted(set(shared) - READ)}"
    assert set(shared) >= MANDATORY, f"missing: {sorted(MANDATORY - set(shared))}"
    assert shared["DEPLOYMENT"] == "production"
    assert str(shared.get("DEBUG", "false")).lower() in ("false", "0", "no", "off")


def test_every_app_service_gets_the_shared_environment(
    compose: dict[str, Any], services: dict[str, Any]
) -> None:
    shared = compose["x-environment"]
    for name, service in services.items():
        if name in ("postgres", "redis", "proxy"):  # no app code
            continue
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: write environment as a mapping"
        assert {k: environment.get(k) for k in shared} == shared, name
        extra = set(environment) - set(shared)
        assert extra <= READ | PROCESS_VARIABLES, f"{name} sets unknown {sorted(extra)}"


def gunicorn_settings() -> dict[str, Any]:
    """config/gunicorn.py's literal settings, read without running the file (it sets a
    variable in the environment)."""
    module = ast.parse((BASE_DIR / "config" / "gunicorn.py").read_text())
    found: dict[str, Any] = {}
    for node in module.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            try:
                found[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:  # read from the environment
                found[node.targets[0].id] = ...
        elif isinstance(node, ast.FunctionDef):
            found[node.name] = ...
    return found


def test_web_runs_gunicorn_on_the_wsgi_module_without_client_addresses_in_logs(
    services: dict[str, Any],
) -> None:
    words = tokens(services["web"]["command"])
    assert words[0] == "gunicorn" and "config.wsgi" in words
    assert option(words, "-c") == "config/gunicorn.py"
    assert (BASE_DIR / "config" / "wsgi.py").read_text().count("application =") == 1
    # The image's command is compose's, less the variables compose fills in.
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    command = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)[1])
    assert command == words[: len(command)]

    conf = gunicorn_settings()
    for name in ("--access-logfile", "--access-logformat", "--log-level", "--worker-class"):
        assert option(words, name) is None, f"{name} belongs in config/gunicorn.py"
    # gunicorn's default access format starts with %(h)s, the client address.
    assert conf["accesslog"] is None
    # gunicorn logs "Invalid request from ip=..." at warning level: keep the level above it.
    assert conf["loglevel"] in ("error", "critical")
    # Greenlets share a PostgreSQL pool and yield after every request (fairness).
    assert conf["worker_class"] == "gevent" and "post_request" in conf
    assert "DATABASE_POOL_SIZE" in (BASE_DIR / "config" / "gunicorn.py").read_text()


def test_only_the_router_is_published_on_the_hosts_loopback(services: dict[str, Any]) -> None:
    # The proxy in front sets X-Forwarded-Proto, which the settings trust: gunicorn itself
    # must not be reachable from other hosts.
    assert services["proxy"]["ports"] == ["127.0.0.1:${WEB_PORT:-8000}:8080"]
    for name, service in services.items():
        if name != "proxy":
            assert not service.get("ports"), f"{name} publishes a port"


def test_worker_and_beat_run_the_projects_celery_app(services: dict[str, Any]) -> None:
    for name, role in (("worker", "worker"), ("beat", "beat")):
        words = tokens(services[name]["command"])
        assert words[0] == "celery" and role in words, name
        assert option(words, "-A") == "config" or option(words, "--app") == "config", name
    # `-A config` finds the `app` of the package's `celery` module (config/celery.py). Read, not
    # imported: importing it would make it every later test's current Celery app.
    module = ast.parse((BASE_DIR / "config" / "celery.py").read_text())
    assert any(
        isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "app" for t in node.targets)
        and isinstance(node.value, ast.Call)
        and getattr(node.value.func, "id", None) == "Celery"
        for node in module.body
    ), "config/celery.py defines no `app = Celery(...)`"
    assert (BASE_DIR / "config" / "__init__.py").exists()


def test_the_image_builds_static_files_with_every_production_variable() -> None:
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", dockerfile, re.MULTILINE)
    assert "-c constraints.txt" in dockerfile
    collectstatic = dockerfile[: dockerfile.index("manage.py collectstatic")]
    collectstatic = collectstatic[collectstatic.rindex("RUN ") :]
    assert "DEPLOYMENT=production" in collectstatic
    for name in MANDATORY:
        assert f"{name}=" in collectstatic, f"collectstatic would fail without {name}"
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0"), "the image must run as a non-root user"
    assert "gunicorn" in dockerfile and "config.wsgi" in dockerfile


def test_the_image_copies_every_package_of_the_project() -> None:
    """The Dockerfile copies the code directory by directory (no .env, .venv or var/ inside)."""
    copied = set(re.findall(r"^COPY\s+(\S+)\s", (BASE_DIR / "Dockerfile").read_text(), re.M))
    needed = {
        path.name
        for path in BASE_DIR.iterdir()
        if (path / "__init__.py").exists() and path.name not in ("tests", "bench")
    } | {"manage.py", "templates", "static"}
    assert needed <= copied, f"the image lacks {sorted(needed - copied)}"


def env_example() -> list[tuple[str, str]]:
    """(name, the comment line above it) for each `NAME=` or `# NAME=` line of .env.example."""
    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    found = []
    for index, line in enumerate(lines):
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=", line)
        if match:
            above = lines[index - 1] if index else ""
            found.append((match.group(1), above))
    return found


def test_env_example_lists_every_variable_the_settings_read() -> None:
    listed = {name for name, _ in env_example()}
    assert READ <= listed, f"missing from .env.example: {sorted(READ - listed)}"


def test_env_example_explains_each_variable_and_marks_the_mandatory_ones() -> None:
    for name, above in env_example():
        assert above.startswith("# ") and not re.match(r"^#\s*[A-Z0-9_]+=", above), name
        if name in MANDATORY:
            assert "required in production" in above.lower(), name


def test_env_example_lists_each_variable_compose_interpolates(compose: dict[str, Any]) -> None:
    text = (BASE_DIR / "docker-compose.yml").read_text()
    interpolated = set(re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text))
    listed = {name for name, _ in env_example()}
    assert interpolated <= listed, f"missing from .env.example: {interpolated - listed}"
