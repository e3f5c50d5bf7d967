"""Only the embed routes may be framed, by any site; every other URL of config.urls (admin
included, and their 404s) refuses framing with both X-Frame-Options and CSP frame-ancestors."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
EMBED_ROUTES = {"embed_page", "embed_report"}
DUMMY_BY_CONVERTER = {"int": "1", "slug": "twitter", "str": "twitter", "path": "x/y", "uuid": ""}


def sample(pattern: RoutePattern | RegexPattern) -> str:
    """A path that this piece of a URL pattern matches, with dummy arguments."""
    text = str(pattern)
    if isinstance(pattern, RoutePattern):
        return re.sub(
            r"<(?:(\w+):)?\w+>",
            lambda m: DUMMY_BY_CONVERTER.get(m.group(1) or "str", "x") or str(uuid.uuid4()),
            text,
        )
    text = text.lstrip("^").rstrip("$").replace("\\Z", "")
    # A named group: its first literal alternative, else a digit or a word.
    text = re.sub(
        r"\(\?P<\w+>([^()]*)\)",
        lambda m: (
            m.group(1).split("|")[0]
            if re.fullmatch(r"[\w.-]+(\|[\w.-]+)*", m.group(1))
            else "1"
            if "\\d" in m.group(1)
            else "x"
        ),
        text,
    )
    return text.replace("\\", "").replace("?", "")


def every_pattern(
    resolver: URLResolver, prefix: str = "", name_prefix: str = ""
) -> Iterator[tuple[str, str]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from every_pattern(entry, prefix + sample(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield entry.name or "", "/" + prefix + sample(entry.pattern)


PATTERNS = sorted(set(every_pattern(get_resolver())))


def test_the_walk_covers_the_site_admin_and_embed():
    names = {name for name, _ in PATTERNS}
    assert {"home", "embed_page", "embed_report", "widget_js", "service_detail"} <= names
    assert any(path.startswith("/admin/") for _, path in PATTERNS)
    assert len(PATTERNS) > 30


@pytest.mark.parametrize(("name", "path"), PATTERNS, ids=[f"{n}:{p}" for n, p in PATTERNS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_embed_routes_may_be_framed(client, name, path, method, database_buffer):
    ServiceFactory(slug="twitter", name="Twitter")

    response = getattr(client, method)(path)

    policy = response.get("Content-Security-Policy", "")
    where = f"{method.upper()} {path} ({name}) answered {response.status_code}"
    if name in EMBED_ROUTES:
        assert "X-Frame-Options" not in response, where
        assert "frame-ancestors *" in policy, where
    else:
        assert response.get("X-Frame-Options") == "DENY", where
        assert "frame-ancestors 'none'" in policy, where


@pytest.mark.parametrize("path", ["/no-such-page", "/embed/", "/admin/no-such-app/"])
def test_unknown_paths_are_not_frameable(client, path):
    response = client.get(path)

    assert response.status_code in {404, 302}
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
