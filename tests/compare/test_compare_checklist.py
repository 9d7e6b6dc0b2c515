from __future__ import annotations

import pytest

from sitewatch.compare.checklist import (
    FeatureMark,
    FeatureState,
    assess_marks,
    load_checklist,
    parse_marks,
)
from sitewatch.errors import ConfigError


def _consistent(marks: list[str], families: tuple[str, ...] | None = None) -> list[str]:
    checklist = load_checklist(families)
    verdicts = assess_marks(checklist, parse_marks(marks, checklist))
    return [v.variant.name for v in verdicts if v.consistent]


def test_tables_ship_the_required_variants_with_sources() -> None:
    checklist = load_checklist()
    names = {v.name for v in checklist.variants}
    assert {"T-64A", "T-64B", "T-64BV", "T-64BM Bulat"} <= names
    assert {v.family for v in checklist.variants} == {"T-64", "T-72", "T-80"}
    titles = dict(checklist.sources)
    for feature in checklist.features:
        assert feature.sources and all(s in titles for s in feature.sources)
        assert feature.confidence in {"high", "medium", "low"}
    for variant in checklist.variants:
        assert variant.sources and variant.operators
        for operator in variant.operators:
            assert operator.sources and operator.confidence in {"high", "medium", "low"}


def test_t64_running_gear_and_kontakt1_leave_t64bv() -> None:
    names = _consistent(["small_road_wheels_4_return_rollers=seen", "kontakt1_era=seen"])
    assert names == ["T-64BV"]


def test_nizh_reactive_armour_points_to_bulat_operated_by_ukraine() -> None:
    checklist = load_checklist(["T-64"])
    verdicts = assess_marks(checklist, parse_marks(["nizh_era=seen"], checklist))
    consistent = [v for v in verdicts if v.consistent]
    assert [v.variant.name for v in consistent] == ["T-64BM Bulat"]
    armies = {o.army for o in consistent[0].variant.operators}
    assert "Ukraine" in armies
    record = consistent[0].to_dict(checklist)
    assert record["supporting"] == ["nizh_era"]
    sources = record["sources"]
    assert isinstance(sources, list)
    assert all(isinstance(s, str) and len(s) > 20 for s in sources)


def test_absent_mark_excludes_variants_that_always_have_it() -> None:
    names = _consistent(
        ["small_road_wheels_4_return_rollers=seen", "smoke_launchers_turret=absent"]
    )
    assert "T-64A" in names  # smoke launchers vary on the T-64A
    assert "T-64B" not in names and "T-64BV" not in names


def test_not_visible_never_excludes() -> None:
    checklist = load_checklist()
    marks = {f.id: FeatureMark.NOT_VISIBLE for f in checklist.features}
    assert all(v.consistent for v in assess_marks(checklist, marks))


def test_varies_and_unknown_are_reported_as_uncertain_not_conflicts() -> None:
    checklist = load_checklist(["T-72"])
    verdicts = {v.variant.name: v for v in
                assess_marks(checklist, parse_marks(["kontakt5_era=seen"], checklist))}
    assert verdicts["T-72B"].consistent and verdicts["T-72B"].uncertain == ("kontakt5_era",)
    assert verdicts["T-72B3"].supporting == ("kontakt5_era",)
    assert not verdicts["T-72A"].consistent
    assert verdicts["T-72B"].variant.state("kontakt5_era") is FeatureState.VARIES


def test_t72b3_column_marks() -> None:
    names = _consistent(["large_road_wheels_3_return_rollers=seen", "kontakt5_era=seen",
                         "sosna_u_sight=seen"])
    assert names == ["T-72B3"]


def test_families_are_told_apart_by_running_gear() -> None:
    assert all(n.startswith("T-80") for n in _consistent(["road_wheels_5_return_rollers=seen"]))


def test_bad_marks_and_families_raise_config_errors() -> None:
    checklist = load_checklist()
    with pytest.raises(ConfigError, match="valid features"):
        parse_marks(["turbo_laser=seen"], checklist)
    with pytest.raises(ConfigError, match="seen, absent, not_visible"):
        parse_marks(["kontakt1_era=maybe"], checklist)
    with pytest.raises(ConfigError, match="FEATURE="):
        parse_marks(["kontakt1_era"], checklist)
    with pytest.raises(ConfigError, match="T-64, T-72, T-80"):
        load_checklist(["Leopard 2"])
