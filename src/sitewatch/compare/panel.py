"""The comparison panel: one PNG per query that a report can include as it is.

Written for a reader who is not an image analyst: the vehicle asked about beside the closest
reference from each of the best galleries, the same-detail matches drawn as lines, every
gallery's score as a bar, the checklist verdict, and in plain words what the numbers do and do
not mean.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from sitewatch.compare.checklist import Checklist, FeatureMark, VariantVerdict
from sitewatch.compare.comparison import QueryResult
from sitewatch.compare.gallery import Gallery, reference_crop
from sitewatch.compare.local_features import draw_matches
from sitewatch.compare.types import GalleryScore

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.gridspec import GridSpec, SubplotSpec

ASPECT = 16 / 10
MODELS = "EfficientNet-Lite0 (Apache-2.0); YOLO26n COCO (AGPL-3.0)"
CAVEAT = (
    "How to read this: 'similarity' says how alike two pictures look to an image-recognition "
    "network (EfficientNet-Lite0), relative to all reference photos; a gallery's is also set "
    "against how alike that gallery finds the other galleries' photos, so 0 means 'no closer "
    "than to other kinds of vehicle'. It ranks galleries and is not a probability or an "
    "identification. Lines join the same small details (markings, "
    "damage, fittings) found in both pictures; many lines on the same vehicle part are strong "
    "evidence, few or none mean little (different side, distance or light)."
)


def _name(path: str, limit: int = 30) -> str:
    name = Path(path).name
    return name if len(name) <= limit else name[: limit - 12] + "…" + name[-11:]


def _boxed(rgb: np.ndarray, aspect: float) -> np.ndarray:
    """Pad an image with light grey to a width/height ``aspect`` so panel cells line up."""
    height, width = rgb.shape[:2]
    target_w = max(width, round(height * aspect))
    target_h = max(height, round(width / aspect))
    canvas = np.full((target_h, target_w, 3), 238, np.uint8)
    top, left = (target_h - height) // 2, (target_w - width) // 2
    canvas[top : top + height, left : left + width] = rgb
    return canvas


def write_panel(
    result: QueryResult,
    galleries: tuple[Gallery, ...],
    path: Path,
    *,
    checklist: Checklist | None = None,
    marks: Mapping[str, FeatureMark] | None = None,
    verdicts: tuple[VariantVerdict, ...] = (),
) -> Path:
    """Draw the panel for one query and write it atomically as PNG at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    by_name = {g.name: g for g in galleries}
    strip = len(result.frames) > 1
    figure = plt.figure(figsize=(16, 12.6 if strip else 10), dpi=100)
    ratios = [1.0, 1.1, 0.7, 0.3] if strip else [1.0, 1.1, 0.3]
    grid = figure.add_gridspec(len(ratios), 4, height_ratios=ratios, hspace=0.35, wspace=0.06,
                               left=0.03, right=0.97, top=0.89, bottom=0.02)
    frames = len(result.frames)
    where = (f"{_name(result.path)}, best of {frames} keyframes: {result.best_frame.trace.label}"
             if frames > 1 else _name(result.path, 60))
    figure.suptitle(f"Which reference vehicles does this one look most like?\nQuery: {where}",
                    fontsize=17, weight="bold")
    _top_row(figure, grid, result, by_name)
    _matches(figure.add_subplot(grid[1, 0:2]), result, by_name)
    _bars(figure.add_subplot(grid[1, 2]), result.ranking)
    _checklist_text(figure.add_subplot(grid[1, 3]), checklist, marks or {}, verdicts)
    if strip:
        _keyframe_strip(figure, grid[2, :], result)
    footer = figure.add_subplot(grid[-1, :])
    footer.axis("off")
    footer.text(0, 1, textwrap.fill(CAVEAT, 190) + f"\nQuery file sha256 {result.sha256[:16]}…, "
                f"frame sha256 {result.best_frame.trace.frame_sha256[:16]}…; models: {MODELS}; "
                "made by sitewatch compare.", va="top", fontsize=10.5, color="#222222")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".png", dir=path.parent)
    os.close(handle)
    try:
        figure.savefig(temp, format="png")
        os.replace(temp, path)
    finally:
        plt.close(figure)
        Path(temp).unlink(missing_ok=True)
    return path


def _top_row(figure: Figure, grid: GridSpec, result: QueryResult,
             galleries: Mapping[str, Gallery]) -> None:
    """The query frame, then the closest reference of each of the three best galleries."""
    _image(figure.add_subplot(grid[0, 0]), _boxed(_outlined(result), ASPECT),
           f"QUERY\n{_name(result.best_frame.trace.label, 40)}\n(compared part outlined)",
           colour="#1f4e9c")
    scope = " (this frame)" if len(result.frames) > 1 else ""
    for column, score in enumerate(result.best_frame.ranking[:3], start=1):
        axis = figure.add_subplot(grid[0, column])
        ref = reference_crop(galleries[score.name], score.best[0])
        _image(axis, _boxed(ref.rgb, ASPECT), f"#{column} gallery '{_name(score.name, 24)}'\n"
               f"similarity {score.similarity:+.2f}{scope}\nclosest: {_name(ref.trace.label)}",
               colour="#333333")


def _outlined(result: QueryResult) -> np.ndarray:
    """The query frame with the compared vehicle crop outlined in yellow."""
    import cv2

    frame = result.best_frame_rgb.copy()
    box = result.best_crop.box
    thickness = max(2, round(max(frame.shape[:2]) / 250))
    cv2.rectangle(frame, (box.x0_px, box.y0_px), (box.x1_px - 1, box.y1_px - 1), (255, 220, 0),
                  thickness)
    return frame


def ranking_position(ranking: tuple[GalleryScore, ...], name: str) -> int:
    """1-based rank of a gallery in a ranking."""
    return next(i for i, s in enumerate(ranking, start=1) if s.name == name)


def _image(axis: Axes, rgb: np.ndarray, title: str, *, colour: str) -> None:
    axis.imshow(rgb)
    axis.set_title(title, fontsize=12, color=colour)
    axis.set_xticks([])
    axis.set_yticks([])
    for spine in axis.spines.values():
        spine.set_edgecolor(colour)
        spine.set_linewidth(2)


def _matches(axis: Axes, result: QueryResult, galleries: Mapping[str, Gallery]) -> None:
    top = result.ranking[0]
    gallery = galleries[top.name]
    if not result.local_matches:
        axis.axis("off")
        return
    match = result.local_matches[0]
    ref = next(r for s in result.best_frame.ranking if s.name == top.name for r in s.best
               if r.path == match.reference_path)
    figure = _boxed(draw_matches(result.best_crop.rgb, reference_crop(gallery, ref).rgb, match),
                    2 * ASPECT)
    verdict = ("all in one small spot: check it is a marking on the vehicle, not a logo"
               if match.concentrated else
               "many shared details: look for the same markings or damage" if match.inliers >= 25
               else "few shared details: this neither confirms nor rules out"
               if match.inliers else "no shared details found (normal for different vehicles "
               "or views)")
    _image(axis, figure, f"Same details: query (left) vs {_name(match.reference_path)} (right)"
           f"\n{match.inliers} matched points: {verdict}", colour="#333333")


def _keyframe_strip(figure: Figure, cell: SubplotSpec, result: QueryResult) -> None:
    """Every keyframe used, with its time, so the frames can be found in the video."""
    count = len(result.frames)
    inner = cell.subgridspec(1, count, wspace=0.04)
    for index, (frame, thumb) in enumerate(zip(result.frames, result.thumbnails, strict=True)):
        axis = figure.add_subplot(inner[0, index])
        best = frame.trace.frame_sha256 == result.best_frame.trace.frame_sha256
        top = frame.ranking[0]
        _image(axis, thumb, f"{frame.trace.timestamp_s:.2f} s (frame {frame.trace.frame_index})"
               f"\nclosest: {_name(top.name, 18)} {top.similarity:+.2f}",
               colour="#1f4e9c" if best else "#555555")
        axis.title.set_fontsize(9.5 if count > 5 else 11)
    figure.text(0.03, cell.get_position(figure).y1 + 0.048,
                f"Keyframes analysed ({count}, chosen by scene change and sharpness); "
                "blue = the one shown above", fontsize=11, color="#333333")


def _bars(axis: Axes, ranking: tuple[GalleryScore, ...]) -> None:
    names = [s.name for s in ranking][::-1]
    values = [s.similarity for s in ranking][::-1]
    colours = ["#1f4e9c" if v == max(values) else "#8aa4cc" for v in values]
    positions = list(range(len(names)))
    axis.barh(positions, values, color=colours)
    axis.set_yticks([])
    for y, (name, value) in enumerate(zip(names, values, strict=True)):
        axis.text(max(value, 0.0), y, f" {value:+.2f}  {_name(name, 28)}", va="center",
                  fontsize=11)
    axis.axvline(0, color="#666666", linewidth=0.8)
    low = min(0.0, min(values)) - 0.05
    axis.set_xlim(low, max(max(values), 0.0) + 0.45)
    axis.set_title("All galleries, most similar first\n(similarity over the whole query; "
                   "not a probability)", fontsize=12)
    axis.tick_params(labelsize=11)


def _checklist_text(axis: Axes, checklist: Checklist | None,
                    marks: Mapping[str, FeatureMark], verdicts: tuple[VariantVerdict, ...]) -> None:
    axis.axis("off")
    if checklist is None or not marks:
        text = "Feature checklist: not filled in.\n" + textwrap.fill(
            "Mark features with --mark FEATURE=seen|absent|not_visible to list the variants, and "
            "the armies recorded as operating them, that fit what is visible.", 46)
    else:
        lines = ["Analyst's marks:"]
        lines += [f"  {mark.value.replace('_', ' ')}: {checklist.feature(k).name}"
                  for k, mark in marks.items()]
        consistent = [v for v in verdicts if v.consistent]
        lines.append("Consistent variants (operators):" if consistent else
                     "No variant in the tables fits all marks.")
        for verdict in consistent[:5]:
            armies = ", ".join(o.army for o in verdict.variant.operators) or "none recorded"
            lines.append(f"  {verdict.variant.name}: {armies}")
        if len(consistent) > 5:
            lines.append(f"  … and {len(consistent) - 5} more (see JSON)")
        lines.append("Sources and confidence of every entry: in the JSON. Marks apply to "
                     "every query of this run.")
        text = "\n".join(textwrap.fill(line, 48, subsequent_indent="    ") for line in lines)
    axis.text(0, 1, text, va="top", fontsize=10.5, family="DejaVu Sans",
              bbox={"boxstyle": "round", "facecolor": "#f3f3f3", "edgecolor": "#999999"})
