"""DRF authentication by partner API key: `Authorization: Bearer <key>` or `X-Api-Key: <key>`.

No key: anonymous (the anonymous throttle applies). A key that is sent but not valid is a 401,
never a silent fallback to anonymous, so a partner notices a revoked or mistyped key at once.
"""

from __future__ import annotations

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from partners.services import KeyRejected, Partner, apikey_mark_used, apikey_resolve


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Partner, Partner] | None:
        header, raw = _sent_key(request)
        if header is None:
            return None
        try:
            partner = apikey_resolve(raw)
        except KeyRejected as rejected:
            raise AuthenticationFailed(f"The key in the {header} header {rejected}.") from None
        apikey_mark_used(partner)
        return partner, partner

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def _sent_key(request: Request) -> tuple[str | None, str]:
    authorization = request.META.get("HTTP_AUTHORIZATION", "")
    if authorization:
        scheme, _, raw = authorization.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise AuthenticationFailed("The Authorization header must read 'Bearer <API key>'.")
        return "Authorization", raw.strip()
    if "HTTP_X_API_KEY" in request.META:
        return "X-Api-Key", request.META["HTTP_X_API_KEY"].strip()
    return None, ""
