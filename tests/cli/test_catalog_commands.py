from __future__ import annotations

from pathlib import Path

import pytest

from sitewatch.cli.main import COMMANDS, main


def _case(tmp_path: Path) -> Path:
    case = tmp_path / "case"
    assert main(["case", "init", str(case)]) == 0
    return case


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: sitewatch" in capsys.readouterr().out


def test_ingest_then_verify(tmp_path: Path, tiny_geotiff: Path, tiny_png: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    case = _case(tmp_path)
    assert main(["ingest", str(case), str(tiny_geotiff), "--site", "a", "--date", "2014-05-30"]) == 0
    assert main(["ingest", str(case), str(tiny_png), "--site", "a", "--date", "2014-06-11",
                 "--gsd", "0.3", "--source", "test fixture", "--licence", "CC0"]) == 0
    out = capsys.readouterr().out
    assert "georeferenced" in out and "not georeferenced" in out
    assert main(["verify", str(case)]) == 0
    assert "OK: 2 originals" in capsys.readouterr().out


def _bad_inputs(tmp_path: Path, tiny_png: Path, tiny_jpeg: Path) -> list[tuple[list[str], str]]:
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(tiny_png.read_bytes()[:300])
    empty = tmp_path / "empty.tif"
    empty.write_bytes(b"")
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    return [
        ([str(truncated), "--date", "2014-06-11", "--gsd", "0.3"], "truncated.png"),
        ([str(empty), "--date", "2014-06-11", "--gsd", "0.3"], "empty.tif"),
        ([str(text), "--date", "2014-06-11", "--gsd", "0.3"], "notes.jpg"),
        ([str(tiny_jpeg), "--date", "2014-13-40", "--gsd", "0.3"], "YYYY-MM-DD"),
        ([str(tiny_jpeg), "--date", "2014-06-11"], "--gsd"),
        ([str(tiny_jpeg)], "--date"),
        ([str(tmp_path / "absent.tif"), "--date", "2014-06-11", "--gsd", "0.3"], "absent.tif"),
    ]


def test_bad_input_gives_one_line_error_exit_2_and_leaves_case_intact(
    tmp_path: Path, tiny_png: Path, tiny_jpeg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = _case(tmp_path)
    assert main(["ingest", str(case), str(tiny_png), "--site", "a", "--date", "2014-05-30",
                 "--gsd", "0.3"]) == 0
    before = sorted(p.name for p in case.rglob("*") if p.is_file())
    for args, expected in _bad_inputs(tmp_path, tiny_png, tiny_jpeg):
        capsys.readouterr()
        assert main(["ingest", str(case), *args, "--site", "a"]) == 2, args
        err = capsys.readouterr().err.strip()
        assert err.startswith("sitewatch: error:") and "\n" not in err, err
        assert expected in err, err
    assert sorted(p.name for p in case.rglob("*") if p.is_file()) == before
    assert main(["verify", str(case)]) == 0


def test_not_a_case(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path)]) == 2
    assert "sitewatch case init" in capsys.readouterr().err


def test_verify_fails_after_tampering(tmp_path: Path, tiny_png: Path) -> None:
    case = _case(tmp_path)
    main(["ingest", str(case), str(tiny_png), "--site", "a", "--date", "2014-05-30", "--gsd", "1"])
    (case / "audit.jsonl").write_text("")
    assert main(["verify", str(case)]) == 1


def test_escape_sequences_in_file_names_do_not_reach_the_terminal(
    tmp_path: Path, tiny_png: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    case = _case(tmp_path)
    hostile = tmp_path / "scene\x1b]0;owned\x07\x1b[2J\nOK: forged.png"
    hostile.write_bytes(tiny_png.read_bytes())
    assert main(["ingest", str(case), str(hostile), "--site", "a", "--date", "2014-05-30",
                 "--gsd", "0.3"]) == 0
    assert main(["ingest", str(case), str(tmp_path / "gone\x1b[31m.png"), "--site", "a",
                 "--date", "2014-05-30", "--gsd", "0.3"]) == 2
    printed = capsys.readouterr()
    for stream in (printed.out, printed.err):
        assert "\x1b" not in stream and "\x07" not in stream
    assert "added scene?]0;owned??[2J?OK: forged.png" in printed.out
    assert printed.out.count("\n") == 2  # case init and one ingest line: nothing forged
