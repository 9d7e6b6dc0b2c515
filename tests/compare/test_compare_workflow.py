from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from sitewatch.compare import CompareOptions, compare_files, parse_gallery_spec
from sitewatch.compare.comparison import combine_rankings
from sitewatch.compare.resultfile import load_comparison
from sitewatch.compare.types import BoxPx, GalleryScore, ReferenceMatch
from sitewatch.errors import CompareError, ConfigError
from tests.compare.compare_fixtures import vehicle_scene, write_image, write_video


@pytest.fixture(scope="module")
def galleries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("galleries")
    for seed in range(3):
        write_image(root / "tracked" / f"t{seed}.png", vehicle_scene(100 + seed, kind="tracked"))
        write_image(root / "stripes" / f"s{seed}.jpg", vehicle_scene(200 + seed, kind="stripes"))
    (root / "stripes" / "README.txt").write_text("not a reference; ignored")
    return {"Tracked": root / "tracked", "Stripes": root / "stripes"}


def test_photo_and_video_queries_rank_the_right_gallery(tmp_path: Path,
                                                       galleries: dict[str, Path]) -> None:
    photo = write_image(tmp_path / "q.webp", vehicle_scene(7, kind="tracked"))
    video = write_video(tmp_path / "q.mp4", [vehicle_scene(8, kind="tracked"),
                                             vehicle_scene(9, kind="tracked", size=(240, 320))])
    out = tmp_path / "out" / "result.json"
    results = compare_files([photo, video], galleries, out,
                            options=CompareOptions(panel_dir=tmp_path / "panels", threads=1,
                                                   marks=("kontakt1_era=seen",),
                                                   families=("T-64",)))
    assert [r.ranking[0].name for r in results] == ["Tracked", "Tracked"]
    document = json.loads(out.read_text())
    assert document["stage"] == "compare"
    assert {m["licence"] for m in document["models"]} == {"Apache-2.0", "AGPL-3.0"}
    query = document["queries"][0]
    assert query["kind"] == "photo" and query["ranking"][0]["gallery"] == "Tracked"
    for score in query["ranking"]:  # each gallery set against its baseline, and saying so
        raw = 0.5 * (score["nearest_similarity"] + score["mean_similarity"])
        baseline = max(0.0, score["baseline_similarity"])
        assert score["similarity"] == pytest.approx(raw - baseline, abs=2e-4)
    best = query["ranking"][0]["best_references"][0]
    # published: the reference is named, not the folder it lies in (issue 24)
    assert best["path"] in {p.name for p in galleries["Tracked"].iterdir()}
    assert len(best["sha256"]) == 64
    assert (tmp_path / "panels" / query["panel"]).is_file()
    video_entry = document["queries"][1]
    assert video_entry["kind"] == "video"
    assert all(f["trace"]["timestamp_s"] is not None for f in video_entry["frames"])
    assert [v["variant"] for v in document["checklist"]["consistent_variants"]] == ["T-64BV"]
    names = {Path(f["path"]).name for g in document["galleries"] for f in g["files"]}
    assert "README.txt" not in names and len(names) == 6
    panels = sorted((tmp_path / "panels").iterdir())
    assert [p.suffix for p in panels] == [".png", ".png"]


def test_the_written_result_carries_no_local_folder_and_no_gps_unless_asked(
        tmp_path: Path, galleries: dict[str, Path]) -> None:
    """Issue 24: ``compare --out`` carried the absolute paths given on its command line and the
    photo's GPS position; only the copy a case stores was cleaned."""
    from PIL import Image

    photo = tmp_path / "photos" / "gps.jpg"
    photo.parent.mkdir()
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (50.0, 27.0, 0.0), 3: "E", 4: (30.0, 31.0, 12.0)}
    Image.fromarray(vehicle_scene(5, kind="tracked")).save(photo, exif=exif)
    for keep_gps in (False, True):
        out = tmp_path / f"out-{keep_gps}" / "result.json"
        compare_files([photo.resolve()], galleries, out,
                      options=CompareOptions(panel_dir=tmp_path / "panels", threads=1,
                                             keep_gps=keep_gps))
        text = out.read_text()
        for folder in (tmp_path, *galleries.values(), Path.home()):
            assert str(folder) not in text
        (query,) = json.loads(text)["queries"]
        assert query["query"] == "gps.jpg" and query["panel"] == "compare_00_gps.png"
        lonlat = query["best_frame"]["exif_lonlat"]
        assert lonlat == (pytest.approx([30.52, 50.45], abs=0.01) if keep_gps else None)


def test_query_inside_a_gallery_is_held_out(tmp_path: Path, galleries: dict[str, Path]) -> None:
    query = galleries["Tracked"] / "t0.png"
    (result,) = compare_files([query], galleries, tmp_path / "r.json",
                              options=CompareOptions(threads=1))
    referenced = {ref.path for score in result.ranking for ref in score.best}
    assert str(query) not in referenced
    # what compare writes passes the schema a case checks before attaching it
    written = json.dumps(load_comparison(tmp_path / "r.json").document)
    assert json.loads(written)["queries"][0]["ranking"][0]["baseline_similarity"] is not None


def test_corrupt_query_writes_nothing(tmp_path: Path, galleries: dict[str, Path]) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg at all")
    out = tmp_path / "out.json"
    with pytest.raises(CompareError, match=re.escape("bad.jpg")):
        compare_files([bad], galleries, out,
                      options=CompareOptions(panel_dir=tmp_path / "panels", threads=1))
    assert not out.exists()
    assert not (tmp_path / "panels").exists() or not any((tmp_path / "panels").iterdir())


def test_a_refused_first_query_builds_no_gallery(tmp_path: Path, galleries: dict[str, Path]) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    seen: list[str] = []
    with pytest.raises(CompareError, match=re.escape("bad.png")):
        compare_files([bad], galleries, tmp_path / "out.json", options=CompareOptions(threads=1),
                      progress=lambda done, total, name: seen.append(name))
    assert seen == []


def test_corrupt_reference_is_named(tmp_path: Path, galleries: dict[str, Path]) -> None:
    broken = tmp_path / "broken_gallery"
    broken.mkdir()
    (broken / "r1.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    query = write_image(tmp_path / "q.png", vehicle_scene(3, kind="tracked"))
    with pytest.raises(CompareError, match=re.escape("r1.png")):
        compare_files([query], {"Broken": broken}, tmp_path / "o.json",
                      options=CompareOptions(threads=1))
    assert not (tmp_path / "o.json").exists()


def test_bad_arguments(tmp_path: Path, galleries: dict[str, Path]) -> None:
    query = write_image(tmp_path / "q.png", vehicle_scene(3, kind="tracked"))
    with pytest.raises(ConfigError, match=re.escape(".json")):
        compare_files([query], galleries, tmp_path / "out.txt")
    with pytest.raises(CompareError, match="at least one query"):
        compare_files([], galleries, tmp_path / "o.json")
    with pytest.raises(CompareError, match="does not exist"):
        compare_files([query], {"X": tmp_path / "nowhere"}, tmp_path / "o.json",
                      options=CompareOptions(threads=1))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CompareError, match="no usable reference"):
        compare_files([query], {"Empty": empty}, tmp_path / "o.json",
                      options=CompareOptions(threads=1))
    with pytest.raises(ConfigError, match="NAME=DIR"):
        parse_gallery_spec("just-a-folder")


def _score(name: str, similarity: float, path: str) -> GalleryScore:
    ref = ReferenceMatch(path=path, sha256="0" * 64, similarity=similarity,
                         box=BoxPx(x0_px=0, y0_px=0, x1_px=2, y1_px=2))
    return GalleryScore(name=name, similarity=similarity, nearest_similarity=similarity,
                        mean_similarity=similarity, reference_count=1, best=(ref,))


def test_video_ranking_averages_keyframes() -> None:
    frames = [(_score("A", 0.9, "a1"), _score("B", 0.1, "b1")),
              (_score("B", 0.6, "b2"), _score("A", 0.2, "a2"))]
    combined = combine_rankings(frames)
    assert [s.name for s in combined] == ["A", "B"]
    assert combined[0].similarity == pytest.approx(0.55)
    assert combined[1].nearest_similarity == pytest.approx(0.6)
    assert [r.path for r in combined[0].best] == ["a1"]
    assert np.isclose(combined[1].similarity, 0.35)


def test_progress_hears_each_gallery_then_each_query(tmp_path: Path,
                                                     galleries: dict[str, Path]) -> None:
    photo = write_image(tmp_path / "q.png", vehicle_scene(11, kind="stripes"))
    seen: list[tuple[int, int, str]] = []
    compare_files([photo], galleries, tmp_path / "r.json", options=CompareOptions(threads=1),
                  progress=lambda done, total, name: seen.append((done, total, name)))
    assert seen == [(1, 3, "gallery Tracked"), (2, 3, "gallery Stripes"), (3, 3, "q.png")]
