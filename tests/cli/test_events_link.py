"""``sitewatch events`` and ``sitewatch link`` on the demo series with planted detections."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sitewatch.case.detections import to_record
from sitewatch.catalog import CaseStore, RunRecord, ingest_files, parse_date
from sitewatch.cli.main import main
from sitewatch.review.session import apply_decision
from tests.track.demo_series import DEMO, truth, truth_detections


@pytest.fixture
def demo_case(tmp_path: Path) -> Path:
    """The demo scenes ingested, with their truth boxes stored as one detection run."""
    case = tmp_path / "case"
    store = CaseStore.init(case)
    t = truth()
    by_file = {}
    for d in t["dates"]:
        result = ingest_files(store, [DEMO / d["file"]], site=t["site"],
                              date=parse_date(d["date"]), gsd_m=d["gsd_m"])
        by_file[result.added[0].sha256] = tuple(to_record(x) for x in truth_detections(d))
    run = RunRecord(run_id="planted", kind="detect", created_utc="2026-01-01T00:00:00+00:00",
                    model_name="truth", model_sha256="0" * 64, params={}, software={})
    store.save_run(run, by_file)
    # the model "truth" was never measured finding loaded transporters, so its loading rule
    # counts nothing: an analyst marks the three tanks on transporters, as a user would
    for scene, d in zip(store.scenes(), t["dates"], strict=True):
        for i, v in enumerate(d["vehicles"]):
            if v["loaded_on"] is not None:
                apply_decision(store, scene, "loaded", reviewer="Ana Lyst", detection_id=f"d{i}")
    return case


def test_events_csv(demo_case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "events.csv"
    code = main(["events", str(demo_case), "--out", str(out), "--zones",
                 str(DEMO / "zones.geojson"), "--alerts", str(DEMO / "alerts.toml")])
    assert code == 0
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(truth()["events"])
    assert {"site", "date_from", "date_to", "kind", "label", "zone", "x", "y", "lon",
            "lat"} <= set(rows[0])
    assert sum(r["kind"] == "departed" and r["label"] == "armored_vehicle" for r in rows) == 8
    assert all(r["lon"] and r["lat"] for r in rows)
    printed = capsys.readouterr().out
    assert "ALERT demo-depot 2014-08-05: 7 armored_vehicle in zone 'north apron'" in printed


def test_link_prints_verdicts_and_sources(demo_case: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "links.csv"
    code = main(["link", str(demo_case), str(DEMO / "sightings.csv"), "--boundary",
                 str(DEMO / "boundary.geojson"), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "8 armored_vehicle left demo-depot 2014-08-05..2014-08-07" in printed
    assert "PLAUSIBLE" in printed and "IMPLAUSIBLE" in printed
    assert "FM 100-2-1" in printed
    with out.open(newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 6


def test_link_with_a_bad_sightings_file_exits_2(demo_case: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "s.csv"
    bad.write_text("who,when\n")
    assert main(["link", str(demo_case), str(bad)]) == 2
    assert "missing columns" in capsys.readouterr().err


def test_events_use_the_files_attached_to_the_case(demo_case: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["attach", str(demo_case), "--zones", str(DEMO / "zones.geojson"),
                 "--alerts", str(DEMO / "alerts.toml")]) == 0
    capsys.readouterr()
    assert main(["events", str(demo_case), "--out", str(tmp_path / "e.csv")]) == 0
    printed = capsys.readouterr().out
    assert "ALERT demo-depot 2014-08-05: analyst marked 3 loaded_transporter in zone 'south " \
           "apron', more than 0" in printed
    assert "loaded transporters are not measurable by the detector: model truth was never " \
           "measured finding them" in printed


def test_track_prints_counts_with_intervals_and_their_source(
        demo_case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["track", str(demo_case)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("counts with a 90% interval from placeholder rates (precision 0.9, "
                              "recall 0.8): model truth has no measured rates")
    assert "estimate: the true number of vehicles, detected × precision ÷ recall" in printed
    # 10 armoured vehicles on 2014-08-05 (the truth boxes): 10 × 0.9 ÷ 0.8 = 11.25 estimated,
    # and the interval on the true number brackets the estimate
    line = next(x for x in printed.splitlines() if "2014-08-05 armored_vehicle " in x)
    n, estimate, interval = line.split()[-3:]
    lo, hi = (int(v) for v in interval.split("-"))
    assert (int(n), int(estimate)) == (10, 11)
    assert lo <= int(estimate) <= hi and lo < hi


def test_track_writes_every_count_with_its_meaning_to_csv(
        demo_case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "counts.csv"
    assert main(["track", str(demo_case), "--counts", str(out)]) == 0
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert f"wrote {len(rows)} counts to {out}" in capsys.readouterr().out
    counted = [r for r in rows if r["observable"] == "yes" and r["label"] != "loaded_transporter"]
    assert counted and all(
        int(r["interval_lo"]) <= float(r["estimate"]) <= int(r["interval_hi"]) for r in counted)
    assert all("90% interval for the true number" in r["interval_meaning"] for r in counted)
    assert all("placeholder rates" in r["rates_source"] for r in counted)
    # loaded transporters: the analyst's marks, no figure of the unmeasured detector's
    loaded = [r for r in rows if r["label"] == "loaded_transporter" and r["zone"] == ""]
    assert [(r["date"], r["detected"], r["estimate"], r["interval_lo"]) for r in loaded] == [
        ("2014-07-20", "", "", ""), ("2014-08-05", "", "", ""), ("2014-08-07", "", "", "")]
    assert [r["reason"].split(";")[0] for r in loaded] == [
        f"not measurable by the detector, analyst marks only: {m}"
        for m in ("none marked", "analyst marked 3", "none marked")]


def test_track_says_which_counts_saw_only_part_of_the_site(
        demo_case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the 2014-08-05 image covers 96 % of the reference date's footprint
    assert main(["track", str(demo_case)]) == 0
    lines = capsys.readouterr().out.splitlines()
    notes = [x.strip() for x in lines if "partial" in x]
    # once per date, after that date's rows, and not for the reference date itself
    assert notes[0].startswith("2014-08-05: partial, counts only the 96% of the site")
    assert [n.split(":")[0] for n in notes] == ["2014-08-05", "2014-08-07"]
    last_of_date = max(i for i, x in enumerate(lines)
                       if x.strip().startswith("2014-08-05 ") and "->" not in x)
    assert lines[last_of_date + 1].strip().startswith("2014-08-05: partial")
