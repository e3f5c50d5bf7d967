"""The migration to per-category problem types: stored reports, buckets, incident shares and
alert filters of before move to their category's list (an old type a category lost goes to its
nearest type or to "other"), buckets that meet under one key add up, and no count is lost."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from outages.detection import synthetic
from outages.legacy_problems import MOVES, OLD_TYPES, problem_now
from outages.vocabulary import Category, problems_of

BEFORE = [
    ("outages", "0005_incident_review"),
    ("reports", "0005_simulation_anchor"),
    ("alerts", "0004_chat_formats_early_warning"),
]
AFTER = [
    ("outages", "0006_problem_types_per_category"),
    ("reports", "0006_problem_types_per_category"),
    ("alerts", "0005_problem_types_per_category"),
]
MINUTE = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def test_every_old_type_lands_in_its_category_s_list():
    for category in Category.values:
        for old in OLD_TYPES:
            assert problem_now(category, old) in problems_of(category), (category, old)
    assert set(MOVES) == set(Category.values)


def test_the_demo_data_and_the_replay_speak_their_category_s_types():
    from reports.simulation import SCENARIOS

    for category, mix in synthetic.PROBLEMS.items():
        assert set(mix.names) <= set(problems_of(category)), category
    assert set(synthetic.DEFAULT_PROBLEMS.names) <= set(problems_of(Category.OTHER))
    story = SCENARIOS["twitter-2022-12-29"]
    assert set(story.problems.names) <= set(problems_of(Category.SOCIAL))


@pytest.fixture
def migrator(transactional_db) -> Iterator[MigrationExecutor]:
    """The database as it was before the migration; migrated to the latest state afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    yield executor
    call_command("migrate", verbosity=0)


def test_stored_data_moves_to_each_category_s_types_and_merged_buckets_add_up(migrator):
    apps = migrator.loader.project_state(BEFORE).apps
    service = apps.get_model("outages", "Service")
    bucket = apps.get_model("outages", "MinuteBucket")
    incident = apps.get_model("outages", "Incident")
    report = apps.get_model("reports", "Report")
    subscription = apps.get_model("alerts", "Subscription")
    cloud = service.objects.create(slug="aws", name="AWS", category="cloud")
    telecom = service.objects.create(slug="orange", name="Orange", category="telecom")
    social = service.objects.create(slug="twitter", name="Twitter", category="social")

    def buckets(owner, **counts):
        for problem, count in counts.items():
            bucket.objects.create(
                service=owner,
                minute=MINUTE,
                kind="problem",
                platform="web",
                problem=problem,
                country="FR",
                count=count,
            )

    buckets(cloud, connection=4, loading=3, login=2, payments=1)
    # Telecom: connection and loading both become "internet", beside an "internet" row that
    # did not exist before (none could): they add up in one row.
    buckets(telecom, connection=5, loading=2, login=1)
    buckets(social, loading=7, payments=1)
    bucket.objects.create(
        service=social,
        minute=MINUTE,
        kind="works",
        platform="web",
        problem="",
        country="FR",
        count=3,
    )
    for problem in ("connection", "loading", "login"):
        report.objects.create(
            service=cloud,
            kind="problem",
            platform="web",
            problem=problem,
            source="api",
            received_at=MINUTE,
            fingerprint="f",
            network="n",
        )
    shares = {"connection": 0.5, "loading": 0.3, "login": 0.2}
    incident.objects.create(
        service=telecom,
        level=2,
        started_at=MINUTE,
        detected_at=MINUTE,
        peak_at=MINUTE,
        problems=shares,
    )
    subscription.objects.create(
        service=cloud,
        problem="loading",
        channel="email",
        email="ops@example.org",
        token_hash="x" * 64,
    )

    migrator.migrate(AFTER)

    apps = migrator.loader.project_state(AFTER).apps
    bucket = apps.get_model("outages", "MinuteBucket")
    rows = {(b.service_id, b.kind, b.problem): b.count for b in bucket.objects.all()}
    assert rows == {
        (cloud.id, "problem", "hosting"): 4,
        (cloud.id, "problem", "console"): 3,
        (cloud.id, "problem", "login"): 2,
        (cloud.id, "problem", "other"): 1,
        (telecom.id, "problem", "internet"): 7,
        (telecom.id, "problem", "other"): 1,
        (social.id, "problem", "loading"): 7,
        (social.id, "problem", "other"): 1,
        (social.id, "works", ""): 3,
    }
    moved = apps.get_model("reports", "Report").objects.values_list("problem", flat=True)
    assert sorted(moved) == ["console", "hosting", "login"]
    [story] = apps.get_model("outages", "Incident").objects.all()
    assert story.problems == {"internet": 0.8, "other": 0.2}
    assert apps.get_model("alerts", "Subscription").objects.get().problem == "console"
