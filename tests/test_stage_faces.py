"""Stages meet through their faces: no stage imports another's private module, no cycles.

A stage is a package directly under ``sitewatch`` (``detect``, ``train``, ``track``, ...); its
face is its ``__init__`` (pinned by each ``tests/<stage>/test_exported_members.py``). Top-level
modules (``errors``, ``digest``, ``untrusted``) are shared by all and are not stages. Scripts in
``tools/`` use faces only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "sitewatch"
STAGES = frozenset(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())

def _imports(path: Path) -> Iterator[str]:
    """Absolute module names a file imports (``from x import y`` gives ``x``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def _cross_stage(path: Path, stage: str | None) -> Iterator[tuple[str, str]]:
    """(imported stage, module) for each import of another stage from ``path``."""
    for module in _imports(path):
        parts = module.split(".")
        if parts[0] == "sitewatch" and len(parts) > 1 and parts[1] in STAGES and parts[1] != stage:
            yield parts[1], ".".join(parts[:3])


def _stage_of(path: Path) -> str | None:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else None


def test_stages_import_each_other_through_faces() -> None:
    around: dict[tuple[str, str], list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        stage = _stage_of(path)
        for other, module in _cross_stage(path, stage):
            if module != f"sitewatch.{other}" and stage is not None:
                around.setdefault((stage, module), []).append(str(path.relative_to(ROOT)))
    assert not around, f"import the stage's face (sitewatch.<stage>) instead: {around}"


def test_detect_and_train_meet_every_stage_through_faces() -> None:
    for path in sorted((SRC / "detect").rglob("*.py")) + sorted((SRC / "train").rglob("*.py")):
        for other, module in _cross_stage(path, _stage_of(path)):
            assert module == f"sitewatch.{other}", f"{path.relative_to(ROOT)} imports {module}"


def test_tools_use_faces_only() -> None:
    around = {
        (path.name, module)
        for path in sorted((ROOT / "tools").glob("*.py"))
        for other, module in _cross_stage(path, None)
        if module != f"sitewatch.{other}"
    }
    assert not around, f"tools must import faces: {sorted(around)}"


def test_no_import_cycle_between_stages() -> None:
    graph: dict[str, set[str]] = {stage: set() for stage in STAGES}
    for path in SRC.rglob("*.py"):
        stage = _stage_of(path)
        if stage is not None:
            graph[stage] |= {other for other, _ in _cross_stage(path, stage)}
    state: dict[str, int] = {}

    def visit(stage: str, trail: tuple[str, ...]) -> None:
        state[stage] = 1
        for other in sorted(graph[stage]):
            assert state.get(other) != 1, "import cycle: " + " -> ".join((*trail, stage, other))
            if other not in state:
                visit(other, (*trail, stage))
        state[stage] = 2

    for stage in sorted(STAGES):
        if stage not in state:
            visit(stage, ())
    assert "train" not in {s for s in graph["detect"]}  # inference never needs training
