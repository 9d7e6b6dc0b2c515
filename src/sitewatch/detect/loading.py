"""Loading a detector by name, card or ONNX path, on CPU (onnxruntime) or a GPU (PyTorch)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sitewatch.detect.backend import TileBackend
from sitewatch.detect.modelcard import ModelCard, load_card
from sitewatch.detect.onnx_backend import OnnxDetector
from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for

__all__ = ["load_detector"]


def model_card_path(model: str | Path | None = None) -> Path:
    """The card of a model given as :func:`load_detector` takes it (name, card or ONNX path).

    Raises:
        ConfigError: Unknown registry name (the message lists valid ones).
    """
    if model is None:
        return card_path_for(DEFAULT_MODEL)
    if isinstance(model, Path) or str(model).endswith((".json", ".onnx")):
        path = Path(model)
        return path.with_suffix(".json") if path.suffix == ".onnx" else path
    return card_path_for(str(model))


def load_detector(
    model: str | Path | None = None,
    *,
    score_threshold: float | None = None,
    iou_threshold: float = 0.45,
    threads: int | None = None,
    sessions: int | None = None,
    device: str = "cpu",
) -> TileBackend:
    """Load a detector by registry name, model card path or ONNX path (card beside it).

    Args:
        model: None for the package default, a registry name, a ``.json`` model card, or an
            ``.onnx`` file with its ``<stem>.json`` card beside it.
        score_threshold: Minimum score kept (default: the card's ``score_threshold``, the
            score its measured precision and recall are at).
        iou_threshold: Rotated NMS threshold within a tile.
        threads: CPU threads in all (default: all cores this process may use).
        sessions: Parallel onnxruntime sessions (default:
            :func:`sitewatch.detect.onnx_backend.default_sessions`).
        device: ``cpu`` runs the ONNX file with onnxruntime (:class:`OnnxDetector`); ``cuda``
            or ``cuda:N`` runs the ``.pt`` file it was exported from with PyTorch on that GPU
            (:class:`sitewatch.detect.torch_backend.TorchDetector`, the ``gpu`` extra).

    Raises:
        ConfigError: Unknown registry name (the message lists valid ones), unknown device,
            or a GPU asked for where PyTorch or CUDA is missing.
        ModelError: Card or weights missing, malformed or failing the sha256 check.
    """
    card = load_card(model_card_path(model))
    if device != "cpu":
        from sitewatch.detect.torch_backend import TorchDetector

        return TorchDetector(
            card, device=device, score_threshold=score_threshold, iou_threshold=iou_threshold
        )
    return OnnxDetector(
        card,
        score_threshold=score_threshold,
        iou_threshold=iou_threshold,
        threads=threads,
        sessions=sessions,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CardCheck:
    """One model card and whether its ONNX file is the one it names (``sitewatch models list``).

    Attributes:
        card: The card (read without verifying when the check failed).
        status: ``"verified"``, or ``"FAILED: "`` and why.
        torch_weights: Where its PyTorch weights would lie (beside the card); they may be absent.
        cached: The card is in a cache folder, not packaged.
    """

    card: ModelCard
    status: str
    torch_weights: Path
    cached: bool = False


def check_model_cards(cache: Path | None = None) -> tuple[CardCheck, ...]:
    """Every packaged model card, by name, then every ``<cache>/*/*.json`` card, each checked."""
    from sitewatch.detect.registry import MODELS
    from sitewatch.detect.torch_backend import torch_weights_path
    from sitewatch.errors import ModelError

    def check(card_path: Path, cached: bool) -> CardCheck:
        try:
            card = load_card(card_path)
            status = "verified"
        except ModelError as exc:
            card = load_card(card_path, verify=False)
            status = f"FAILED: {exc}"
        return CardCheck(card=card, status=status, torch_weights=torch_weights_path(card),
                         cached=cached)

    cards = [check(card_path_for(name), False) for name in sorted(MODELS)]
    if cache is not None:
        cards += [check(path, True) for path in sorted(Path(cache).glob("*/*.json"))]
    return tuple(cards)
