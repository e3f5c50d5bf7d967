"""The detection library is pure (no database, cache or broker): its tests are marked
`backend_free`, and the embedded default's run (`make test-sqlite`) leaves them to the
PostgreSQL run, which runs every test."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.backend_free)
