"""A report as intake hands it to storage, and its compact encoding in the Redis stream."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime


@dataclass(frozen=True)
class ReportRow:
    id: uuid.UUID
    service_id: int
    kind: str
    platform: str
    problem: str
    country: str
    subdivision: str
    source: str
    origin: str
    received_at: datetime
    fingerprint: str
    network: str
    counted: bool = True

    def content_digest(self) -> str:
        """What a retry with the same id must repeat exactly (409 otherwise)."""
        content = "|".join(
            (
                str(self.service_id),
                self.kind,
                self.platform,
                self.problem,
                self.country,
                self.subdivision,
            )
        )
        return hashlib.blake2b(content.encode(), digest_size=8).hexdigest()

    def with_counted(self, counted: bool) -> ReportRow:
        return replace(self, counted=counted)


def encode(row: ReportRow) -> str:
    """The row without `counted` (the stream entry carries it apart), as a compact JSON list."""
    values = (
        str(row.id), row.service_id, row.kind, row.platform, row.problem, row.country,
        row.subdivision, row.source, row.origin, int(row.received_at.timestamp() * 1_000_000),
        row.fingerprint, row.network,
    )  # fmt: skip
    return json.dumps(values, separators=(",", ":"))


def decode(payload: str | bytes, *, counted: bool) -> ReportRow:
    values = json.loads(payload)
    values[0] = uuid.UUID(values[0])
    values[9] = datetime.fromtimestamp(values[9] / 1_000_000, tz=UTC)
    return ReportRow(*values, counted=counted)
