"""How a scene's GSD is chosen and recorded: given, georeferenced, or estimated from vehicles."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sitewatch.catalog import CaseStore, GsdSource, ingest_files
from sitewatch.catalog.ingest import choose_gsd
from sitewatch.errors import InputFileError
from sitewatch.imagery import GsdEstimate

EST = GsdEstimate(gsd_m=0.12, low_m=0.11, high_m=0.13, n_vehicles=20, method="planted lengths")
DEMO = Path(__file__).resolve().parents[2] / "src/sitewatch/demo/data/demo-depot_2014-08-05.tif"


def test_given_gsd_is_kept_and_a_wrong_one_is_named_with_both_values() -> None:
    choice = choose_gsd("x.jpg", given_m=0.3, georef_m=None, estimator=lambda: EST)
    assert choice.gsd_m == 0.3 and choice.source is GsdSource.USER
    assert "0.3 m" in choice.note and "0.12 m" in choice.note and "warning" in choice.note
    agrees = choose_gsd("x.jpg", given_m=0.125, georef_m=None, estimator=lambda: EST)
    assert agrees.note == "" and agrees.estimate == EST


def test_georeferenced_gsd_is_checked_too() -> None:
    choice = choose_gsd("x.tif", given_m=None, georef_m=0.5, estimator=lambda: EST)
    assert choice.source is GsdSource.GEOREFERENCE and "georeferenced GSD 0.5 m" in choice.note


def test_coarse_stated_gsd_is_not_checked_against_vehicles() -> None:
    def refuse() -> GsdEstimate:
        raise AssertionError("the estimator must not run for 5 m imagery")
    assert choose_gsd("naip.tif", given_m=None, georef_m=5.0, estimator=refuse).note == ""


def test_no_georeference_and_no_gsd_is_estimated_with_a_note() -> None:
    choice = choose_gsd("x.jpg", given_m=None, georef_m=None, estimator=lambda: EST)
    assert choice.source is GsdSource.ESTIMATED and choice.gsd_m == 0.12
    assert choice.note.startswith("note:") and "--gsd" in choice.note
    assert choice.provenance()["gsd_estimate"] == EST.to_dict()


def test_auto_overrides_the_georeference_and_says_when_they_disagree() -> None:
    choice = choose_gsd("x.tif", given_m=None, georef_m=0.3, auto=True, estimator=lambda: EST)
    assert choice.source is GsdSource.ESTIMATED and choice.gsd_m == 0.12
    assert "0.3 m" in choice.note


def test_no_estimate_and_nothing_stated_is_refused_with_the_next_step() -> None:
    with pytest.raises(InputFileError, match="pass --gsd METRES"):
        choose_gsd("x.jpg", given_m=None, georef_m=None, estimator=lambda: None)
    with pytest.raises(InputFileError, match="no georeference"):
        choose_gsd("x.jpg", given_m=None, georef_m=None)


def test_ingest_records_how_the_gsd_was_estimated(tmp_path: Path, tiny_jpeg: Path) -> None:
    store = CaseStore.init(tmp_path / "case")
    result = ingest_files(store, [tiny_jpeg], site="a", date=dt.date(2014, 6, 11),
                          estimate_gsd=lambda path: EST)
    (scene,) = result.added
    assert scene.gsd_source is GsdSource.ESTIMATED and scene.gsd_m == 0.12
    assert store.scenes()[0].gsd_source is GsdSource.ESTIMATED
    assert len(result.gsd_notes) == 1
    entries = [json.loads(line) for line in store.audit_path.read_text().splitlines()]
    assert _find(entries, "gsd_estimate") == EST.to_dict()  # the ingest entry says how


def _find(entry: object, key: str) -> object:
    if isinstance(entry, dict):
        if key in entry:
            return entry[key]
        for value in entry.values():
            if (found := _find(value, key)) is not None:
                return found
    if isinstance(entry, list):
        for value in entry:
            if (found := _find(value, key)) is not None:
                return found
    return None


def test_cli_gsd_auto_and_a_wrong_stated_gsd_on_real_pixels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sitewatch.cli.main import main

    jpeg = tmp_path / "screenshot.jpg"  # the demo's pixels without their georeference
    import cv2

    cv2.imwrite(str(jpeg), cv2.imread(str(DEMO)))
    (tmp_path / "b.jpg").write_bytes(jpeg.read_bytes() + b"\0")  # other bytes, same pixels
    case = tmp_path / "case"
    assert main(["case", "init", str(case)]) == 0
    assert main(["ingest", str(case), str(jpeg), "--site", "a", "--date", "2014-08-05"]) == 0
    out = capsys.readouterr().out
    assert "note:" in out and "estimated" in out
    assert main(["ingest", str(case), str(tmp_path / "b.jpg"), "--site", "a", "--date",
                 "2014-08-06", "--gsd", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "warning:" in out and "0.3 m" in out
    scenes = CaseStore.open(case).scenes()
    assert [s.gsd_source for s in scenes] == [GsdSource.ESTIMATED, GsdSource.USER]
    assert 0.06 < scenes[0].gsd_m < 0.17
