"""One library call for ``sitewatch compare``: read, rank, match, draw, write.

All inputs are read and every result computed before any output is written; the JSON and each
panel are written under temporary names and renamed; if writing fails half-way the panels of
this run are removed again, so there is never a half-written result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sitewatch.compare.checklist import FeatureMark, assess_marks, load_checklist, parse_marks
from sitewatch.compare.comparison import (
    QueryResult,
    build_galleries,
    checklist_dict,
    output_document,
    rank_query,
    write_json_atomic,
)
from sitewatch.compare.gallery import Gallery
from sitewatch.compare.media import media_kind, read_media
from sitewatch.compare.panel import write_panel
from sitewatch.compare.resultfile import shareable
from sitewatch.compare.vehicles import CropAnalyser
from sitewatch.errors import CompareError, ConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class CompareOptions:
    """Knobs of a comparison run."""

    panel_dir: Path | None = None
    families: tuple[str, ...] = ()
    marks: tuple[str, ...] = ()
    threads: int = 2
    max_keyframes: int = 8
    models_dir: Path | None = None
    exclude: frozenset[Path] = field(default_factory=frozenset)
    #: Write the photos' and videos' GPS positions into the result (off: the file is shared).
    keep_gps: bool = False

    def __post_init__(self) -> None:
        if self.threads < 1 or self.max_keyframes < 1:
            raise ConfigError("threads and max_keyframes must be at least 1")


def compare_files(
    queries: Sequence[Path],
    galleries: Mapping[str, Path],
    out_json: Path,
    *,
    options: CompareOptions | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[QueryResult, ...]:
    """Compare each query photo or video with the galleries; write JSON (and panels).

    The JSON is meant to be shared: it names files (with their hashes) but no absolute local
    folder, and carries no GPS position unless ``options.keep_gps``.

    ``progress`` hears ``(done, total, name)`` after each gallery is built and each query
    compared.

    Raises:
        CompareError: a query or reference is missing, unsupported or corrupt (nothing is
            written then), or no query is given.
        ConfigError: a bad gallery spec, family or feature mark.
        ModelError: a shipped model is missing or fails its hash check.
    """
    options = options or CompareOptions()
    if not queries:
        raise CompareError("give at least one query photo or video")
    for query in queries:
        media_kind(query)
        if not query.is_file():
            raise CompareError(f"cannot compare {str(query)!r}: no such file", path=str(query))
    if out_json.suffix.lower() != ".json":
        raise ConfigError(f"--out {str(out_json)!r} must end in .json")
    checklist = load_checklist(options.families or None) if options.marks else None
    marks: dict[str, FeatureMark] = parse_marks(options.marks, checklist) if checklist else {}
    verdicts = assess_marks(checklist, marks) if checklist else ()
    analyser = CropAnalyser(threads=options.threads, models_dir=options.models_dir)
    exclude = frozenset(p.resolve() for p in queries) | options.exclude
    total = len(galleries) + len(queries)
    say = progress or (lambda done, total, name: None)
    built: tuple[Gallery, ...] = ()
    answers: list[QueryResult] = []
    for done, query in enumerate(queries, start=len(galleries) + 1):
        started = time.perf_counter()
        frames = read_media(query, max_keyframes=options.max_keyframes)
        decoded_s = time.perf_counter() - started
        if not answers:  # built once the first query decodes: refusing it costs no gallery work
            built = build_galleries(galleries, analyser, exclude=exclude,
                                    progress=lambda done, name: say(done, total, f"gallery {name}"))
        answers.append(rank_query(query, frames, built, analyser, decoded_s=decoded_s))
        say(done, total, query.name)
    results = tuple(answers)
    panels: dict[str, str] = {}
    try:
        if options.panel_dir is not None:
            for index, result in enumerate(results):
                target = options.panel_dir / f"compare_{index:02d}_{Path(result.path).stem}.png"
                write_panel(result, built, target, checklist=checklist, marks=marks,
                            verdicts=verdicts)
                panels[result.path] = _panel_reference(target, out_json)
        document = output_document(
            results, built, analyser,
            checklist=checklist_dict(checklist, marks, verdicts) if checklist else None,
            panels=panels,
        )
        write_json_atomic(out_json, shareable(document, keep_gps=options.keep_gps))
    except BaseException:
        for written in panels.values():
            Path(written).unlink(missing_ok=True)
        raise
    return results


def _panel_reference(panel: Path, out_json: Path) -> str:
    """How the output JSON names a panel: relative to the JSON's folder when the panel lies
    inside it (so the pair can be moved and attached to a case), else its file name only (the
    result is shared, and must not carry a local folder)."""
    base = out_json.parent.resolve()
    resolved = panel.resolve()
    return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else panel.name
