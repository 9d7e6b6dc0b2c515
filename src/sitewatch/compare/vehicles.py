"""Finding and cutting out vehicles in a frame, and embedding the crops.

The COCO detector proposes vehicle-like boxes; a box nested in another (a hull box inside a
box with the gun, a turret box inside the hull's) is joined to it, overlapping proposals are
merged; each box is grown to the whole vehicle (:func:`~sitewatch.compare.outline.whole_vehicle`:
gun and turret included) and embedded by EfficientNet-Lite0 twice, as cropped and with its
background blanked, the two averaged (each of the two is itself the average over the crop, its
four corners and their mirror images: :meth:`~sitewatch.compare.models.Embedder.embed`).
The network also gives the armour hint. When nothing is
proposed the whole frame stands in, labelled ``whole_frame`` so nobody mistakes it for a
detection.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from sitewatch.compare.models import Embedder, Proposal, VehicleFinder
from sitewatch.compare.outline import blank_background, whole_vehicle
from sitewatch.compare.types import BoxPx, Frame, VehicleCrop

MIN_SIDE_PX = 24
MIN_AREA_FRACTION = 0.01
#: A proposal whose overlap with another covers this fraction of the smaller one is a part of
#: the same vehicle (hull and gun, hull and turret) and is joined to it.
NESTED_FRACTION = 0.6


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
        """Embedded whole-vehicle crops of one frame, largest-and-surest first."""
        height, width = frame.rgb.shape[:2]
        proposals = merge_proposals(join_nested(self.finder.find(frame.rgb)),
                                    width_px=width, height_px=height)[: self.max_crops]
        if not proposals:
            whole = BoxPx(x0_px=0, y0_px=0, x1_px=width, y1_px=height)
            embeddings, armour = self.embedder.embed([frame.rgb])
            return (VehicleCrop(trace=frame.trace, box=whole, detector_label="whole_frame",
                                detector_score=0.0, armour_probability=float(armour[0]),
                                rgb=frame.rgb, embedding=embeddings[0]),)
        outlines = [whole_vehicle(frame.rgb, (p.x0_px, p.y0_px, p.x1_px, p.y1_px))
                    for p in proposals]
        pixels = [frame.rgb[o.box.y0_px : o.box.y1_px, o.box.x0_px : o.box.x1_px]
                  for o in outlines]
        blanked = [blank_background(crop, o.mask) for crop, o in zip(pixels, outlines, strict=True)]
        embeddings, armour = self.embedder.embed(pixels + blanked)
        count = len(pixels)
        joined = embeddings[:count] + embeddings[count:]
        joined /= np.linalg.norm(joined, axis=1, keepdims=True) + 1e-12
        return tuple(
            VehicleCrop(
                trace=frame.trace,
                box=outline.box,
                detector_label=proposal.label,
                detector_score=proposal.score,
                armour_probability=float(armour[i]),
                rgb=pixels[i],
                embedding=joined[i],
            )
            for i, (proposal, outline) in enumerate(zip(proposals, outlines, strict=True))
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


def join_nested(proposals: tuple[Proposal, ...], *,
                nested_fraction: float = NESTED_FRACTION) -> tuple[Proposal, ...]:
    """Join proposals that are parts of one vehicle into the box around both.

    Two proposals are parts of one vehicle when their overlap covers ``nested_fraction`` of
    the smaller (the detector often boxes a tank's hull as "truck" and hull with gun as
    "boat"); the joined box keeps the surer proposal's label and score. Repeated until no
    two are nested; best score first.

    >>> hull = Proposal(x0_px=10, y0_px=20, x1_px=60, y1_px=40, label="truck", score=0.6)
    >>> gun = Proposal(x0_px=5, y0_px=10, x1_px=90, y1_px=40, label="boat", score=0.3)
    >>> joined = join_nested((hull, gun))
    >>> [(p.x0_px, p.y0_px, p.x1_px, p.y1_px, p.label) for p in joined]
    [(5, 10, 90, 40, 'truck')]
    """
    boxes = list(proposals)
    joined = True
    while joined:
        joined = False
        for i, j in itertools.combinations(range(len(boxes)), 2):
            a, b = boxes[i], boxes[j]
            ix = max(0.0, min(a.x1_px, b.x1_px) - max(a.x0_px, b.x0_px))
            iy = max(0.0, min(a.y1_px, b.y1_px) - max(a.y0_px, b.y0_px))
            smaller = min((a.x1_px - a.x0_px) * (a.y1_px - a.y0_px),
                          (b.x1_px - b.x0_px) * (b.y1_px - b.y0_px))
            if ix * iy < nested_fraction * smaller:
                continue
            surer = a if a.score >= b.score else b
            union = Proposal(x0_px=min(a.x0_px, b.x0_px), y0_px=min(a.y0_px, b.y0_px),
                             x1_px=max(a.x1_px, b.x1_px), y1_px=max(a.y1_px, b.y1_px),
                             label=surer.label, score=surer.score)
            boxes = [p for k, p in enumerate(boxes) if k not in (i, j)] + [union]
            joined = True
            break
    return tuple(sorted(boxes, key=lambda p: -p.score))


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
