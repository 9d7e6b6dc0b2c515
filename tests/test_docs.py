"""The user documentation stays whole: every relative link resolves, every stage is described."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "sitewatch"
PAGES = [ROOT / "README.md", ROOT / "tools" / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_relative_links_resolve() -> None:
    broken = [
        f"{page.relative_to(ROOT)} -> {target}"
        for page in PAGES
        for target in LINK.findall(page.read_text(encoding="utf-8"))
        if "://" not in target and not (page.parent / target).exists()
    ]
    assert not broken, f"fix or remove these links: {broken}"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))
    missing = [p for p in pages if f"]({p})" not in readme]
    assert not missing, f"link these pages from README.md's Documentation list: {missing}"


def test_architecture_names_every_stage() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    stages = sorted(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())
    missing = [s for s in stages if f"| `{s}` |" not in text]
    assert not missing, f"describe these packages in docs/architecture.md's table: {missing}"


def test_every_tool_is_indexed() -> None:
    index = (ROOT / "tools" / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in sorted((ROOT / "tools").glob("*.py")) if f"`{p.name}`" not in index]
    assert not missing, f"add these scripts to tools/README.md: {missing}"
