"""The privacy retention job (docs/privacy.md): raw reports deleted after
REPORT_RETENTION_DAYS (their minute buckets stay), fingerprint salts destroyed once older than
48 hours, and admin login records (hashed addresses) kept no longer than the reports.
(Redacted comments' original texts are purged by the moderation app's own task.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessLog

from reports.intake.fingerprint import salt_rotate
from reports.retention import reports_purge


@dataclass(frozen=True)
class Retention:
    reports: int
    salts: int
    login_records: int


def privacy_retention(*, now: datetime, days: int) -> Retention:
    reports = reports_purge(now=now, days=days)
    salts = salt_rotate(now=now)
    cutoff = now - timedelta(days=days)
    logins = AccessLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
    logins += AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()[0]
    return Retention(reports=reports, salts=salts, login_records=logins)
