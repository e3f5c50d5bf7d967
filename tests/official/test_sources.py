"""Sources set by an administrator: the command and the admin refuse a bad one, naming the
field, and change nothing."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from outages.official.models import OfficialSource
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_the_command_adds_lists_and_removes_a_source(capsys) -> None:  # type: ignore[no-untyped-def]
    ServiceFactory(slug="github")
    call_command(
        "official_sources",
        "add",
        "github",
        "statuspage",
        "https://www.githubstatus.com/api/v2/summary.json",
        "--component",
        "Git Operations",
    )
    source = OfficialSource.objects.get()
    assert source.components == ["Git Operations"]
    call_command("official_sources", "list")
    assert "githubstatus.com" in capsys.readouterr().out
    call_command("official_sources", "remove", str(source.pk))
    assert not OfficialSource.objects.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nope", "statuspage", "https://status.example.com/x.json"], "service:"),
        (["github", "statuspage", "https://user:pw@status.example.com/x"], "url:"),
        (["github", "statuspage", "ftp://status.example.com/x"], "url:"),
        (["github", "statuspage", "https://0x7f000001/x"], "url:"),
        (
            ["github", "instatus", "https://x.instatus.com/summary.json", "--component", "A"],
            "components:",
        ),
        (
            ["github", "feed", "https://status.example.com/rss", "--interval", "5"],
            "interval_seconds:",
        ),
    ],
)
def test_a_bad_source_is_refused_with_the_field_named(arguments: list[str], message: str) -> None:
    ServiceFactory(slug="github")
    with pytest.raises(CommandError, match=message):
        call_command("official_sources", "add", *arguments)
    assert not OfficialSource.objects.exists()


def test_the_admin_form_refuses_a_url_with_credentials(admin_client) -> None:  # type: ignore[no-untyped-def]
    service = ServiceFactory(slug="github")
    answer = admin_client.post(
        "/admin/official/officialsource/add/",
        {
            "service": service.pk,
            "kind": "statuspage",
            "url": "https://a:b@status.example.com/",
            "components": "[]",
            "interval_seconds": 120,
            "is_active": "on",
        },
    )
    assert answer.status_code == 200
    assert "credentials in the URL" in answer.content.decode()
    assert not OfficialSource.objects.exists()


@pytest.mark.parametrize(
    ("kind", "url", "page_url", "link"),
    [
        (
            "statuspage",
            "https://www.githubstatus.com/api/v2/summary.json",
            "",
            "https://www.githubstatus.com/",
        ),
        (
            "instatus",
            "https://example.instatus.com/summary.json",
            "",
            "https://example.instatus.com/",
        ),
        (
            "feed",
            "https://status.aws.amazon.com/rss/ec2.rss",
            "",
            "https://status.aws.amazon.com/rss/ec2.rss",
        ),
        (
            "statuspage",
            "https://s.example/api/v2/summary.json",
            "https://s.example/x",
            "https://s.example/x",
        ),
    ],
)
def test_the_link_shown_is_the_page_people_read(
    kind: str, url: str, page_url: str, link: str
) -> None:
    assert OfficialSource(kind=kind, url=url, page_url=page_url).link == link
