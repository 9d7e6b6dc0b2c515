"""The mark for tests that need PyTorch and Ultralytics (the ``train`` extra), which CI lacks."""

from __future__ import annotations

import pytest


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
        import ultralytics  # noqa: F401
    except ImportError:
        return False
    return True


needs_torch = pytest.mark.skipif(not _has_torch(), reason="torch and ultralytics not installed")
