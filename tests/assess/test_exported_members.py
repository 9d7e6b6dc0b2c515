"""Pin the public face of sitewatch.assess: a change here is an API change."""

from __future__ import annotations

import sitewatch.assess as assess


def test_exported_members() -> None:
    assert sorted(assess.__all__) == sorted(
        [
            "ASSESSMENT_FILENAME",
            "SAMPLES",
            "AchCell",
            "AchColumn",
            "AchMatrix",
            "AchRow",
            "AchTable",
            "Assessment",
            "Confidence",
            "Diagnosticity",
            "Evidence",
            "EvidenceKind",
            "EvidenceRating",
            "Finding",
            "FindingKind",
            "Hypothesis",
            "InconsistencyScore",
            "Judgment",
            "Likelihood",
            "Rating",
            "ach_table",
            "check_id",
            "assessment_path",
            "coherence_findings",
            "dumps_assessment",
            "format_ach_text",
            "likelihood_for_probability",
            "load_assessment",
            "load_sample",
            "loads_assessment",
            "parse_confidence",
            "parse_estimate",
            "parse_judgment",
            "parse_likelihood",
            "save_assessment",
        ]
    )
    for name in assess.__all__:
        assert getattr(assess, name) is not None


def test_no_upward_or_sibling_imports() -> None:
    import ast
    from pathlib import Path

    below = ("assess", "errors", "geo", "catalog", "imagery", "detect", "track", "compare")
    allowed = tuple(f"sitewatch.{name}" for name in below)
    for path in Path(assess.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sitewatch"):
                assert node.module.startswith(allowed), f"{path.name} imports {node.module}"
