"""Spam rules of the comment form, with no third-party service: pure functions, no Django.

`links_in` counts what a reader would take for a link; `spam_score` weighs the signs of a bot
or an advertiser into 0-100, with the reasons, for the moderators (a high score never hides or
refuses a comment on its own: pre-moderation already keeps everything off the page).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

# http(s) URLs, www. hosts and bare domains with a common top-level domain.
_LINK = re.compile(
    r"(?:\b[a-z][a-z0-9+.-]*://\S+|\bwww\.\S+|\b[a-z0-9-]+\.(?:com|net|org|info|biz|ru|xyz|top|io|co|ly)\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)
_RUN = re.compile(r"(.)\1{9,}", re.DOTALL)  # ten or more of the same character
_SALES = re.compile(
    r"\b(?:viagra|casino|crypto|bitcoin|forex|loan|porn|seo|backlinks?|whatsapp|telegram"
    r"|free money|click here|buy now|discount)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Score:
    value: int  # 0-100
    reasons: tuple[str, ...]


def normalise(text: str) -> str:
    """The text as compared for repetition: case, accents, spacing and punctuation folded."""
    folded = unicodedata.normalize("NFKD", text).casefold()
    bare = "".join(c for c in folded if not unicodedata.combining(c))  # accents off
    return " ".join(_WORD.findall(bare))


def links_in(text: str) -> int:
    return len(_LINK.findall(unicodedata.normalize("NFKC", text)))


def spam_score(*, text: str, name: str, fill_seconds: float, min_fill_seconds: float) -> Score:
    reasons: list[str] = []
    score = 0
    links = links_in(text)
    if links:
        score += 20 * links
        reasons.append(f"links:{links}")
    if links_in(name):
        score += 40
        reasons.append("link in name")
    if _RUN.search(text):
        score += 15
        reasons.append("repeated characters")
    words = _WORD.findall(text.casefold())
    if len(words) >= 8:
        _, top = Counter(words).most_common(1)[0]
        if top / len(words) > 0.4:
            score += 20
            reasons.append("repeated words")
    letters = [c for c in text if c.isalpha()]
    if len(letters) >= 20 and sum(c.isupper() for c in letters) / len(letters) > 0.7:
        score += 10
        reasons.append("shouting")
    sales = {m.casefold() for m in _SALES.findall(text)}
    if sales:
        score += 15 * len(sales)
        reasons.append("sales words")
    if fill_seconds < 2 * min_fill_seconds:
        score += 15
        reasons.append("filled very fast")
    if sum(unicodedata.category(c) in {"Cf", "Co", "Cs"} for c in text) > 0:
        score += 10
        reasons.append("invisible characters")
    return Score(value=min(score, 100), reasons=tuple(reasons))
