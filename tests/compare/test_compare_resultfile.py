"""A comparison file is untrusted: schema, panel paths, image size and GPS are checked."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from sitewatch.compare.resultfile import (
    MAX_PANEL_PIXELS,
    attached_comparisons,
    load_comparison,
    read_panel,
)
from sitewatch.compare.workflow import _panel_reference
from sitewatch.errors import ConfigError

TRACE = {"source_path": "q.jpg", "source_sha256": "a" * 64, "kind": "photo",
         "frame_sha256": "b" * 64, "width_px": 60, "height_px": 40,
         "exif_lonlat": [30.52, 50.45], "container_lonlat": None}


def _query(**extra: object) -> dict[str, object]:
    return {"query": "q.jpg", "sha256": "c" * 64, "kind": "photo", "best_frame": dict(TRACE),
            "frames": [{"trace": dict(TRACE), "crops": [], "ranking": []}],
            "ranking": [{"gallery": "t72", "similarity": 0.31,
                         "best_references": [{"path": "a.jpg"}]}], **extra}


def _write(folder: Path, document: object, name: str = "compare.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(document))
    return path


def _panel(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((40, 60, 3), 90, dtype=np.uint8)).save(path)
    return path


def test_a_well_formed_result_loads_with_its_panel(tmp_path: Path) -> None:
    _panel(tmp_path / "panels" / "p.png")
    path = _write(tmp_path, {"stage": "compare", "queries": [_query(panel="panels/p.png"),
                                                             _query()]})
    checked = load_comparison(path)
    assert checked.panels == ((tmp_path / "panels" / "p.png").resolve(), None)


def test_gps_positions_are_dropped_unless_asked(tmp_path: Path) -> None:
    path = _write(tmp_path, {"queries": [_query()]})
    dropped = json.dumps(load_comparison(path).document)
    assert "30.52" not in dropped and "50.45" not in dropped
    kept = load_comparison(path, keep_gps=True).document
    assert kept["queries"][0]["best_frame"]["exif_lonlat"] == [30.52, 50.45]  # type: ignore[index]


def test_local_folders_and_the_login_are_not_kept(tmp_path: Path) -> None:
    """Issue 24: `compare` given absolute paths writes them into its result; the copy a case
    stores (and a report may publish) names the files only, with their hashes."""
    trace = {**TRACE, "source_path": "/home/analyst7/leads/q.jpg"}
    query = {**_query(), "query": "/home/analyst7/leads/q.jpg", "best_frame": trace,
             "ranking": [{"gallery": "t72", "similarity": 0.3, "best_references": [
                 {"path": "C:\\Users\\analyst7\\refs\\a.jpg"}, {"path": "../../refs/b.jpg"},
                 {"path": "refs/c.jpg"}]}]}
    path = _write(tmp_path, {"galleries": [{"name": "t72", "folder": "~/refs", "files": []}],
                             "queries": [query]})
    stored = load_comparison(path).document
    assert "analyst7" not in json.dumps(stored) and "~" not in json.dumps(stored)
    first = stored["queries"][0]  # type: ignore[index]
    assert (first["query"], first["best_frame"]["source_path"]) == ("q.jpg", "q.jpg")
    assert [r["path"] for r in first["ranking"][0]["best_references"]] == ["a.jpg", "b.jpg",
                                                                           "refs/c.jpg"]
    assert stored["galleries"][0]["folder"] == "refs"  # type: ignore[index]


@pytest.mark.parametrize("document, complaint", [
    ({"queries": [_query(panel_path="/etc/passwd")]}, "unknown key 'panel_path'"),
    ({"queries": [], "extra": 1}, "unknown key 'extra'"),
    # fuzz corpus file 208 of seed 0: a query's sha256 held a Windows path, and was stored
    ({"queries": [_query(sha256="C:\\Windows\\win.ini")]}, "expected a SHA-256"),
    ({"queries": [_query(ranking=[{"gallery": "t72", "similarity": float("nan")}])]},
     "NaN"),
    ({"queries": [_query(ranking=[{"gallery": "t72", "similarity": 1e300}])]}, "out of range"),
    ({"queries": [_query(kind="script")]}, "not one of photo, video"),
    ({"queries": [_query(query=5)]}, "expected text"),
    ({"queries": {"a": 1}}, "expected a list"),
    ({"queries": [_query(seconds=True)]}, "expected a number"),
    ([1, 2], "expected an object"),
    ({}, "missing key 'queries'"),
])
def test_anything_but_the_compare_layout_is_refused(tmp_path: Path, document: object,
                                                    complaint: str) -> None:
    path = tmp_path / "compare.json"
    path.write_text(json.dumps(document, allow_nan=True))
    with pytest.raises(ConfigError, match=r"compare\.json") as caught:
        load_comparison(path)
    assert complaint in str(caught.value) and "\n" not in str(caught.value)


def test_deep_nesting_and_broken_json_are_one_line_refusals(tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"queries": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ConfigError, match=r"deep\.json"):
        load_comparison(deep)
    broken = tmp_path / "broken.json"
    broken.write_bytes(b'{"queries": [\xff')
    with pytest.raises(ConfigError, match=r"broken\.json"):
        load_comparison(broken)


@pytest.mark.parametrize("panel", ["/etc/passwd", "../outside.png", "panels/../../outside.png",
                                   "..\\outside.png", " "])
def test_panels_outside_the_json_folder_are_refused(tmp_path: Path, panel: str) -> None:
    _panel(tmp_path / "outside.png")
    path = _write(tmp_path / "result", {"queries": [_query(panel=panel)]})
    with pytest.raises(ConfigError, match=r"compare\.json"):
        load_comparison(path)


def test_a_link_out_of_the_json_folder_is_refused(tmp_path: Path) -> None:
    secret = _panel(tmp_path / "elsewhere" / "secret.png")
    folder = tmp_path / "result"
    folder.mkdir()
    (folder / "p.png").symlink_to(secret)
    path = _write(folder, {"queries": [_query(panel="p.png")]})
    with pytest.raises(ConfigError, match="outside its folder"):
        load_comparison(path)


def test_a_panel_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p.png").write_text("root:x:0:0:root:/root:/bin/bash\n")
    path = _write(tmp_path, {"queries": [_query(panel="p.png")]})
    panel = load_comparison(path).panels[0]
    assert panel is not None
    with pytest.raises(ConfigError, match="cannot be decoded"):
        read_panel(panel, source=path)


def _png_declaring(path: Path, width: int, height: int) -> Path:
    """A tiny PNG whose header declares ``width``×``height`` pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("side", [7000, 50_000])
def test_a_panel_declaring_too_many_pixels_is_refused_before_decoding(tmp_path: Path,
                                                                      side: int) -> None:
    assert side * side > MAX_PANEL_PIXELS
    panel = _png_declaring(tmp_path / "big.png", side, side)
    assert panel.stat().st_size < 200
    with pytest.raises(ConfigError, match=r"big\.png"):
        read_panel(panel, source=tmp_path / "compare.json")


def test_read_panel_strips_metadata(tmp_path: Path) -> None:
    panel = tmp_path / "p.jpg"
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (47.0, 14.0, 0.0)}
    Image.fromarray(np.full((40, 60, 3), 128, dtype=np.uint8)).save(panel, exif=exif)
    png = read_panel(panel, source=tmp_path / "compare.json")
    (tmp_path / "out.png").write_bytes(png)
    with Image.open(tmp_path / "out.png") as copy:
        assert copy.size == (60, 40) and not copy.getexif() and "exif" not in copy.info


def test_stored_comparison_is_checked_again_when_read(tmp_path: Path) -> None:
    folder = tmp_path / "comparison"
    _panel(folder / "panel-000.png")
    _write(folder, {"queries": [_query(panel="panel-000.png")]}, "comparison.json")
    (query,) = attached_comparisons(folder)
    assert query["panel_path"] == folder / "panel-000.png"
    # An edited stored copy: an extra key, a panel name outside the folder, or not a PNG.
    for edit in ({"panel_path": "/etc/passwd"}, {"panel": "../../etc/passwd"},
                 {"panel": "/etc/passwd"}):
        _write(folder, {"queries": [_query(**{"panel": "panel-000.png", **edit})]},
               "comparison.json")
        with pytest.raises(ConfigError, match="comparison"):
            attached_comparisons(folder)
    (folder / "panel-000.png").write_text("not a png")
    _write(folder, {"queries": [_query(panel="panel-000.png")]}, "comparison.json")
    with pytest.raises(ConfigError, match=r"panel-000\.png"):
        attached_comparisons(folder)


def test_compare_names_panels_relative_to_the_json(tmp_path: Path) -> None:
    out = tmp_path / "result" / "compare.json"
    assert _panel_reference(tmp_path / "result" / "panels" / "p.png", out) == "panels/p.png"
    outside = tmp_path / "panels" / "p.png"  # named, not located: the result is shared
    assert _panel_reference(outside, out) == "p.png"


_json = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=4),
    max_leaves=20,
)


@settings(deadline=None, max_examples=150)
@given(query=st.dictionaries(st.sampled_from(["query", "sha256", "kind", "ranking", "panel",
                                              "frames", "best_frame", "seconds", "x"]),
                             _json, max_size=6))
def test_arbitrary_json_is_refused_or_loaded_never_a_crash(query: dict[str, object]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "compare.json"
        path.write_text(json.dumps({"queries": [query]}))
        try:
            load_comparison(path)
        except ConfigError as exc:
            assert "\n" not in str(exc)
