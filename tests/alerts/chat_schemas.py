"""JSON Schemas of the chat targets' message shapes, written from each one's documentation
(the parts and limits our messages use): Slack Block Kit, Discord's execute-webhook body and
embed limits, a Teams message carrying an Adaptive Card, Telegram's sendMessage, ntfy's JSON
publishing."""

from __future__ import annotations

from typing import Any

PLAIN_TEXT = {
    "type": "object",
    "required": ["type", "text"],
    "properties": {"type": {"const": "plain_text"}, "text": {"type": "string", "minLength": 1}},
}
MRKDWN = {
    "type": "object",
    "required": ["type", "text"],
    "properties": {
        "type": {"const": "mrkdwn"},
        "text": {"type": "string", "minLength": 1, "maxLength": 3000},
    },
}

SLACK: dict[str, Any] = {
    "type": "object",
    "required": ["text", "blocks"],
    "properties": {
        "text": {"type": "string", "minLength": 1},
        "blocks": {
            "type": "array",
            "maxItems": 50,
            "items": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["type", "text"],
                        "additionalProperties": False,
                        "properties": {
                            "type": {"const": "header"},
                            "text": {
                                **PLAIN_TEXT,
                                "properties": {
                                    **PLAIN_TEXT["properties"],
                                    "text": {"type": "string", "minLength": 1, "maxLength": 150},
                                },
                            },
                        },
                    },
                    {
                        "type": "object",
                        "required": ["type"],
                        "additionalProperties": False,
                        "properties": {
                            "type": {"const": "section"},
                            "text": MRKDWN,
                            "fields": {
                                "type": "array",
                                "maxItems": 10,
                                "items": {
                                    **MRKDWN,
                                    "properties": {
                                        **MRKDWN["properties"],
                                        "text": {
                                            "type": "string",
                                            "minLength": 1,
                                            "maxLength": 2000,
                                        },
                                    },
                                },
                            },
                        },
                    },
                    {
                        "type": "object",
                        "required": ["type", "elements"],
                        "additionalProperties": False,
                        "properties": {
                            "type": {"const": "context"},
                            "elements": {"type": "array", "maxItems": 10, "items": MRKDWN},
                        },
                    },
                    {
                        "type": "object",
                        "required": ["type", "elements"],
                        "additionalProperties": False,
                        "properties": {
                            "type": {"const": "actions"},
                            "elements": {
                                "type": "array",
                                "maxItems": 25,
                                "items": {
                                    "type": "object",
                                    "required": ["type", "text"],
                                    "properties": {
                                        "type": {"const": "button"},
                                        "text": {
                                            **PLAIN_TEXT,
                                            "properties": {
                                                **PLAIN_TEXT["properties"],
                                                "text": {"type": "string", "maxLength": 75},
                                            },
                                        },
                                        "url": {"type": "string", "maxLength": 3000},
                                    },
                                },
                            },
                        },
                    },
                ]
            },
        },
    },
}

DISCORD: dict[str, Any] = {
    "type": "object",
    "anyOf": [{"required": ["content"]}, {"required": ["embeds"]}],
    "properties": {
        "content": {"type": "string", "maxLength": 2000},
        "allowed_mentions": {"type": "object"},
        "embeds": {
            "type": "array",
            "maxItems": 10,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "title": {"type": "string", "maxLength": 256},
                    "description": {"type": "string", "maxLength": 4096},
                    "url": {"type": "string", "format": "uri"},
                    "color": {"type": "integer", "minimum": 0, "maximum": 0xFFFFFF},
                    "timestamp": {"type": "string"},
                    "footer": {
                        "type": "object",
                        "required": ["text"],
                        "properties": {"text": {"type": "string", "maxLength": 2048}},
                    },
                    "fields": {
                        "type": "array",
                        "maxItems": 25,
                        "items": {
                            "type": "object",
                            "required": ["name", "value"],
                            "properties": {
                                "name": {"type": "string", "minLength": 1, "maxLength": 256},
                                "value": {"type": "string", "minLength": 1, "maxLength": 1024},
                                "inline": {"type": "boolean"},
                            },
                        },
                    },
                },
            },
        },
    },
}


def discord_embed_total(embed: dict[str, Any]) -> int:
    """Discord's 6,000-character cap over an embed's title, description, field names and
    values, footer text and author name."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return total + len(embed.get("footer", {}).get("text", ""))


ADAPTIVE_ELEMENT = {
    "type": "object",
    "required": ["type"],
    "oneOf": [
        {
            "required": ["text"],
            "properties": {
                "type": {"const": "TextBlock"},
                "text": {"type": "string"},
                "wrap": {"type": "boolean"},
                "weight": {"enum": ["Default", "Lighter", "Bolder"]},
                "size": {"enum": ["Default", "Small", "Medium", "Large", "ExtraLarge"]},
                "isSubtle": {"type": "boolean"},
                "style": {"enum": ["default", "heading"]},
            },
        },
        {
            "required": ["facts"],
            "properties": {
                "type": {"const": "FactSet"},
                "facts": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["title", "value"],
                        "additionalProperties": False,
                        "properties": {"title": {"type": "string"}, "value": {"type": "string"}},
                    },
                },
            },
        },
    ],
}
TEAMS: dict[str, Any] = {
    "type": "object",
    "required": ["type", "attachments"],
    "properties": {
        "type": {"const": "message"},
        "attachments": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["contentType", "content"],
                "properties": {
                    "contentType": {"const": "application/vnd.microsoft.card.adaptive"},
                    "contentUrl": {"type": "null"},
                    "content": {
                        "type": "object",
                        "required": ["type", "version", "body"],
                        "properties": {
                            "$schema": {
                                "const": "http://adaptivecards.io/schemas/adaptive-card.json"
                            },
                            "type": {"const": "AdaptiveCard"},
                            "version": {"enum": ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5"]},
                            "body": {"type": "array", "minItems": 1, "items": ADAPTIVE_ELEMENT},
                            "actions": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["type", "url"],
                                    "properties": {
                                        "type": {"const": "Action.OpenUrl"},
                                        "title": {"type": "string"},
                                        "url": {"type": "string", "format": "uri"},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}

TELEGRAM: dict[str, Any] = {
    "type": "object",
    "required": ["chat_id", "text"],
    "properties": {
        "chat_id": {"type": ["string", "integer"]},
        "text": {"type": "string", "minLength": 1, "maxLength": 4096},
        "parse_mode": {"enum": ["HTML", "MarkdownV2", "Markdown"]},
        "link_preview_options": {"type": "object"},
    },
}

NTFY: dict[str, Any] = {
    "type": "object",
    "required": ["topic"],
    "additionalProperties": False,
    "properties": {
        "topic": {"type": "string", "pattern": "^[-_A-Za-z0-9]{1,64}$"},
        "title": {"type": "string"},
        "message": {"type": "string", "maxLength": 4096},
        "click": {"type": "string", "format": "uri"},
        "priority": {"type": "integer", "minimum": 1, "maximum": 5},
        "tags": {"type": "array", "items": {"type": "string"}},
        "actions": {
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "required": ["action", "label"],
                "properties": {
                    "action": {"enum": ["view", "http", "broadcast"]},
                    "label": {"type": "string"},
                    "url": {"type": "string"},
                },
            },
        },
    },
}
