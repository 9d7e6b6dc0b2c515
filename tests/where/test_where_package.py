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
        "CheckKind", "FittingTimes", "Interval", "MediaMetadata", "PlaceTimeCheck", "ReferenceLine",
        "ShadowMarks", "ShadowMeasurement", "SunGrid", "SunMap", "SunPosition", "WhereCheck",
        "WhereWhenRow", "canonical", "check_place_time", "fitting_times", "marked_shadow_bearings",
        "measure_shadow", "measurement_from_lengths", "north_in_image_deg", "overhead_check",
        "read_media_metadata", "rerun_overhead_check", "run_check",
        "second_reader", "shadow_bearings_beside_boxes", "solar_library", "sun_from_shadow_bearings",
        "sun_grid", "sun_position", "sun_positions", "time_zone_at", "where_on_earth",
        "where_when_rows",
    ]


@pytest.mark.parametrize("name", ["sun", "shadows", "metadata", "evidence", "overhead"])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(f"sitewatch.where.{name}"))
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("stage", ["geo", "imagery", "catalog", "detect", "track", "compare", "assess"])
def test_lower_stages_do_not_import_where(stage: str) -> None:
    for path in (SRC / stage).rglob("*.py"):
        assert "sitewatch.where" not in path.read_text(encoding="utf-8"), path
