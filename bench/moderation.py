"""Bar: the moderation home answers in <= 200 ms at the 95th percentile with 10,000 comments
waiting for review.

    .venv/bin/python bench/moderation.py          # this bar alone
    BENCH_ONLY=moderation .venv/bin/python bench/run.py

1. Data (seeded; not timed), in a fresh database `outages_bench_moderation` (dropped on exit):
   50 services, 10,000 pending comments, 400 approved comments with open flags (100 of them
   for personal data), 40,000 approved comments without, 60 incidents (a third suspicious).
2. Timed: GET /moderation/ (the home: every count and the latest audited actions), then GET
   /moderation/counts.json (what every moderation page polls) and GET /moderation/comments/
   (the queue's first page of 100, with the views' counts), each 300 times after 20 warm-up
   requests, through Django's full middleware stack in this process (signed in as a
   moderator; no network). The new-burst count is beat's cached figure, as in production
   (the finder's own cost is bar 7).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report, servers  # noqa: E402

DATABASE = "outages_bench_moderation"
PENDING = 10_000
BAR_MS = 200.0
REQUESTS, WARMUP = 300, 20
PAGES = {
    "home": "/moderation/",
    "counts": "/moderation/counts.json",
    "queue": "/moderation/comments/",
}


def seed() -> Any:
    from django.contrib.auth.models import Group, User
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from comments.models import Comment, CommentFlag
    from moderation.panel.counts import new_bursts_refresh
    from moderation.roles import MODERATORS, roles_sync
    from outages.models import Incident, Service

    now = timezone.now()
    services = Service.objects.bulk_create(
        [Service(slug=f"bench-{i:02d}", name=f"Bench {i:02d}") for i in range(50)]
    )

    def comment(i: int, state: str, flags: int = 0) -> Comment:
        return Comment(
            service=services[i % 50],
            name=f"Reader {i}",
            email=f"r{i}@example.org",
            text=f"Cannot log in since noon, error {i}",
            state=state,
            open_flags=flags,
            created_at=now - timedelta(seconds=i),
            fingerprint=f"{i:032x}",
            text_key=f"{i:032x}",
            spam_score=i % 100,
        )

    Comment.objects.bulk_create([comment(i, "pending") for i in range(PENDING)], batch_size=2000)
    flagged = Comment.objects.bulk_create(
        [comment(PENDING + i, "approved", 1) for i in range(400)], batch_size=2000
    )
    CommentFlag.objects.bulk_create(
        CommentFlag(
            comment=c,
            fingerprint="f",
            created_at=now,
            reason="personal_data" if i < 100 else "spam",
        )
        for i, c in enumerate(flagged)
    )
    Comment.objects.bulk_create(
        [comment(20_000 + i, "approved") for i in range(40_000)], batch_size=5000
    )
    Incident.objects.bulk_create(
        Incident(
            service=services[i % 50],
            level=2,
            started_at=now - timedelta(hours=i),
            detected_at=now - timedelta(hours=i),
            peak_at=now - timedelta(hours=i),
            visibility="suspicious" if i % 3 == 0 else "public",
        )
        for i in range(60)
    )
    roles_sync()
    moderator = User.objects.create_user("mod", password="x", is_staff=True)
    moderator.groups.add(Group.objects.get(name=MODERATORS))
    TOTPDevice.objects.create(user=moderator, name="phone", confirmed=True)
    new_bursts_refresh(now=now)  # what beat keeps in the cache
    return moderator


def child() -> dict[str, Any]:
    """In a process of its own, with DATABASE_URL set: migrate, seed, time."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    moderator = seed()
    client = Client()
    client.force_login(moderator, backend="django.contrib.auth.backends.ModelBackend")
    results: dict[str, Any] = {}
    for name, url in PAGES.items():
        for _ in range(WARMUP):
            assert client.get(url).status_code == 200, url
        times = []
        for _ in range(REQUESTS):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, url
        times.sort()
        results[name] = {"p50": times[len(times) // 2], "p95": times[int(len(times) * 0.95)]}
    return results


def measure() -> dict[str, Any]:
    with servers.bench_database(DATABASE) as dsn, tempfile.TemporaryDirectory() as var:
        env = {
            **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEPLOYMENT": "embedded",
            "DEBUG": "false",
            "DATABASE_URL": dsn,
            "VAR_DIR": var,
            "LOG_LEVEL": "WARNING",
        }
        out = subprocess.run(
            [sys.executable, __file__, "--child"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def rows(r: dict[str, Any]) -> list[report.Row]:
    Row, home = report.Row, r["home"]
    ok = home["p95"] <= BAR_MS
    return [
        Row(
            f"10 Moderation home p95, {PENDING:,} pending comments",
            f"{home['p95']:.0f} ms",
            f"<= {BAR_MS:.0f} ms",
            f"{home['p95'] / BAR_MS:.2f}",
            report.bar(ok),
        ),
        Row("  home p50", f"{home['p50']:.0f} ms"),
        Row("  counts.json p50 / p95", f"{r['counts']['p50']:.0f} / {r['counts']['p95']:.0f} ms"),
        Row(
            "  comment queue (100 rows) p50 / p95",
            f"{r['queue']['p50']:.0f} / {r['queue']['p95']:.0f} ms",
        ),
    ]


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(child()))
        return 0
    print(report.table(rows(measure())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
