"""Finding and cutting out vehicles in a frame, and embedding the crops.

The COCO detector proposes vehicle-like boxes; overlapping proposals are merged; each crop is
embedded by EfficientNet-Lite0, which also gives the armour hint. When nothing is proposed the
whole frame stands in, labelled ``whole_frame`` so nobody mistakes it for a detection.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sitewatch.compare.models import Embedder, Proposal, VehicleFinder
from sitewatch.compare.types import BoxPx, Frame, VehicleCrop

MARGIN = 0.06
MIN_SIDE_PX = 24
MIN_AREA_FRACTION = 0.01


class CropAnalyser:
    """Detector plus embedder: frames in, embedded vehicle crops out; no state between calls."""

    def __init__(self, *, threads: int = 2, models_dir: Path | None = None,
                 max_crops: int = 3) -> None:
        self.finder = VehicleFinder(threads=threads, models_dir=models_dir)
        self.embedder = Embedder(threads=threads, models_dir=models_dir)
        self.max_crops = max_crops

    def provenance(self) -> list[dict[str, str]]:
        """Model cards of both networks, for the output JSON."""
        return [self.finder.card.to_dict(), self.embedder.card.to_dict()]

    def crops(self, frame: Frame) -> tuple[VehicleCrop, ...]:
        """Embedded vehicle crops of one frame, largest-and-surest first."""
        height, width = frame.rgb.shape[:2]
        proposals = merge_proposals(self.finder.find(frame.rgb), width_px=width, height_px=height)
        boxes = [(expand(p, width, height), p.label, p.score) for p in proposals]
        boxes = boxes[: self.max_crops]
        if not boxes:
            boxes = [(BoxPx(x0_px=0, y0_px=0, x1_px=width, y1_px=height), "whole_frame", 0.0)]
        pixels = [frame.rgb[b.y0_px : b.y1_px, b.x0_px : b.x1_px] for b, _, _ in boxes]
        embeddings, armour = self.embedder.embed(pixels)
        return tuple(
            VehicleCrop(
                trace=frame.trace,
                box=box,
                detector_label=label,
                detector_score=score,
                armour_probability=float(armour[i]),
                rgb=pixels[i],
                embedding=embeddings[i],
            )
            for i, (box, label, score) in enumerate(boxes)
        )


def iou(a: Proposal, b: Proposal) -> float:
    """Intersection over union of two proposals.

    >>> p = Proposal(x0_px=0, y0_px=0, x1_px=10, y1_px=10, label="truck", score=0.5)
    >>> q = Proposal(x0_px=5, y0_px=0, x1_px=15, y1_px=10, label="boat", score=0.4)
    >>> round(iou(p, q), 3)
    0.333
    """
    ix = max(0.0, min(a.x1_px, b.x1_px) - max(a.x0_px, b.x0_px))
    iy = max(0.0, min(a.y1_px, b.y1_px) - max(a.y0_px, b.y0_px))
    inter = ix * iy
    union = (a.x1_px - a.x0_px) * (a.y1_px - a.y0_px) + (b.x1_px - b.x0_px) * (
        b.y1_px - b.y0_px
    ) - inter
    return inter / union if union > 0 else 0.0


def merge_proposals(
    proposals: tuple[Proposal, ...], *, width_px: int, height_px: int, iou_limit: float = 0.5
) -> list[Proposal]:
    """Class-agnostic suppression (a tank is often both "boat" and "truck"), tiny boxes dropped,
    then ordered by score times the square root of the area fraction (near, sure vehicles first).
    """
    frame_area = float(width_px * height_px)
    kept: list[Proposal] = []
    for proposal in sorted(proposals, key=lambda p: -p.score):
        side = min(proposal.x1_px - proposal.x0_px, proposal.y1_px - proposal.y0_px)
        area = (proposal.x1_px - proposal.x0_px) * (proposal.y1_px - proposal.y0_px)
        if side < MIN_SIDE_PX or area < MIN_AREA_FRACTION * frame_area:
            continue
        if all(iou(proposal, other) <= iou_limit for other in kept):
            kept.append(proposal)

    def weight(p: Proposal) -> float:
        return p.score * float(np.sqrt((p.x1_px - p.x0_px) * (p.y1_px - p.y0_px) / frame_area))

    return sorted(kept, key=lambda p: -weight(p))


def expand(proposal: Proposal, width_px: int, height_px: int) -> BoxPx:
    """The proposal grown by a small margin, clipped to the frame, in whole pixels."""
    dx = (proposal.x1_px - proposal.x0_px) * MARGIN
    dy = (proposal.y1_px - proposal.y0_px) * MARGIN
    x0 = int(max(0, np.floor(proposal.x0_px - dx)))
    y0 = int(max(0, np.floor(proposal.y0_px - dy)))
    x1 = int(min(width_px, np.ceil(proposal.x1_px + dx)))
    y1 = int(min(height_px, np.ceil(proposal.y1_px + dy)))
    return BoxPx(x0_px=x0, y0_px=y0, x1_px=max(x1, x0 + 1), y1_px=max(y1, y0 + 1))
