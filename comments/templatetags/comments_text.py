"""Comment text as plain text: every character escaped, line breaks kept, and only http(s)
addresses made into links, marked as user content that search engines must not follow."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}"  # punctuation that ends a sentence rather than the address
MAX_SHOWN = 60  # characters of a long address shown


@register.filter(is_safe=True)
def comment_text(text: str) -> SafeString:
    parts: list[str] = []
    position = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        start, end = match.start(), match.start() + len(url)
        parts.append(escape(text[position:start]))
        shown = url if len(url) <= MAX_SHOWN else f"{url[: MAX_SHOWN - 1]}…"
        parts.append(
            f'<a href="{escape(url)}" rel="nofollow ugc noopener noreferrer">{escape(shown)}</a>'
        )
        position = end
    parts.append(escape(text[position:]))
    html = "".join(parts).replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")
    return mark_safe(html)  # noqa: S308 - every piece of the text went through escape()
