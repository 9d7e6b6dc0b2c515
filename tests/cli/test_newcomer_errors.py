"""Issue 23.5: the errors a newcomer meets are one clear line, and a refused command changes
nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from sitewatch.cli.main import main
from tests.cli.snapshots import snapshot


@pytest.fixture
def case(tmp_path: Path, tiny_geotiff: Path) -> Path:
    case = tmp_path / "case"
    assert main(["case", "init", str(case)]) == 0
    assert main(["ingest", str(case), str(tiny_geotiff), "--site", "a", "--date", "2014-05-30"]) == 0
    return case


def _refused(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(args) == 2, args
    err = capsys.readouterr().err.strip()
    assert err.startswith("sitewatch: error:") and "\n" not in err, err
    return err


def test_ingest_refusals_change_nothing(case: Path, tmp_path: Path, tiny_png: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    before = snapshot(case)
    ingest = ["ingest", str(case), "--site", "a"]
    assert "is a folder: pass the image files, e.g. " + f"{folder}/*.jpg" in _refused(
        [*ingest, str(folder), "--date", "2014-06-11", "--gsd", "0.3"], capsys)
    assert "in the future" in _refused(
        [*ingest, str(tiny_png), "--date", "2099-06-11", "--gsd", "0.3"], capsys)
    assert "before the first aerial photograph" in _refused(
        [*ingest, str(tiny_png), "--date", "1820-06-11", "--gsd", "0.3"], capsys)
    err = _refused([*ingest, str(tiny_png), "--date", "2014-06-11", "--gsd", "0.05"], capsys)
    assert "less than one car" in err and "tiny.png" in err
    assert "no case at 'nosuchcase'" in _refused(
        ["ingest", "nosuchcase", str(tiny_png), "--site", "a", "--date", "2014-06-11"], capsys)
    assert snapshot(case) == before
    assert not Path("nosuchcase").exists()


def test_reingesting_under_another_date_says_which_date_was_kept(
    case: Path, tiny_geotiff: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    assert main(["ingest", str(case), str(tiny_geotiff), "--site", "a", "--date", "2014-06-11"]) == 0
    out = capsys.readouterr().out
    assert "already stored tiny_geo.tif" in out
    assert "kept date 2014-05-30, site a); not the site or date given" in out
    assert "sitewatch scene redate" in out


def test_misspelt_case_names_say_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for command in (["detect"], ["track"], ["report"], ["verify"], ["scene", "list"]):
        assert "no case at 'nosuchcase'" in _refused([*command, "nosuchcase"], capsys), command
    assert list(tmp_path.iterdir()) == []


def test_output_suffixes_are_checked_before_any_work(
    case: Path, tmp_path: Path, tiny_geotiff: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    before = snapshot(case)
    err = _refused(["export", str(case), "--format", "kmz", "--out", str(tmp_path / "x.geojson")],
                   capsys)
    assert "does not match --format kmz" in err and "x.kmz" in err
    assert "cannot tell the format" in _refused(
        ["export", str(case), "--out", str(tmp_path / "x.txt")], capsys)
    assert "does not exist" in _refused(
        ["export", str(case), "--out", str(tmp_path / "absent" / "x.kmz")], capsys)
    assert snapshot(case) == before  # no audit entry, no file
    assert "must end in .csv or .geojson" in _refused(
        ["detect", str(tiny_geotiff), "--out", str(tmp_path / "found.txt")], capsys)
    assert "is a folder" in _refused(
        ["detect", str(tmp_path), "--out", str(tmp_path / "found.csv")], capsys)
    assert not (tmp_path / "found.txt").exists() and not (tmp_path / "found.csv").exists()
    # the format follows the suffix when --format is left out
    capsys.readouterr()
    assert main(["export", str(case), "--out", str(tmp_path / "x.geojson")]) == 0


def test_demo_into_a_used_folder_is_refused_and_a_second_default_run_gets_a_fresh_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sitewatch.demo import _free_folder

    used = tmp_path / "mine"
    used.mkdir()
    (used / "notes.txt").write_text("keep me")
    assert "not empty (a demo run before?)" in _refused(["demo", "--out", str(used)], capsys)
    assert snapshot(used) == {"notes.txt": hashlib.sha256(b"keep me").hexdigest()}
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sitewatch-demo").mkdir()
    (tmp_path / "sitewatch-demo" / "catalog.sqlite").write_text("")
    assert _free_folder(Path("sitewatch-demo")) == Path("sitewatch-demo-2")
