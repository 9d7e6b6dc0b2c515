"""Where downloaded weights are cached, and the one place Ultralytics is kept offline.

Ultralytics reads its environment once, when it is first imported: left alone it checks for
updates, installs missing packages with pip and downloads fonts and models. Every caller that
imports it (the GPU backend, ONNX export, training, the SAHI baseline) calls
:func:`ultralytics_offline` first, so sitewatch never reaches the network behind a user's back.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_cache", "ultralytics_offline"]


def default_cache() -> Path:
    """``$XDG_CACHE_HOME/sitewatch/models`` (``~/.cache/sitewatch/models`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sitewatch" / "models"


def ultralytics_offline(config_dir: Path | None = None) -> Path:
    """Set the environment that keeps Ultralytics offline; call before importing it.

    ``YOLO_OFFLINE=1`` and ``YOLO_AUTOINSTALL=0`` are always set (a user's ``YOLO_OFFLINE=0``
    does not let sitewatch download). ``YOLO_CONFIG_DIR`` (its settings file and font cache) is
    kept if the user set it, else ``config_dir``, else ``ultralytics`` beside :func:`default_cache`.

    Args:
        config_dir: Folder for Ultralytics' settings when the user has not chosen one.

    Returns:
        The settings folder Ultralytics will use.
    """
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "0"
    chosen = config_dir if config_dir is not None else default_cache().parent / "ultralytics"
    return Path(os.environ.setdefault("YOLO_CONFIG_DIR", str(chosen)))
