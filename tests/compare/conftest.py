"""Fixtures of the compare tests (helpers live in compare_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.compare.compare_fixtures import vehicle_scene, write_image


@pytest.fixture()
def tracked_photo(tmp_path: Path) -> Path:
    return write_image(tmp_path / "tracked.jpg", vehicle_scene(1, kind="tracked"))
