from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest

from tests.ports import free_port, wait_for_port

PAYLOADS = Path(__file__).parent / "payloads"


def payload_text(payload: str, announced: datetime | None = None) -> bytes:
    """tests/official/payloads/<payload>, its incident announced then, in each format's own
    way of writing a time (RSS's RFC 822, ISO 8601, Instatus's JavaScript Date string)."""
    at = (announced or datetime(2026, 12, 7, 8, 30, tzinfo=UTC)).astimezone(UTC)
    js_date = f"{JS_DAYS[at.weekday()]} {JS_MONTHS[at.month - 1]} {at:%d %Y %H:%M:%S}"
    text = (
        (PAYLOADS / payload)
        .read_text()
        .replace("__ANNOUNCED_RFC822__", format_datetime(at))
        .replace("__ANNOUNCED_EPOCH__", str(int(at.timestamp())))
        .replace("__ANNOUNCED_JS__", f"{js_date} GMT+0000 (Coordinated Universal Time)")
        .replace("__ANNOUNCED__", at.isoformat().replace("+00:00", "Z"))
    )
    return text.encode()


JS_DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()
JS_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


@dataclass
class StatusServer:
    """The fake status-page server process (tests/official/fake_status.py)."""

    port: int
    directory: Path

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def put(self, name: str, payload: str, *, announced: datetime | None = None) -> str:
        """Serve tests/official/payloads/<payload> as <name>, its incident announced then."""
        (self.directory / name).write_bytes(payload_text(payload, announced))
        return self.url(name)

    def hits(self) -> dict[str, list[int]]:
        with urllib.request.urlopen(self.url("__hits"), timeout=5) as answer:
            found: dict[str, list[int]] = json.load(answer)
        return found


@pytest.fixture
def status_server(tmp_path: Path) -> Iterator[StatusServer]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.official.fake_status", str(port), str(tmp_path)],
        cwd=Path(__file__).parents[2],
    )
    try:
        wait_for_port(port, process=process)  # type: ignore[arg-type]
        yield StatusServer(port, tmp_path)
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def loopback(settings):  # type: ignore[no-untyped-def]
    """Status pages on 127.0.0.1 allowed: the fake servers live there."""
    settings.ALERTS_ALLOW_LOOPBACK = True
    settings.ALERTS_HTTPS_ONLY = False
    settings.OFFICIAL_READ_TIMEOUT = 2.0
