"""The `sitewatch shadow` and `sitewatch media` commands."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.catalog import CaseStore
from sitewatch.cli.main import main
from tests.where.where_fixtures import scene, write_photo

MARKS = ["--base", "500,600", "--top", "500,400", "--tip", "658.7,600"]


@pytest.mark.parametrize("command", ["shadow", "media"])
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0 and "usage" in capsys.readouterr().out


def test_shadow_place_time_recorded_in_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = CaseStore.init(tmp_path / "case")
    code = main(["shadow", *MARKS, "--place", "48.03,37.97", "--time", "2014-06-11T10:00+03:00",
                 "--case", str(store.root), "--id", "s1", "--cite-as", "E1"])
    out = capsys.readouterr().out
    assert code == 0 and "the claim fits" in out and "pvlib" in out
    assert (store.layout.where / "s1.json").is_file()
    assert main(["shadow", *MARKS, "--place", "48.03,37.97", "--time", "2014-06-11T16:00+03:00"]) == 0
    assert "does NOT fit" in capsys.readouterr().out


def test_shadow_needs_a_question(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["shadow", *MARKS]) == 2
    assert "say what to check" in capsys.readouterr().err
    assert main(["shadow", "--place", "48,37", "--time", "2014-06-11T07:00Z"]) == 2
    assert "--base" in capsys.readouterr().err
    assert main(["shadow", *MARKS, "--place", "48,37", "--time", "2014-06-11T07:00"]) == 2
    assert "no time zone" in capsys.readouterr().err


def test_media_lists_what_it_recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = CaseStore.init(tmp_path / "case")
    photo = write_photo(tmp_path / "p.jpg", scene(7), lon_deg=37.97, lat_deg=48.03, software="GIMP 2.10")
    assert main(["media", str(store.root), str(photo)]) == 0
    out = capsys.readouterr().out
    assert "48.03000" in out and "editing sign: editor named: GIMP 2.10" in out
    assert main(["media", str(store.root)]) == 0
    assert "p.jpg" in capsys.readouterr().out
    assert main(["media", str(store.root), str(tmp_path / "missing.jpg")]) == 2
