"""`mypy --strict` over the application (its configuration: pyproject.toml), so that the test
command CI runs also keeps the code typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_strict_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"mypy failed:\n{result.stdout}{result.stderr}"
