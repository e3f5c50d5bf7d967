"""The two web pools of docker-compose.yml: `intake` runs the web command for the report
doors, and the nginx router (config/nginx.conf) sends those doors, and only them, to it."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from django.urls import reverse

from tests.test_compose import BASE_DIR, option, tokens


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())["services"]


def test_the_intake_pool_runs_the_web_command(services: dict[str, Any]) -> None:
    web, intake = tokens(services["web"]["command"]), tokens(services["intake"]["command"])
    assert option(web, "--workers") == "${WEB_CONCURRENCY:-2}"
    assert option(intake, "--workers") == "${INTAKE_CONCURRENCY:-2}"
    assert [w for w in web if "CONCURRENCY" not in w] == [
        w for w in intake if "CONCURRENCY" not in w
    ]
    assert services["intake"]["healthcheck"] == services["web"]["healthcheck"]


def test_the_router_sends_every_report_door_and_only_them_to_the_intake_pool() -> None:
    conf = (BASE_DIR / "config" / "nginx.conf").read_text()
    (pattern,) = re.findall(r"location ~ (\S+) \{\s*proxy_pass http://intake;", conf)
    doors = [
        reverse("api_report_create", args=["twitter"]),
        reverse("report_form", args=["twitter"]),
        reverse("embed_report", args=["twitter"]),
    ]
    others = [
        reverse("service_detail", args=["twitter"]),
        reverse("home"),
        "/api/v1/services/twitter",
        "/s/twitter/report/extra",
        "/embed/twitter/",
    ]
    assert all(re.match(pattern, path) for path in doors), doors
    assert not any(re.match(pattern, path) for path in others), others
    assert "access_log off;" in conf  # no visitor address in any log
