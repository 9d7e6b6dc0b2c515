"""Every audit entry is written from the case package.

The catalog holds the audit log's implementation (the store, its journal, ingest and scene
corrections); ``sitewatch.case`` is the only other package that may call the catalog's writers.
Every other module, and every script in ``tools/``, goes through a ``sitewatch.case`` call.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "sitewatch"
#: Where an audit entry is made (the journal appends the lines it makes).
SEEDS = frozenset({"make_entry"})
#: The catalog's writers: every function or method that (through the others) makes an entry.
#: A new one must be added here, and called from ``sitewatch.case`` only.
CATALOG_WRITERS = frozenset({
    "_apply", "append_audit", "append_review", "append_reviews", "attach", "commit", "ingest_files",
    "init", "make_entry", "redate_scene", "restore_scene", "retire_scene", "save_run",
    "save_scene_detections", "set_scene_gsd", "write_files",
})


def _called(node: ast.AST) -> Iterator[str]:
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            if isinstance(call.func, ast.Name):
                yield call.func.id
            elif isinstance(call.func, ast.Attribute):
                yield call.func.attr


def _catalog_writers() -> set[str]:
    functions = [node for path in sorted((SRC / "catalog").glob("*.py"))
                 for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(node, ast.FunctionDef)]
    writers = set(SEEDS)
    while True:
        more = {f.name for f in functions if set(_called(f)) & writers} - writers
        if not more:
            return writers
        writers |= more


def _outside_case_and_catalog() -> Iterator[Path]:
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).parts[0] not in ("catalog", "case"):
            yield path
    yield from sorted((ROOT / "tools").glob("*.py"))


def _writes(path: Path, writers: frozenset[str]) -> Iterator[str]:
    """Each use in ``path`` of a catalog writer: imported from the catalog, or called as a method."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                and node.module.startswith("sitewatch.catalog")):
            yield from (f"line {node.lineno}: imports {a.name}" for a in node.names if a.name in writers)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in writers
              and not (isinstance(node.func.value, ast.Name) and node.func.value.id == "case")):
            yield f"line {node.lineno}: {ast.unparse(node.func)}()"


def test_the_pinned_writers_are_every_catalog_function_that_makes_an_audit_entry() -> None:
    assert _catalog_writers() == CATALOG_WRITERS


def test_no_module_outside_case_and_catalog_writes_an_audit_entry() -> None:
    found = {str(path.relative_to(ROOT)): uses for path in _outside_case_and_catalog()
             if (uses := list(_writes(path, CATALOG_WRITERS)))}
    assert not found, f"write audit entries through a sitewatch.case call: {found}"


def test_the_check_sees_a_writer(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from sitewatch.catalog import CaseStore, ingest_files\n"
                      "def f(store):\n    store.append_audit('x', {})\n    CaseStore.init(store)\n"
                      "    case.retire_scene(store, 'a')\n", encoding="utf-8")
    assert list(_writes(sample, CATALOG_WRITERS)) == [
        "line 1: imports ingest_files", "line 3: store.append_audit()", "line 4: CaseStore.init()"]
