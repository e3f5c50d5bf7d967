"""The API key's security scheme in the OpenAPI schema (drf-spectacular)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension


# drf-spectacular leaves the extensions' __init_subclass__ (their registry) unannotated.
class ApiKeyScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "partners.authentication.ApiKeyAuthentication"
    name = ["PartnerBearer", "PartnerApiKey"]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "A partner API key, for a higher rate limit: "
                "`Authorization: Bearer odk_...`. Without a key, requests are anonymous and "
                "share the anonymous limit; a key that is unknown or revoked gets 401.",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-Api-Key",
                "description": "The same partner API key, in its own header.",
            },
        ]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        # Either header, or none at all (anonymous).
        return [{"PartnerBearer": []}, {"PartnerApiKey": []}, {}]
