"""The OpenAPI schema documents every error an operation can answer, as problem details.

drf-spectacular documents the success response only. Every public operation can also answer
400 (bad query), 401 (bad API key), 404 (unknown slug or id), 406 (unservable Accept) and 429
(throttled): added here from what the operation has, so no view repeats them.
"""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from common.api_errors import CONTENT_TYPE

PROBLEM = inline_serializer(
    "Problem",
    {
        "type": serializers.CharField(),
        "title": serializers.CharField(),
        "status": serializers.IntegerField(),
        "detail": serializers.CharField(),
        "errors": inline_serializer(
            "FieldError",
            {"field": serializers.CharField(), "reason": serializers.CharField()},
            many=True,
            required=False,
        ),
    },
)
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before trying again.",
    }
}


class ClosedSerializer(serializers.Serializer[Any]):
    """A request body whose view refuses unknown fields (a 400 naming each): its schema says
    `additionalProperties: false`, so a client, or a fuzzer, knows it before sending."""


class ProblemAutoSchema(AutoSchema):
    def get_serializer_name(
        self, serializer: Any, direction: Literal["request", "response"]
    ) -> str:
        """Nested serializers are named after their view (ServiceListApi.OutputSerializer ->
        ServiceListOutput): every view has an OutputSerializer, and one component each."""
        name = super().get_serializer_name(serializer, direction).lstrip("_")
        outer = type(serializer).__qualname__.rpartition(".")[0]
        if not outer:
            return name
        return outer.removesuffix("Api").removesuffix("Doc") + name

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(  # type: ignore[no-untyped-call]
            serializer, direction
        )
        closed = isinstance(serializer, ClosedSerializer) or (
            isinstance(serializer, type) and issubclass(serializer, ClosedSerializer)
        )
        if direction == "request" and closed:
            schema["additionalProperties"] = False
        return schema

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        problem = {CONTENT_TYPE: {"schema": self.resolve_serializer(PROBLEM, "response").ref}}
        places = {p["in"] for p in operation.get("parameters", [])}
        names = {p["name"] for p in operation.get("parameters", [])}
        errors: list[tuple[int, str]] = []
        if "query" in places or "requestBody" in operation:
            errors.append((400, "An invalid parameter: `errors` names each field and why."))
        if self.view.get_authenticators():
            errors.append((401, "An API key was sent, but it is unknown or revoked."))
        elif token := getattr(self.view, "problem_401", ""):  # a view that checks its own token
            errors.append((401, token))
        if "path" in places or "cursor" in names:
            errors.append((404, "No such resource (or no such page: an invalid cursor)."))
        errors.append((406, "The Accept header asks for a type this operation cannot answer."))
        if self.view.get_throttles():
            errors.append((429, "Too many requests: see Retry-After."))
        if self.method == "POST" and "requestBody" in operation:
            # Every POST of ours needs its body (an e-mail or webhook subscription, a report):
            # said outright, since a oneOf of variants names no required field of its own.
            operation["requestBody"]["required"] = True
        responses = operation["responses"]
        for status, why in errors:
            response: dict[str, Any] = {"description": why, "content": problem}
            if status == 429:
                response["headers"] = RETRY_AFTER
            responses.setdefault(str(status), response)
        return operation
