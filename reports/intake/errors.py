"""The closed set of reasons intake turns a report away, and the exception that carries them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class RejectReason(enum.StrEnum):
    METHOD_NOT_ALLOWED = "method_not_allowed"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    BODY_TOO_LARGE = "body_too_large"
    MALFORMED_BODY = "malformed_body"
    INVALID_FIELD = "invalid_field"
    UNKNOWN_SERVICE = "unknown_service"
    ID_CONFLICT = "id_conflict"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"


STATUS_BY_REASON = {
    RejectReason.METHOD_NOT_ALLOWED: 405,
    RejectReason.UNSUPPORTED_MEDIA_TYPE: 415,
    RejectReason.BODY_TOO_LARGE: 413,
    RejectReason.MALFORMED_BODY: 400,
    RejectReason.INVALID_FIELD: 400,
    RejectReason.UNKNOWN_SERVICE: 404,
    RejectReason.ID_CONFLICT: 409,
    RejectReason.RATE_LIMITED: 429,
    RejectReason.UNAVAILABLE: 503,
}


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str


@dataclass
class Rejected(Exception):
    """Raised by an intake step; the report is not stored."""

    reason: RejectReason
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    retry_after: int | None = None

    @property
    def status(self) -> int:
        return STATUS_BY_REASON[self.reason]
