"""Where a problem type stored before the per-category lists goes now.

Until then every service offered the same eight types (login, loading, posting, messaging,
connection, notifications, payments, other). The migrations that brought in each category's
own list (outages.vocabulary.PROBLEMS_BY_CATEGORY) move the stored reports, buckets, incident
shares and alert filters with this table, so that history stays readable: an old type a
category still has stays as it is, one it lost goes to its nearest type there, or to "other".

Frozen: migrations replay it. A later change of the lists needs a table of its own.
"""

from __future__ import annotations

OLD_TYPES = (
    "login",
    "loading",
    "posting",
    "messaging",
    "connection",
    "notifications",
    "payments",
    "other",
)

# Per category, the old types it lost and where each goes; any other old type stays.
MOVES: dict[str, dict[str, str]] = {
    "social": {"payments": "other"},
    "messaging": {"loading": "messaging", "posting": "messaging", "payments": "other"},
    "streaming": {
        "loading": "playback",
        "posting": "other",
        "messaging": "other",
        "notifications": "other",
        "payments": "other",
    },
    "gaming": {
        "loading": "servers",
        "payments": "store",
        "posting": "other",
        "messaging": "other",
        "notifications": "other",
    },
    "cloud": {
        "connection": "hosting",
        "loading": "console",
        "posting": "other",
        "messaging": "other",
        "notifications": "other",
        "payments": "other",
    },
    "finance": {
        "loading": "website",
        "connection": "website",
        "posting": "other",
        "messaging": "other",
        "notifications": "other",
    },
    "telecom": {
        "connection": "internet",
        "loading": "internet",
        "login": "other",
        "posting": "other",
        "messaging": "other",
        "notifications": "other",
        "payments": "other",
    },
    "productivity": {
        "loading": "email",
        "posting": "messaging",
        "notifications": "other",
        "payments": "other",
    },
    "other": {
        "loading": "website",
        "posting": "other",
        "messaging": "other",
        "notifications": "other",
        "payments": "other",
    },
}


def problem_now(category: str, problem: str) -> str:
    """The type an old report of a `category` service is counted under now ("" stays "":
    a "works for me" report carries none)."""
    return MOVES.get(category, MOVES["other"]).get(problem, problem)
