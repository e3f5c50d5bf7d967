"""The API key's security schemes in the OpenAPI schema (drf-spectacular).

The public operations declare no security requirement (the docs show them without a lock), so
config/api_docs.py adds these schemes to the components; an operation that kept the key's
discovered requirement would get them through ApiKeyScheme.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension

SCHEMES: dict[str, dict[str, Any]] = {
    "PartnerBearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A partner API key, for a higher rate limit: "
        "`Authorization: Bearer odk_...`. Without a key, requests are anonymous and "
        "share the anonymous limit; a key that is unknown or revoked gets 401.",
    },
    "PartnerApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": "The same partner API key, in its own header.",
    },
}


# drf-spectacular leaves the extensions' __init_subclass__ (their registry) unannotated.
class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "partners.authentication.ApiKeyAuthentication"
    name = list(SCHEMES)

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return list(SCHEMES.values())

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        # Either header, or none at all (anonymous).
        return [{"PartnerBearer": []}, {"PartnerApiKey": []}, {}]
