"""The audit log's door, kept under its former name: it lives in common/audit.py."""

from common.audit import AuditEntry, audit_record

__all__ = ["AuditEntry", "audit_record"]
