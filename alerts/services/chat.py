"""Chat messages in each target's native format: Slack (Block Kit) and Discord (embeds)
incoming webhooks, Microsoft Teams (an Adaptive Card, as Teams workflows' incoming webhooks
take it), a Telegram bot (sendMessage) and ntfy (JSON publishing).

They travel the webhooks' road (alerts.services.delivery): the same connect-time SSRF guard,
retries and one Delivery row per (event, subscription), so exactly once. A body is rendered
once per event, format and language; `chat_request` then adds the one per-subscriber part
(Telegram's chat_id, ntfy's topic, both taken from the subscription's URL).
"""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from django.utils import translation
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from alerts.services.alert import Alert

CHAT_FORMATS = ("slack", "discord", "teams", "telegram", "ntfy")
COLORS = {1: 0xF9A825, 2: 0xC62828, 0: 0x2E7D32}
# The documented limits the messages are cut to.
SLACK_HEADER, SLACK_TEXT = 150, 3000
DISCORD_TITLE, DISCORD_DESCRIPTION, DISCORD_FOOTER = 256, 4096, 2048
TELEGRAM_TEXT = 4096
NTFY_MESSAGE_BYTES = 4096  # past it, ntfy turns the message into an attachment


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _cut_bytes(text: str, limit: int) -> str:
    while len(text.encode()) > limit:
        text = _cut(text, len(text) - max(1, (len(text.encode()) - limit) // 4))
    return text


def _facts(alert: Alert) -> list[tuple[str, str]]:
    incident = alert.incident
    if alert.kind == "close":
        state = _("Back to normal")
    elif alert.kind == "retract":
        state = _("Withdrawn")
    else:
        state = _("Problems") if alert.level == 2 else _("Possible problems")
    return [
        (_("Status"), state),
        (_("Reports"), f"{incident.total:,}"),
        (_("Peak per 15 minutes"), f"{incident.peak_quarter_count:,}"),
        (_("Since"), f"{incident.started_at:%Y-%m-%d %H:%M} UTC"),
    ]


def chat_body(alert: Alert, *, format: str, language: str) -> bytes:
    with translation.override(language):
        # The official status line, worded in alert_for (empty: no official source).
        facts, line = _facts(alert), alert.official_line
        details = _("Details")
        payload = RENDERERS[format](alert, facts, line, details)
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack(alert: Alert, facts: list[tuple[str, str]], line: str, details: str) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(alert.title, SLACK_HEADER)}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": _cut(_slack_escape(alert.text), SLACK_TEXT)},
            "fields": [
                {"type": "mrkdwn", "text": f"*{_slack_escape(name)}*\n{_slack_escape(value)}"}
                for name, value in facts
            ],
        },
    ]
    if line:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _cut(_slack_escape(line), SLACK_TEXT)}],
            }
        )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": details},
                    "url": alert.incident_url,
                }
            ],
        }
    )
    # `text` is the notification's and the screen readers' version.
    return {"text": _slack_escape(f"{alert.title}: {alert.text}")[:SLACK_TEXT], "blocks": blocks}


def _discord(alert: Alert, facts: list[tuple[str, str]], line: str, details: str) -> dict[str, Any]:
    embed: dict[str, Any] = {
        "title": _cut(alert.title, DISCORD_TITLE),
        "description": _cut(alert.text, DISCORD_DESCRIPTION),
        "url": alert.incident_url,
        "color": COLORS[0 if alert.kind in ("close", "retract") else alert.level],
        "fields": [{"name": name, "value": value, "inline": True} for name, value in facts],
        "timestamp": alert.event_at.isoformat(),
    }
    if line:
        embed["footer"] = {"text": _cut(line, DISCORD_FOOTER)}
    return {
        "content": _cut(f"**{alert.title}**", 2000),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    }


def _teams(alert: Alert, facts: list[tuple[str, str]], line: str, details: str) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": alert.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
            "style": "heading",
        },
        {"type": "TextBlock", "text": alert.text, "wrap": True},
        {"type": "FactSet", "facts": [{"title": name, "value": value} for name, value in facts]},
    ]
    if line:
        body.append({"type": "TextBlock", "text": line, "wrap": True, "isSubtle": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": details, "url": alert.incident_url}],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def _telegram(
    alert: Alert, facts: list[tuple[str, str]], line: str, details: str
) -> dict[str, Any]:
    lines = [f"<b>{html.escape(alert.title)}</b>", html.escape(alert.text), ""]
    lines += [f"{html.escape(name)}: {html.escape(value)}" for name, value in facts]
    if line:
        lines += ["", f"<i>{html.escape(line)}</i>"]
    lines += ["", f'<a href="{html.escape(alert.incident_url)}">{html.escape(details)}</a>']
    return {
        "text": _cut("\n".join(lines), TELEGRAM_TEXT),
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }


def _ntfy(alert: Alert, facts: list[tuple[str, str]], line: str, details: str) -> dict[str, Any]:
    message = "\n".join([alert.text, *(f"{n}: {v}" for n, v in facts), *([line] if line else [])])
    closing = alert.kind in ("close", "retract")
    return {
        "title": alert.title,
        "message": _cut_bytes(message, NTFY_MESSAGE_BYTES),
        "click": alert.incident_url,
        "priority": 3 if closing or alert.level < 2 else 4,
        "tags": ["white_check_mark"] if closing else ["warning"],
        "actions": [{"action": "view", "label": details, "url": alert.incident_url}],
    }


RENDERERS = {
    "slack": _slack,
    "discord": _discord,
    "teams": _teams,
    "telegram": _telegram,
    "ntfy": _ntfy,
}


def chat_request(url: str, format: str, body: bytes) -> tuple[str, bytes]:
    """Where one subscriber's message goes, and its body: Telegram's chat_id and ntfy's topic
    come from the subscription's URL into the JSON; other formats are sent as rendered."""
    if format not in ("telegram", "ntfy"):
        return url, body
    parts = urlsplit(url)
    payload = json.loads(body)
    if format == "telegram":
        payload["chat_id"] = parse_qs(parts.query)["chat_id"][0]
        target = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    else:
        payload["topic"] = parts.path.strip("/")
        target = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    return target, json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def url_error(format: str, url: str) -> str | None:
    """Why a URL cannot take this format's messages (None when it can)."""
    parts = urlsplit(url)
    if format == "telegram":
        path = parts.path.rstrip("/")
        if not (path.startswith("/bot") and path.endswith("/sendMessage")):
            return (
                "A Telegram URL is https://api.telegram.org/bot<token>/sendMessage?chat_id=<chat>."
            )
        if not parse_qs(parts.query).get("chat_id"):
            return "A Telegram URL needs ?chat_id=<chat> (the chat, group or channel)."
    if format == "ntfy":
        topic = parts.path.strip("/")
        if not topic or "/" in topic or parts.query:
            return "An ntfy URL is the topic's: https://ntfy.sh/<topic>."
    return None
