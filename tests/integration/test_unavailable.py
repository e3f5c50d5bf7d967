"""With neither PostgreSQL nor Redis reachable, a real gunicorn answers every route family 503
with Retry-After (problem details where the caller reads JSON), never 500 (invariant 9)."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.workers import ROOT
from tests.ports import free_port, wait_for_port

pytestmark = pytest.mark.services
CSRF = "a" * 32  # an unmasked CSRF secret, sent as both cookie and field
JSON = {"Content-Type": "application/json"}
FORM = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Cookie": f"csrftoken={CSRF}",
}


def _server(tmp_path: Path, **extra: str) -> Iterator[str]:
    port = free_port()
    env = {
        "PATH": str(Path(sys.executable).parent),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/outages",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",
        "VAR_DIR": str(tmp_path),
        **extra,
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process=server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def nothing_up(tmp_path: Path) -> Iterator[str]:
    yield from _server(tmp_path)


@pytest.fixture
def nothing_up_pooled(tmp_path: Path) -> Iterator[str]:
    """The web tier's shape: a small connection pool that waits for a connection."""
    yield from _server(tmp_path, DATABASE_POOL_SIZE="2")


def _ask(
    base: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(base + path, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


PAGES = ["/", "/s/twitter/", "/incidents/", "/region/fr/", "/search?q=twitter"]
READS = [
    "/api/v1/services",
    "/api/v1/services/twitter",
    "/api/v1/services/twitter/series",
    "/api/v1/incidents",
    "/badge/twitter.svg",
    "/badge/twitter.json",
    "/embed/twitter/",
]


@pytest.mark.fault
def test_pages_answer_503_with_retry_after_when_nothing_is_up(nothing_up):
    for path in PAGES:
        status, headers, body = _ask(nothing_up, path)
        assert (status, path) == (503, path)
        assert int(headers["Retry-After"]) > 0
        assert b"Temporarily unavailable" in body


@pytest.mark.fault
def test_public_reads_answer_503_problem_details_when_nothing_is_up(nothing_up):
    for path in READS:
        status, headers, body = _ask(nothing_up, path)
        assert (status, path) == (503, path)
        assert int(headers["Retry-After"]) > 0
        assert json.loads(body)["type"] == "urn:problem:unavailable", path


@pytest.mark.fault
def test_state_changes_answer_503_when_nothing_is_up(nothing_up):
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": CSRF, "kind": "problem", "problem": "login", "platform": "web"}
    ).encode()
    subscription = json.dumps({"channel": "email", "email": "a@example.com"}).encode()
    asks = {
        "report form": ("/s/twitter/report/", form, FORM),
        "embed token": ("/embed/twitter/token", b"{}", JSON),
        "subscription": ("/api/v1/services/twitter/subscriptions", subscription, JSON),
    }
    for name, (path, body, headers) in asks.items():
        status, answer_headers, _ = _ask(nothing_up, path, body=body, headers=headers)
        assert (status, name) == (503, name)
        assert int(answer_headers["Retry-After"]) > 0


@pytest.mark.fault
def test_a_pooled_web_tier_also_answers_503_once_its_pool_gives_up(nothing_up_pooled):
    status, headers, body = _ask(nothing_up_pooled, "/api/v1/services/twitter")

    assert status == 503
    assert json.loads(body)["type"] == "urn:problem:unavailable"


def _production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": str(Path(sys.executable).parent),
        "DEPLOYMENT": "production",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "example.com",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/outages",
        "REDIS_URL": "redis://127.0.0.1:6379/15",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/15",
        "STATIC_ROOT": str(tmp_path / "static"),
        "VAR_DIR": str(tmp_path),
    }


def test_production_web_refuses_to_start_without_collected_static_files(tmp_path):
    env = _production_env(tmp_path)
    server = subprocess.run(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{free_port()}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert server.returncode != 0
    assert "collectstatic --noinput" in server.stderr


def test_production_web_starts_once_static_files_are_collected(tmp_path):
    env = _production_env(tmp_path)
    python = str(Path(sys.executable))
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    yield_server = _server(tmp_path, **{k: v for k, v in env.items() if k != "PATH"})
    base = next(yield_server)
    try:
        status, _, body = _ask(base, "/healthz", headers={"Host": "example.com"})
    finally:
        yield_server.close()

    assert status == 200, body
