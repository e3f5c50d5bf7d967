"""A report as intake hands it to storage, and its compact encoding in the Redis stream."""

from __future__ import annotations

import hashlib
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
    agent: str = ""  # keyed hash of the User-Agent
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


# A stream entry is the report as one line of PostgreSQL's COPY text format (tab-separated,
# in COLUMNS order, without `counted`, which the entry carries apart): the drain hands lines
# to COPY as they are, with no per-row work in Python. Every field is free of tabs, newlines
# and backslashes (closed lists, hex hashes, an ISO timestamp; `origin` is cleaned at intake),
# so no escaping is needed.
COLUMNS = (
    "id",
    "service_id",
    "kind",
    "platform",
    "problem",
    "country",
    "subdivision",
    "source",
    "origin",
    "received_at",
    "fingerprint",
    "network",
    "agent",
)
# Entries written before `agent` existed have one field less; they read as agent "".
LEGACY_FIELDS = len(COLUMNS) - 1


def encode(row: ReportRow) -> str:
    return "\t".join(
        (
            str(row.id),
            str(row.service_id),
            row.kind,
            row.platform,
            row.problem,
            row.country,
            row.subdivision,
            row.source,
            row.origin,
            row.received_at.isoformat(),
            row.fingerprint,
            row.network,
            row.agent,
        )
    )


def decode(line: str | bytes, *, counted: bool) -> ReportRow:
    text = line.decode() if isinstance(line, bytes) else line
    values = text.split("\t")
    if len(values) == LEGACY_FIELDS:
        values.append("")
    if len(values) != len(COLUMNS):
        raise ValueError(f"expected {len(COLUMNS)} fields, got {len(values)}")
    received_at = datetime.fromisoformat(values[9])
    if received_at.tzinfo is None:
        raise ValueError("received_at without a time zone")
    return ReportRow(
        uuid.UUID(values[0]),
        int(values[1]),
        values[2],
        values[3],
        values[4],
        values[5],
        values[6],
        values[7],
        values[8],
        received_at.astimezone(UTC),
        values[10],
        values[11],
        values[12],
        counted=counted,
    )
