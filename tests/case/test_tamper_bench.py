"""Issue 24: the tamper benchmark tampers with real copies of a real case and runs the real
``verify`` and ``replay``; it tells caught from missed, sees a traceback, and finds a local
path in every kind of published file. A fast subset runs here; ``bench --tamper`` runs all."""

from __future__ import annotations

import base64
import sqlite3
import zipfile
import zlib
from contextlib import closing
from pathlib import Path

import pytest

from sitewatch.case.fuzzing import snapshot
from sitewatch.case.leaks import find_leaks, leak_markers
from sitewatch.case.tamper_bench import (
    BUILD_FOLDER,
    build_case,
    catalog_content,
    published_head,
    run_tamper_benchmark,
    try_tamper,
)
from sitewatch.case.tampering import CaseFiles, Tamper, flip_offsets, page_kinds, tampers
from sitewatch.cli.main import main

#: The fast subset: one or more of each family the audit named, and three catalog flips.
SUBSET = ("scene date", "scene licence", "detection position", "run deleted", "manifest emptied",
          "audit lines reordered", "derived/report.html one byte flipped", "original removed")


def test_flip_offsets_hit_every_page_header_then_seeded_bytes() -> None:
    offsets = flip_offsets(5 * 4096, 40, seed=3, page_size=4096, free_pages=(4,))
    assert offsets[:5] == [100, 4096, 8192, 12288, 16384]
    assert offsets[5:7] == [16, 18] and 3 * 4096 + 2048 in offsets  # file header, free page
    assert len(set(offsets)) == 40 and all(0 <= o < 5 * 4096 for o in offsets)
    assert offsets == flip_offsets(5 * 4096, 40, seed=3, page_size=4096, free_pages=(4,))
    assert offsets[-8:] != flip_offsets(5 * 4096, 40, seed=4, page_size=4096, free_pages=(4,))[-8:]


def test_page_kinds_finds_the_free_pages(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE t (x BLOB)")
        db.executemany("INSERT INTO t VALUES (?)", [(b"x" * 3000,)] * 20)
        db.execute("DELETE FROM t")
    kinds = page_kinds(path)
    assert "free" in kinds.values() and kinds[1] == "table leaf"


def test_leaks_are_found_in_every_kind_of_published_file(tmp_path: Path) -> None:
    folder = tmp_path / "probe-Xy9"
    folder.mkdir()
    secret = str(folder / "case" / "objects" / "a.tif").encode()
    files = {"report.html": tmp_path / "r.html", "report.pdf": tmp_path / "r.pdf",
             "e.kmz": tmp_path / "e.kmz", "e.gpkg": tmp_path / "e.gpkg", "clean.csv": tmp_path / "c.csv"}
    files["report.html"].write_bytes(b"<img src='data:image/png;base64,"
                                     + base64.b64encode(b"PNG tEXt " + secret) + b"'>")
    stream = zlib.compress(b"BT (" + secret + b") Tj ET")
    files["report.pdf"].write_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nstream\n" + stream + b"\nendstream\n")
    with zipfile.ZipFile(files["e.kmz"], "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("doc.kml", b"<kml><description>" + secret + b"</description></kml>")
    with closing(sqlite3.connect(files["e.gpkg"])) as db, db:
        db.execute("CREATE TABLE f (name TEXT)")
        db.execute("INSERT INTO f VALUES (?)", (secret.decode(),))
    files["clean.csv"].write_text("image,label\na.tif,car\n")
    found = find_leaks(files, leak_markers(folder))
    assert {leak.file for leak in found} == {"report.html", "report.pdf", "e.kmz", "e.gpkg"}
    assert all("probe-Xy9" in leak.context or "/" in leak.context for leak in found)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, CaseFiles]:
    """The demo case with one audited correction and its report (``build_case(full=False)``)."""
    work = tmp_path_factory.mktemp("tamper")
    base, files, _ = build_case(work / BUILD_FOLDER, main, full=False)
    return work, base, files


def test_a_tampering_nothing_checks_is_reported_missed_and_a_traceback_a_crash(
        built: tuple[Path, Path, CaseFiles]) -> None:
    """The harness can fail: a file planted in derived/ (no entry logged it, so neither command
    looks at it) is 'missed'; undoing nothing is 'repaired'; a crash is seen."""
    work, base, _ = built
    state, content = snapshot(base), catalog_content(base / "catalog.sqlite")
    head = published_head(base / "derived" / "report.html")

    def planted(case: Path) -> None:
        (case / "derived" / "report-final.html").write_text("<p>forged</p>")

    missed = try_tamper(Tamper(name="planted", family="derived file", edit=planted), base, work,
                        main, head=head, base_state=state, base_content=content)
    assert missed.outcome == "missed" and not missed.crash

    def broken_audit(case: Path) -> None:
        (case / "audit.jsonl").write_bytes(b"[" * 100_000 + b"\n")

    def crashing(argv: list[str]) -> int:
        raise KeyError(argv[0])

    crashed = try_tamper(Tamper(name="x", family="audit log", edit=broken_audit), base, work,
                         crashing, head=head, base_state=state, base_content=content)
    assert crashed.crash and crashed.outcome == "caught"
    same = try_tamper(Tamper(name="nothing", family="catalog row", edit=lambda case: None), base,
                      work, main, head=head, base_state=state, base_content=content)
    assert same.outcome == "repaired" and same.replay_said.startswith("REPRODUCED")


def test_every_tampering_applies_to_the_built_case(built: tuple[Path, Path, CaseFiles],
                                                  tmp_path: Path) -> None:
    """Each edit changes the copy (the SQL edits refuse to change nothing), none raises."""
    import shutil

    _, base, files = built
    assert "derived/report.html" in files.derived and "config/zones.geojson" in files.attached
    state = snapshot(base)
    for tamper in tampers(files, base / "catalog.sqlite", flips=5):
        copy = tmp_path / "copy"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(base, copy)
        tamper.edit(copy)
        assert snapshot(copy) != state, tamper.name


def test_the_fast_subset_is_all_caught_without_a_crash(tmp_path: Path) -> None:
    summary = run_tamper_benchmark(
        tmp_path, main, flips=3, full=False,
        only=lambda t: t.name in SUBSET or t.flip_offset is not None)
    assert summary.cases == len(SUBSET) + 3
    assert summary.crashes == [] and summary.missed == [], summary.to_json(records=False)
    assert summary.leaks == [] and summary.caught >= len(SUBSET)


def test_a_path_in_a_real_pdfs_page_text_is_found(tmp_path: Path) -> None:
    """WeasyPrint writes text as subset-font glyph codes, so the inflated streams do not hold the
    path: only the page text that pypdfium2 extracts (a declared dependency of the pdf and test
    extras) does."""
    from weasyprint import HTML

    folder = tmp_path / "probe-Pq7"
    folder.mkdir()
    pdf = tmp_path / "r.pdf"
    HTML(string=f"<p>original at {folder}/case/objects/a.tif</p>").write_pdf(pdf)
    found = find_leaks({"report.pdf": pdf}, leak_markers(folder))
    assert {leak.marker.split(" in ")[-1] for leak in found} == {"page 1 text"}
