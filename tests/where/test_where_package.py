"""The where package's public face, its doctests, and that no lower stage imports it."""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import sitewatch.where as where

SRC = Path(where.__file__).resolve().parents[1]


def test_public_names_are_pinned() -> None:
    assert sorted(where.__all__) == [
        "FittingTimes", "Interval", "PlaceTimeCheck", "ReferenceLine", "ShadowMarks", "ShadowMeasurement",
        "SunGrid", "SunMap", "SunPosition", "check_place_time", "fitting_times", "measure_shadow",
        "measurement_from_lengths", "solar_library", "sun_grid", "sun_position", "time_zone_at",
        "where_on_earth",
    ]


@pytest.mark.parametrize("name", ["sun", "shadows", "metadata", "evidence", "overhead"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(f"sitewatch.where.{name}"))
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("stage", ["geo", "imagery", "catalog", "detect", "track", "compare", "assess"])
def test_lower_stages_do_not_import_where(stage: str) -> None:
    for path in (SRC / stage).rglob("*.py"):
        assert "sitewatch.where" not in path.read_text(encoding="utf-8"), path
