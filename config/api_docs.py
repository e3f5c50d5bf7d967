"""The security schemes of /api/schema/ that no operation's discovered authentication brings.

Public operations declare no requirement, so the partner key's schemes would be left out; the
subscription token is checked by the views themselves. A drf-spectacular post-processing hook
(SPECTACULAR_SETTINGS) adds both, composed here at the top (partners and alerts stay apart).
"""

from __future__ import annotations

from typing import Any

from alerts.apis import TOKEN_SCHEME
from partners.schema import SCHEMES


def security_schemes(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    schemes = result.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes.update({**SCHEMES, "SubscriptionToken": TOKEN_SCHEME})
    return result
