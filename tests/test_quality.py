"""The code base and its tools stay lint-clean and type-checked: ruff and mypy run in the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command",
    [[sys.executable, "-m", "ruff", "check", "src", "tests", "tools"], [sys.executable, "-m", "mypy"]],
    ids=["ruff", "mypy"],
)
def test_static_checks_pass(command: list[str]) -> None:
    module = command[2]
    if shutil.which(module) is None and not (Path(sys.executable).parent / module).exists():
        pytest.fail(f"{module} is not installed: pip install -e '.[test]'")
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
