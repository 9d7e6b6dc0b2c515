"""Local paths in published files: the report, its PDF, every export and the files meant for
sharing must not name the machine that made them (issue 24).

:func:`leak_markers` lists what would give the machine away: the folder the case was built in
(give it a distinctive name), the home folder, the login, the temporary folder, the Python
installation and sitewatch's own folder. :func:`find_leaks` looks for each in every text a
file holds: its bytes; for a PDF its inflated streams and its page text (``pypdfium2``, of the
``pdf`` and ``test`` extras: WeasyPrint writes text as glyph codes the streams do not spell);
for a KMZ (zip) each member; for a GeoPackage (SQLite) every cell; for an HTML file each base64
``data:`` URI decoded.
"""

from __future__ import annotations

import base64
import getpass
import re
import sqlite3
import sys
import sysconfig
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True, kw_only=True)
class Leak:
    """A marker found in a file: where and what."""

    file: str
    marker: str
    context: str

    def __str__(self) -> str:
        return f"{self.file}: {self.marker} ({self.context})"


def leak_markers(folder: Path) -> dict[str, str]:
    """What a published file must not contain, by what it is: ``folder`` (where the case was
    built, named distinctively) and the machine's paths and login."""
    import sitewatch

    markers = {
        "the build folder's distinctive name": folder.name,
        "the build folder": str(folder.resolve()),
        "the home folder": str(Path.home()),
        "the temporary folder": tempfile.gettempdir().rstrip("/") + "/",
        "the Python installation": sys.prefix,
        "site-packages": sysconfig.get_paths()["purelib"],
        "sitewatch's folder": str(Path(sitewatch.__file__).resolve().parent.parent),
    }
    login = _login()
    if login:
        markers["the login"] = login
    return {label: value for label, value in markers.items() if len(value) > 2}


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def texts(path: Path) -> Iterator[tuple[str, bytes]]:
    """Every text ``path`` holds, each with a label of where it was found."""
    data = path.read_bytes()
    yield "bytes", data
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        yield from _pdf_texts(path, data)
    elif suffix in (".kmz", ".zip"):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                yield f"member {name}", name.encode() + b"\n" + archive.read(name)
    elif suffix == ".gpkg":
        yield from _sqlite_cells(path)
    elif suffix in (".html", ".htm"):
        for number, match in enumerate(re.finditer(rb"base64,([A-Za-z0-9+/=]+)", data)):
            yield f"data URI {number}", base64.b64decode(match.group(1) + b"==", validate=False)


def _pdf_texts(path: Path, data: bytes) -> Iterator[tuple[str, bytes]]:
    for number, match in enumerate(re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S)):
        try:
            yield f"stream {number}", zlib.decompress(match.group(1))
        except zlib.error:
            continue
    try:
        import pypdfium2
    except ImportError:
        return
    try:
        document = pypdfium2.PdfDocument(str(path))
    except (RuntimeError, OSError):  # PdfiumError: not a PDF PDFium reads; the bytes were searched
        return
    try:
        for number in range(len(document)):
            page = document[number]
            yield f"page {number + 1} text", page.get_textpage().get_text_range().encode()
    finally:
        document.close()


def _sqlite_cells(path: Path) -> Iterator[tuple[str, bytes]]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            cells = [c for row in db.execute(f'SELECT * FROM "{table}"') for c in row
                     if isinstance(c, str | bytes)]
            yield f"table {table}", b"\n".join(c.encode() if isinstance(c, str) else c for c in cells)


def find_leaks(files: dict[str, Path], markers: dict[str, str]) -> list[Leak]:
    """Each marker in each file (named by the keys of ``files``); the login only as a word."""
    found = []
    for name, path in sorted(files.items()):
        for where, text in texts(path):
            for label, marker in markers.items():
                pattern = re.escape(marker.encode())
                if label == "the login":
                    pattern = rb"(?<![A-Za-z0-9_])" + pattern + rb"(?![A-Za-z0-9_])"
                match = re.search(pattern, text)
                if match:
                    around = text[max(0, match.start() - 40):match.end() + 40]
                    found.append(Leak(file=name, marker=f"{label} in {where}",
                                      context=around.decode("utf-8", "replace")))
    return found
