"""Tiny seeded test data for the compare tests: drawn 'vehicles', photos and videos."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def vehicle_scene(seed: int, *, kind: str, size: tuple[int, int] = (240, 320)) -> np.ndarray:
    """An RGB picture of a simple drawn vehicle on a textured ground, reproducible by seed.

    ``kind`` "tracked" draws a hull, turret, gun and a row of road wheels; "wheeled" a boxy
    body on four large wheels; "stripes" and "dots" are plain textures (no vehicle).
    """
    rng = np.random.default_rng(seed)
    height, width = size
    image = np.empty((height, width, 3), np.uint8)
    image[:] = (120 + rng.integers(-20, 20), 140 + rng.integers(-20, 20), 90)
    image = np.clip(image + rng.normal(0, 8, image.shape), 0, 255).astype(np.uint8)
    image[: height // 3] = (170, 200, 235)
    x0 = int(width * 0.15 + rng.integers(-10, 10))
    y0 = int(height * 0.45 + rng.integers(-8, 8))
    hull_w, hull_h = int(width * 0.65), int(height * 0.22)
    if kind == "tracked":
        cv2.rectangle(image, (x0, y0), (x0 + hull_w, y0 + hull_h), (70, 80, 50), -1)
        cv2.ellipse(image, (x0 + hull_w // 2, y0), (hull_w // 5, hull_h // 2), 0, 180, 360,
                    (60, 70, 45), -1)
        cv2.line(image, (x0 + hull_w // 2, y0 - hull_h // 4), (x0 + hull_w + 40, y0 - hull_h // 3),
                 (50, 55, 40), 5)
        for i in range(6):
            centre = (x0 + 18 + i * (hull_w - 36) // 5, y0 + hull_h)
            cv2.circle(image, centre, hull_h // 3, (30, 30, 30), -1)
            cv2.circle(image, centre, hull_h // 8, (150, 150, 150), -1)
        for i in range(8):  # 'reactive armour' bricks
            cv2.rectangle(image, (x0 + 8 + i * 14, y0 + 6), (x0 + 18 + i * 14, y0 + 14),
                          (90, 100, 60), -1)
    elif kind == "wheeled":
        cv2.rectangle(image, (x0, y0 - hull_h), (x0 + hull_w, y0 + hull_h // 2), (200, 180, 120),
                      -1)
        cv2.rectangle(image, (x0 + 10, y0 - hull_h + 8), (x0 + 60, y0 - hull_h // 3),
                      (60, 90, 120), -1)
        for cx in (x0 + 30, x0 + hull_w - 30):
            cv2.circle(image, (cx, y0 + hull_h // 2), hull_h // 2, (20, 20, 20), -1)
    elif kind == "stripes":
        for x in range(0, width, 32):
            cv2.rectangle(image, (x, 0), (x + 15, height), (230, 40, 40), -1)
    elif kind == "dots":
        for _ in range(60):
            centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
            cv2.circle(image, centre, int(rng.integers(3, 12)), (40, 40, 230), -1)
    else:
        raise ValueError(kind)
    return image


def write_image(path: Path, rgb: np.ndarray) -> Path:
    """Write RGB pixels in the format the suffix names."""
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def write_video(path: Path, scenes: list[np.ndarray], *, frames_per_scene: int = 12,
                fps: float = 12.0, sharp_offset: int = 5) -> Path:
    """A video of several scenes; in each scene only frame ``sharp_offset`` is not blurred."""
    height, width = scenes[0].shape[:2]
    fourcc = cv2.VideoWriter_fourcc(*"mp4v")  # type: ignore[attr-defined]
    writer = cv2.VideoWriter(str(path), fourcc, fps, (width, height))
    assert writer.isOpened()
    for scene in scenes:
        bgr = cv2.cvtColor(scene, cv2.COLOR_RGB2BGR)
        for index in range(frames_per_scene):
            frame = bgr if index == sharp_offset else cv2.GaussianBlur(bgr, (0, 0), 1.5)
            writer.write(frame)
    writer.release()
    return path
