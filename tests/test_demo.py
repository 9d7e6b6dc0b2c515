"""The demo: the whole job on the shipped sample case, with the shipped model, on real pixels."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest

from sitewatch.catalog import CaseStore, verify_case
from sitewatch.cli.main import main
from sitewatch.demo import sample_data_dir


def test_sample_data_has_provenance_and_licence() -> None:
    data = sample_data_dir()
    readme = (data / "README.md").read_text()
    assert "MVRSD" in readme and "licence" in readme.lower()
    manifest = json.loads((data / "case.json").read_text())
    for scene in manifest["scenes"]:
        assert (data / scene["file"]).stat().st_size < 200_000
        assert scene["source"] and scene["licence"]


def test_demo_runs_end_to_end(tmp_path: Path, capsys: object) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    store = CaseStore.open(out)
    assert verify_case(store).ok
    scenes = store.scenes()
    assert len(scenes) == 3 and all(s.georeferenced for s in scenes)
    busiest = max(len(store.detections(s.sha256)) for s in scenes)
    assert busiest >= 3, "the shipped model should find vehicles in the sample imagery"
    html = (out / "derived" / "report.html").read_text()
    assert "demo-depot" in html and "Provenance appendix" in html
    # the count intervals use the shipped model's measured rates, not placeholders
    assert "cross-validation" in html and "placeholder" not in html
    # loaded-transporter counts say the detector cannot count them, with the figure measured
    note = html[html.index('class="meta loaded-note"'):]
    assert note.startswith('class="meta loaded-note">Loaded transporters (an armoured vehicle '
                           "standing on a transporter) are not measurable by the detector: the "
                           "loading rule with model sitewatch-vehicles-yolov8n-obb found 0 of 59")
    # evidence pointing at the case's own figures shows them beside the analyst's words: the
    # analyst's three loaded transporters against a detector that cannot count them
    assert ('class="measured">sitewatch: loaded transporters at demo-depot on 2014-08-05 are '
            "not measurable by the detector: the loading rule with model") in html
    assert "true number estimated at" in html
    # the alert line names its date and zone once
    assert "<li>2014-08-05: " in html and "north apron: 2014-08-05" not in html
    actions = [json.loads(line)["action"] for line in (out / "audit.jsonl").read_text().splitlines()]
    assert actions[:4] == ["case-init", "ingest", "ingest", "ingest"]
    assert "detect" in actions and actions[-1] == "report"


def test_the_demos_loaded_row_prints_no_figure_the_detector_cannot_make(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three tanks stand on transporters on 2014-08-05, and the detector's loading rule found
    none of 32 on generated series: a "0, interval 0-1" there would be a false certainty."""
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["track", str(out), "--counts", str(tmp_path / "counts.csv")]) == 0
    printed = capsys.readouterr().out
    row = next(x for x in printed.splitlines() if "2014-08-05 loaded_transporter" in x)
    assert row.split()[2:] == ["-", "-", "not", "measurable", "by", "the", "detector,", "analyst",
                               "marks", "only:", "none", "marked"]
    assert "loaded transporters are not measurable by the detector: the loading rule with model " \
           "sitewatch-vehicles-yolov8n-obb found 0 of 59 (none reported) on generated series" in printed
    armoured = next(x for x in printed.splitlines() if "2014-08-05 armored_vehicle" in x)
    assert armoured.split()[2:4] == ["10", "8"]  # the other rows keep their figures
    with (tmp_path / "counts.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    loaded = [r for r in rows if r["label"] == "loaded_transporter"]
    assert len(loaded) == 9 and all(r["observable"] == "yes" for r in loaded)
    for r in loaded:  # empty, never 0
        assert (r["detected"], r["estimate"], r["interval_lo"], r["interval_hi"]) == ("",) * 4
        assert "found 0 of 59" in r["rates_source"] and "none marked" in r["reason"]
    assert main(["export", str(out), "--format", "counts-geojson",
                 "--out", str(tmp_path / "counts.geojson")]) == 0
    features = json.loads((tmp_path / "counts.geojson").read_text())["features"]
    props = [f["properties"] for f in features if f["properties"]["label"] == "loaded_transporter"]
    assert len(props) == 9 and all(
        (p["detected"], p["estimate"], p["interval_lo"], p["interval_hi"], p["precision"])
        == (None,) * 5 for p in props)
    gpkg = tmp_path / "case.gpkg"
    assert main(["export", str(out), "--out", str(gpkg)]) == 0
    with sqlite3.connect(gpkg) as db:
        cells = db.execute("SELECT detected, estimate, interval_lo, interval_hi, rates_source FROM "
                           "counts WHERE label = 'loaded_transporter'").fetchall()
    assert len(cells) == 9 and all(c[:4] == (None,) * 4 and "found 0 of 59" in c[4] for c in cells)
    html = (out / "derived" / "report.html").read_text()
    rows_html = [r for r in html.split("<tr>") if "<td>loaded transporters</td>" in r]
    assert len(rows_html) == 9  # 3 dates, the site and its 2 zones
    assert all('<td class="unobs">none</td>' in r and "0–1" not in r for r in rows_html)
    assert all("not measurable by the detector, analyst marks only: none marked" in r
               for r in rows_html)
