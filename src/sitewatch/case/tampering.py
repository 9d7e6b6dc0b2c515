"""The tampering an adversary can do to a case folder, each a named edit of a copy of it.

:func:`tampers` lists every edit the tamper benchmark (:mod:`.tamper_bench`) applies, one per
fresh copy of a finished case: scene metadata, detections and runs edited in the SQLite
catalog; the report, the manifest, every export and every attached file edited (one byte,
appended text, cut short, replaced by the version an earlier command wrote, removed); the
audit log edited, cut, reordered, torn or rewritten with its chain recomputed; stored
originals edited or removed; and the catalog file itself damaged, including single-byte flips
at seeded offsets over the whole file (page headers and free pages among them).

Each edit is a pure function of the case folder and what :class:`CaseFiles` recorded while
the case was built, so a run is repeatable.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import sqlite3
import stat
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

#: Edit applied to a case folder.
Edit = Callable[[Path], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseFiles:
    """What the benchmark recorded of the case it built: the files it may edit (relative to
    the case) and the earlier versions of them that commands overwrote (``older``: relative
    path to a copy outside the case)."""

    derived: tuple[str, ...]
    attached: tuple[str, ...]
    older: tuple[tuple[str, Path], ...]
    older_audit: Path
    older_catalog: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class Tamper:
    """One tampering: its name, its family, the edit, and whether ``verify`` is given the
    audit head published in the report (as anyone holding the report would)."""

    name: str
    family: str
    edit: Edit
    with_head: bool = False
    flip_offset: int | None = None


def _writable(path: Path) -> None:
    path.chmod(path.stat().st_mode | stat.S_IWUSR)


def _sql(*statements: str) -> Edit:
    """Run SQL on the catalog, as anyone with the sqlite3 shell can; each statement must
    change a row (else the benchmark's tampering is wrong, not the case)."""
    def edit(case: Path) -> None:
        with closing(sqlite3.connect(case / "catalog.sqlite")) as db, db:
            for statement in statements:
                if db.execute(statement).rowcount == 0 and not statement.lstrip().upper().startswith(
                        ("DROP", "CREATE")):
                    raise RuntimeError(f"tamper SQL changed nothing: {statement}")
    return edit


_FIRST_SCENE = "(SELECT sha256 FROM scenes ORDER BY date LIMIT 1)"
_ONE_DETECTION = "(SELECT MIN(rowid) FROM detections)"


def sqlite_tampers() -> list[Tamper]:
    """Rows of the catalog edited with SQL: scene metadata, detections, runs, the head."""
    scene = f"UPDATE scenes SET {{}} WHERE sha256 = {_FIRST_SCENE}"
    detection = f"UPDATE detections SET {{}} WHERE rowid = {_ONE_DETECTION}"
    edits = {
        "scene date": scene.format("date = '2014-06-01'"),
        "scene site": scene.format("site = 'elsewhere'"),
        "scene name": scene.format("original_name = 'other.tif'"),
        "scene source": scene.format("source = 'forged source'"),
        "scene licence": scene.format("licence = 'CC0'"),
        "scene gsd": scene.format("gsd_m = gsd_m * 2"),
        "scene transform": scene.format(
            "transform = json_array(json_extract(transform, '$[0]'), json_extract(transform, '$[1]'),"
            " json_extract(transform, '$[2]') + 500, json_extract(transform, '$[3]'),"
            " json_extract(transform, '$[4]'), json_extract(transform, '$[5]'))"),
        "scene crs": scene.format("crs_wkt = 'LOCAL_CS[\"forged\"]'"),
        "scene footprint": scene.format("footprint_lonlat_wkt = 'POLYGON ((0 0, 1 0, 1 1, 0 0))'"),
        "scene retired": scene.format("retired = 1"),
        "scene size": scene.format("width_px = width_px + 1"),
        "detection box moved": detection.format("cx_px = cx_px + 40"),
        "detection box resized": detection.format("width_px = width_px * 2"),
        "detection box turned": detection.format("angle_rad = angle_rad + 0.5"),
        "detection score": detection.format("score = 0.99"),
        "detection label": detection.format("label = CASE label WHEN 'car' THEN 'truck' ELSE 'car' END"),
        "detection position": detection.format("lon_deg = lon_deg + 0.001"),
    }
    out = [Tamper(name=name, family="catalog row", edit=_sql(sql)) for name, sql in edits.items()]
    out += [
        Tamper(name="detection deleted", family="catalog row",
               edit=_sql(f"DELETE FROM detections WHERE rowid = {_ONE_DETECTION}")),
        Tamper(name="detection added", family="catalog row", edit=_sql(
            "INSERT INTO detections SELECT run_id, scene_sha256, label, score, cx_px + 100, cy_px,"
            " width_px, height_px, angle_rad, lon_deg, lat_deg FROM detections"
            f" WHERE rowid = {_ONE_DETECTION}")),
        Tamper(name="run deleted", family="catalog row", edit=_sql(
            "DELETE FROM detections", "DELETE FROM scene_runs", "DELETE FROM runs")),
        Tamper(name="run added", family="catalog row", edit=_sql(
            "INSERT INTO runs SELECT 'f0f0f0f0f0f0f0f0', kind, '2999-01-01T00:00:00+00:00', model_name,"
            " model_sha256, params, software FROM runs LIMIT 1",
            f"INSERT INTO scene_runs VALUES ({_FIRST_SCENE}, 'f0f0f0f0f0f0f0f0')",
            "INSERT INTO detections SELECT 'f0f0f0f0f0f0f0f0', scene_sha256, label, score, cx_px, cy_px,"
            f" width_px, height_px, angle_rad, lon_deg, lat_deg FROM detections WHERE scene_sha256 = "
            f"{_FIRST_SCENE} LIMIT 2")),
        Tamper(name="run parameters edited", family="catalog row", edit=_sql(
            "UPDATE runs SET params = json_set(params, '$.score_threshold', 0.6)")),
        Tamper(name="run model hash edited", family="catalog row", edit=_sql(
            "UPDATE runs SET model_sha256 = 'ab' || substr(model_sha256, 3)")),
        Tamper(name="scene deleted", family="catalog row", edit=_sql(
            f"DELETE FROM detections WHERE scene_sha256 = {_FIRST_SCENE}",
            f"DELETE FROM scene_runs WHERE scene_sha256 = {_FIRST_SCENE}",
            f"DELETE FROM scenes WHERE sha256 = {_FIRST_SCENE}")),
        Tamper(name="scene change history edited", family="catalog row", edit=_sql(
            "DROP TRIGGER scene_changes_no_update",
            "UPDATE scene_changes SET reason = 'forged reason', new = '2014-06-30'")),
        Tamper(name="audit head in the catalog moved back", family="catalog row", edit=_sql(
            "UPDATE meta SET value = json_set(value, '$.seq', json_extract(value, '$.seq') - 1) "
            "WHERE key = 'audit_head'")),
    ]
    return out


def _flip_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _append(path: Path) -> None:
    path.write_bytes(path.read_bytes() + b"\n<!-- appended -->\n")


def _cut(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _file_edit(relative: str, how: Callable[[Path], None]) -> Edit:
    def edit(case: Path) -> None:
        path = case / relative
        _writable(path)
        before = path.read_bytes()
        how(path)
        if path.exists() and path.read_bytes() == before:
            raise RuntimeError(f"tampering with {relative} changed nothing")
    return edit


def _replace_with(relative: str, older: Path) -> Edit:
    def edit(case: Path) -> None:
        path = case / relative
        _writable(path)
        shutil.copyfile(older, path)
    return edit


def file_tampers(files: CaseFiles) -> list[Tamper]:
    """Every derived and attached file edited four ways and removed; the older versions put
    back where a command had overwritten them."""
    hows: dict[str, Callable[[Path], None]] = {
        "one byte flipped": _flip_middle, "text appended": _append, "cut short": _cut,
        "removed": lambda path: path.unlink(),
    }
    out = []
    for relative in (*files.derived, *files.attached):
        family = "derived file" if relative in files.derived else "attached file"
        out += [Tamper(name=f"{relative} {how}", family=family, edit=_file_edit(relative, fn))
                for how, fn in hows.items()]
    for relative, older in files.older:
        out.append(Tamper(name=f"{relative} replaced by an older version", family="derived file",
                          edit=_replace_with(relative, older)))
    return out


def _manifest_edit(change: Callable[[dict[str, object]], object]) -> Edit:
    def edit(case: Path) -> None:
        path = case / "derived" / "manifest.json"
        manifest = json.loads(path.read_text(encoding="utf-8"))
        change(manifest)
        path.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return edit


def _first_digest_changed(manifest: dict[str, object]) -> None:
    runs = manifest["runs"]
    assert isinstance(runs, list) and runs
    digests = runs[0]["detections_sha256"]
    first = sorted(digests)[0]
    digests[first] = hashlib.sha256(b"forged").hexdigest()


def manifest_tampers() -> list[Tamper]:
    """The run manifest emptied, an entry removed, a hash changed."""
    def emptied(case: Path) -> None:
        (case / "derived" / "manifest.json").write_bytes(b"")

    def drop(key: str) -> Callable[[dict[str, object]], object]:
        def change(manifest: dict[str, object]) -> None:
            listed = manifest[key]
            assert isinstance(listed, list) and listed
            listed.pop(0)
        return change

    return [Tamper(name=name, family="manifest", edit=edit) for name, edit in (
        ("manifest emptied", emptied),
        ("manifest made an empty object", _manifest_edit(lambda m: m.clear())),
        ("manifest lists no inputs and no runs",
         _manifest_edit(lambda m: m.update(inputs=[], runs=[]))),
        ("manifest input removed", _manifest_edit(drop("inputs"))),
        ("manifest run removed", _manifest_edit(drop("runs"))),
        ("manifest detections hash changed", _manifest_edit(_first_digest_changed)),
        ("manifest tracks hash changed",
         _manifest_edit(lambda m: m.update(tracks_sha256=hashlib.sha256(b"x").hexdigest()))),
    )]


def _lines(case: Path) -> list[bytes]:
    return (case / "audit.jsonl").read_bytes().split(b"\n")[:-1]


def _write_lines(case: Path, lines: list[bytes], tail: bytes = b"") -> None:
    (case / "audit.jsonl").write_bytes(b"".join(line + b"\n" for line in lines) + tail)


def _edit_entry(line: bytes) -> bytes:
    entry = json.loads(line)
    entry["details"]["tampered"] = True
    return json.dumps(entry, sort_keys=True).encode()


def _rechain(lines: list[bytes], start: int, change: Callable[[dict[str, object]], object]) -> list[bytes]:
    """The log with entry ``start`` changed and every hash from there recomputed, as a forger
    who read :mod:`sitewatch.catalog.audit` would write it."""
    entries = [json.loads(line) for line in lines]
    change(entries[start])
    for entry in entries[start:]:
        if entry["seq"] > 0:
            entry["prev"] = entries[entry["seq"] - 1]["hash"]
        body = {key: entry[key] for key in ("seq", "time_utc", "actor", "action", "details", "prev")}
        entry["hash"] = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                                  ensure_ascii=False).encode()).hexdigest()
    return [json.dumps(e, sort_keys=True, ensure_ascii=False).encode() for e in entries]


def _forge_date(case: Path) -> None:
    """A scene's date changed in the catalog and in its ingest entry, the chain recomputed and
    the catalog's head moved to the new last entry: consistent, except with the head
    published in the report."""
    lines = _lines(case)
    with closing(sqlite3.connect(case / "catalog.sqlite")) as db:
        sha = db.execute(f"SELECT sha256 FROM scenes WHERE sha256 = {_FIRST_SCENE}").fetchone()[0]
    number = next(i for i, line in enumerate(lines) if sha.encode() in line
                  and json.loads(line)["action"] == "ingest")

    def redate(entry: dict[str, object]) -> None:
        details = entry["details"]
        assert isinstance(details, dict)
        for scene in details["scenes"]:
            if scene["sha256"] == sha:
                scene["date"] = "2014-06-01"

    lines = _rechain(lines, number, redate)
    _write_lines(case, lines)
    last = json.loads(lines[-1])
    _sql(f"UPDATE scenes SET date = '2014-06-01' WHERE sha256 = '{sha}'",
         "UPDATE meta SET value = json_object('seq', {}, 'hash', '{}') WHERE key = 'audit_head'"
         .format(last["seq"], last["hash"]),
         "UPDATE meta SET value = json_object('lines', json_array(), 'moves', json_array()) "
         "WHERE key = 'audit_journal'")(case)


def audit_tampers(files: CaseFiles) -> list[Tamper]:
    """The audit log edited, cut, reordered, torn, replaced, or rewritten consistently."""
    def edit(change: Callable[[list[bytes]], tuple[list[bytes], bytes] | list[bytes]]) -> Edit:
        def apply(case: Path) -> None:
            changed = change(_lines(case))
            lines, tail = changed if isinstance(changed, tuple) else (changed, b"")
            _write_lines(case, lines, tail)
        return apply

    def middle_edited(lines: list[bytes]) -> list[bytes]:
        return [*lines[:3], _edit_entry(lines[3]), *lines[4:]]

    def last_edited(lines: list[bytes]) -> list[bytes]:
        return [*lines[:-1], _edit_entry(lines[-1])]

    def swapped(lines: list[bytes]) -> list[bytes]:
        return [*lines[:2], lines[3], lines[2], *lines[4:]]

    def restore_older(case: Path) -> None:
        shutil.copyfile(files.older_audit, case / "audit.jsonl")

    out = [Tamper(name=name, family="audit log", edit=fn) for name, fn in (
        ("audit line edited", edit(middle_edited)),
        ("audit last line edited", edit(last_edited)),
        ("audit line deleted", edit(lambda ls: [*ls[:3], *ls[4:]])),
        ("audit last line deleted", edit(lambda ls: ls[:-1])),
        ("audit last two lines deleted", edit(lambda ls: ls[:-2])),
        ("audit lines reordered", edit(swapped)),
        ("audit line duplicated", edit(lambda ls: [*ls[:4], ls[3], *ls[4:]])),
        ("audit torn tail (half a line appended)",
         edit(lambda ls: (ls, ls[-1][: len(ls[-1]) // 2]))),
        ("audit last line torn", edit(lambda ls: (ls[:-1], ls[-1][: len(ls[-1]) // 2]))),
        ("audit log emptied", edit(lambda ls: [])),
        ("audit log removed", lambda case: (case / "audit.jsonl").unlink()),
        ("audit log replaced by an older version", restore_older),
        ("audit line edited, chain recomputed", edit(
            lambda ls: _rechain(ls, 3, lambda e: e.update(actor="someone else")))),
    )]
    out.append(Tamper(name="scene date forged in catalog and log, chain and head recomputed",
                      family="audit log", edit=_forge_date, with_head=True))
    return out


def _first_object(case: Path) -> Path:
    return sorted(p for p in (case / "objects").rglob("*") if p.is_file())[0]


def original_tampers() -> list[Tamper]:
    """Stored originals edited, removed, swapped, or a file planted beside them."""
    def edited(case: Path) -> None:
        path = _first_object(case)
        _writable(path)
        _flip_middle(path)

    def removed(case: Path) -> None:
        _first_object(case).unlink()

    def swapped(case: Path) -> None:
        first, second = sorted(p for p in (case / "objects").rglob("*") if p.is_file())[:2]
        _writable(first)
        shutil.copyfile(second, first)

    def planted(case: Path) -> None:
        (case / "objects" / "extra.tif").write_bytes(_first_object(case).read_bytes())

    return [Tamper(name=name, family="stored original", edit=fn) for name, fn in (
        ("original edited", edited), ("original removed", removed),
        ("original replaced by another scene's", swapped), ("file planted in objects/", planted))]


def catalog_file_tampers(files: CaseFiles) -> list[Tamper]:
    """The catalog file emptied, cut, removed, or replaced by an older copy."""
    catalog = "catalog.sqlite"

    def emptied(case: Path) -> None:
        (case / catalog).write_bytes(b"")

    def older(case: Path) -> None:
        shutil.copyfile(files.older_catalog, case / catalog)

    return [Tamper(name=name, family="catalog file", edit=fn) for name, fn in (
        ("catalog emptied", emptied), ("catalog cut to half", _file_edit(catalog, _cut)),
        ("catalog removed", lambda case: (case / catalog).unlink()),
        ("catalog replaced by an older version", older),
        ("catalog with text appended", _file_edit(catalog, _append)))]


#: A byte of each field of SQLite's 100-byte file header (page size, versions, reserved space,
#: change counter, page count, freelist, schema cookie and format, encoding, user version,
#: application id, version-valid-for, library version).
FILE_HEADER_FIELDS = (16, 18, 19, 20, 21, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72, 92, 96)


def flip_offsets(size: int, count: int, *, seed: int, page_size: int,
                 free_pages: tuple[int, ...] = ()) -> list[int]:
    """``count`` distinct offsets of a file of ``size`` bytes: the b-tree page header of every
    page (its type byte; page 1's follows the 100-byte file header), a byte of each file header
    field (:data:`FILE_HEADER_FIELDS`), the middle of each free page, then seeded random offsets
    over the whole file.

    >>> flip_offsets(8192, 4, seed=0, page_size=4096)
    [100, 4096, 16, 18]
    """
    aimed = [100, *range(page_size, size, page_size), *FILE_HEADER_FIELDS,
             *((page - 1) * page_size + page_size // 2 for page in free_pages)]
    chosen = list(dict.fromkeys(o for o in aimed if o < size))[:count]
    rng = random.Random(f"sitewatch-tamper-flip:{seed}")
    taken = set(chosen)
    rest = [o for o in range(size) if o not in taken]
    chosen += sorted(rng.sample(rest, min(len(rest), count - len(chosen))))
    return chosen


def flip_tampers(catalog: Path, count: int, *, seed: int) -> list[Tamper]:
    """``count`` single-byte flips of the catalog file at :func:`flip_offsets`."""
    data = catalog.read_bytes()
    page_size = int.from_bytes(data[16:18], "big") or 65536
    rng = random.Random(f"sitewatch-tamper-xor:{seed}")
    free = tuple(page for page, kind in page_kinds(catalog).items() if kind == "free")
    out = []
    for offset in flip_offsets(len(data), count, seed=seed, page_size=page_size, free_pages=free):
        mask = rng.randrange(1, 256)

        def flip(case: Path, offset: int = offset, mask: int = mask) -> None:
            path = case / "catalog.sqlite"
            changed = bytearray(path.read_bytes())
            changed[offset] ^= mask
            path.write_bytes(bytes(changed))

        out.append(Tamper(name=f"catalog byte {offset} xor {mask:#04x} (page {offset // page_size + 1})",
                          family="catalog flip", edit=flip, flip_offset=offset))
    return out


def tampers(files: CaseFiles, catalog: Path, *, flips: int, seed: int = 0) -> list[Tamper]:
    """Every tampering of the benchmark, the catalog flips last."""
    return [*sqlite_tampers(), *file_tampers(files), *manifest_tampers(), *audit_tampers(files),
            *original_tampers(), *catalog_file_tampers(files),
            *flip_tampers(catalog, flips, seed=seed)]


def page_kinds(catalog: Path) -> dict[int, str]:
    """Each page of a SQLite file by what it holds: ``"free"`` (on the freelist), else its
    b-tree page type (``"table leaf"``, ...) or ``"overflow or other"``."""
    data = catalog.read_bytes()
    page_size = int.from_bytes(data[16:18], "big") or 65536
    pages = len(data) // page_size
    kinds: dict[int, str] = {}
    trunk = int.from_bytes(data[32:36], "big")
    while 0 < trunk <= pages and trunk not in kinds:
        kinds[trunk] = "free"
        start = (trunk - 1) * page_size
        leaves = int.from_bytes(data[start + 4:start + 8], "big")
        for i in range(min(leaves, page_size // 4 - 2)):
            leaf = int.from_bytes(data[start + 8 + 4 * i:start + 12 + 4 * i], "big")
            kinds[leaf] = "free"
        trunk = int.from_bytes(data[start:start + 4], "big")
    names = {2: "index interior", 5: "table interior", 10: "index leaf", 13: "table leaf"}
    for page in range(1, pages + 1):
        if page not in kinds:
            byte = data[(page - 1) * page_size + (100 if page == 1 else 0)]
            kinds[page] = names.get(byte, "overflow or other")
    return kinds
