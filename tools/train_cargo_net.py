"""Train a cargo network (is this box a vehicle loaded on a transporter?) on crops from
``make_cargo_crops.py`` (``cargo_crops.py`` cuts them).

A small convolutional network scores each view of a crop (the box's own axis, and the axis a
quarter turn away); a box's score is the higher of its two views, in training as in use. Loaded
crops are few, so each epoch draws every loaded crop ``--pos-repeat`` times and as many others
at random. Augmentation: half turns, mirror across the axis, shifts of up to 2 m along it,
brightness and contrast.

The threshold is chosen on the validation series only (``--val-sources``: crops whose
``source`` starts with one of these prefixes are never trained on): the lowest score whose
validation precision is at least ``--min-precision``, else the F1 maximum. ``--leave-carrier
K`` also keeps every crop of transporter K out of training and reports it apart: what the
network does on a transporter it never saw.

Needs PyTorch (the ``train`` extra). Writes ``OUT.onnx`` and ``OUT.json`` (validation and
leave-out figures, threshold, data hashes)::

    python tools/train_cargo_net.py train.npz OUT --val-sources AUAU010008 [--leave-carrier 16] \\
        [--test heldout.npz]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def build_net() -> Any:
    """The network (PyTorch, imported here)."""
    import torch.nn as nn

    def block(i: int, o: int) -> list[Any]:
        return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(),
                nn.Conv2d(o, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(),
                nn.MaxPool2d(2)]

    class Net(nn.Module):
        # halved first (0.5 m per pixel, 24 x 64), then three blocks: about 13 MFLOP a view,
        # so that looking at every box costs little beside the detector
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(nn.AvgPool2d(2), *block(3, 16), *block(16, 32),
                                          *block(32, 48))
            self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3), nn.Linear(48 * 3 * 8, 1))

        def forward(self, x: Any) -> Any:
            return self.head(self.features(x))

    return Net()


def augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """x: (B, 2, H, W, 3) uint8 -> float32 (B, 2, 3, H, W) in [0, 1]."""
    x = x.astype(np.float32) / 255.0
    b = len(x)
    turn = rng.random(b) < 0.5
    x[turn] = x[turn][:, :, ::-1, ::-1]
    flip = rng.random(b) < 0.5
    x[flip] = x[flip][:, :, ::-1]
    shift = rng.integers(-8, 9, b)
    for i in np.flatnonzero(shift):
        x[i] = np.roll(x[i], shift[i], axis=2)
    gain = rng.uniform(0.75, 1.25, (b, 1, 1, 1, 1)).astype(np.float32)
    bias = rng.uniform(-0.08, 0.08, (b, 1, 1, 1, 1)).astype(np.float32)
    x = np.clip(x * gain + bias, 0, 1)
    return np.ascontiguousarray(x.transpose(0, 1, 4, 2, 3))


def box_logits(net: Any, x: Any) -> Any:
    """(B, 2, 3, H, W) tensor -> (B,) logits: each box's higher view, in training as in use."""
    return net(x.reshape(-1, *x.shape[2:])).reshape(-1, 2).max(dim=1).values


def scores(net: Any, crops: np.ndarray) -> np.ndarray:
    import torch
    net.eval()
    out = []
    with torch.no_grad():
        for k in range(0, len(crops), 512):
            x = crops[k:k + 512].astype(np.float32) / 255.0
            x = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 1, 4, 2, 3)))
            out.append(torch.sigmoid(box_logits(net, x)).numpy())
    return np.concatenate(out) if out else np.zeros(0)


def rates(s: np.ndarray, y: np.ndarray, t: float) -> dict[str, float | int]:
    hit = s >= t
    tp, fp, fn = int((hit & (y == 1)).sum()), int((hit & (y == 0)).sum()), int((~hit & (y == 1)).sum())
    return {"threshold": round(t, 4), "tp": tp, "fp": fp, "fn": fn,
            "precision": round(tp / max(tp + fp, 1), 4), "recall": round(tp / max(tp + fn, 1), 4)}


def choose_threshold(s: np.ndarray, y: np.ndarray, min_precision: float) -> float:
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    good = [t for t in grid if rates(s, y, t)["precision"] >= min_precision and (s >= t).any()]
    if good:
        return float(min(good))
    f1 = [2 * r["tp"] / max(2 * r["tp"] + r["fp"] + r["fn"], 1)
          for r in (rates(s, y, t) for t in grid)]
    return float(grid[int(np.argmax(f1))])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path)
    p.add_argument("out", type=Path, help="OUT: writes OUT.onnx and OUT.json")
    p.add_argument("--val-sources", nargs="+", required=True)
    p.add_argument("--leave-carrier", type=int, default=None)
    p.add_argument("--test", type=Path, default=None,
                   help="crops of other series (make_cargo_crops.py): scored at the chosen "
                   "threshold, per tile, after the threshold is fixed")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--pos-repeat", type=int, default=4)
    p.add_argument("--min-precision", type=float, default=0.9)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    import torch

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(args.seed)
    d = np.load(args.data)
    crops, y, carrier, source = d["crops"], d["y"].astype(np.int64), d["carrier"], d["source"]
    val = np.array([any(str(s).startswith(v) for v in args.val_sources) for s in source])
    left = (carrier == args.leave_carrier) if args.leave_carrier is not None else np.zeros_like(val)
    train = ~val & ~left
    pos, neg = np.flatnonzero(train & (y == 1)), np.flatnonzero(train & (y == 0))
    print(f"train {len(pos)} loaded / {len(neg)} other; validation {int(val.sum())}; "
          f"left out {int(left.sum())}", flush=True)
    net = build_net()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = args.epochs * ((2 * args.pos_repeat * len(pos)) // 64 + 1)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    t0 = time.time()
    for epoch in range(args.epochs):
        net.train()
        idx = np.concatenate([np.repeat(pos, args.pos_repeat),
                              rng.choice(neg, args.pos_repeat * len(pos), replace=False)])
        rng.shuffle(idx)
        total = 0.0
        for k in range(0, len(idx), 64):
            b = idx[k:k + 64]
            x = torch.from_numpy(augment(crops[b], rng))
            loss = loss_fn(box_logits(net, x), torch.from_numpy(y[b]).float())
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(b)
        sv = scores(net, crops[val])
        print(f"epoch {epoch + 1}: loss {total / len(idx):.4f}; validation at 0.5 "
              f"{rates(sv, y[val], 0.5)} ({time.time() - t0:.0f} s)", flush=True)
    sv = scores(net, crops[val])
    t = choose_threshold(sv, y[val], args.min_precision)
    record = {
        "data": str(args.data), "data_sha256": hashlib.sha256(args.data.read_bytes()).hexdigest(),
        "data_meta": json.loads(str(d["meta"])), "argv": sys.argv[1:],
        "train": {"loaded": len(pos), "other": len(neg)},
        "threshold": t, "validation": rates(sv, y[val], t),
        "validation_sources": args.val_sources,
    }
    if args.leave_carrier is not None:
        sl = scores(net, crops[left])
        record["left_out_carrier"] = {"carrier": args.leave_carrier, **rates(sl, y[left], t)}
    if args.test is not None:
        test = np.load(args.test)
        st, yt = scores(net, test["crops"]), test["y"].astype(np.int64)
        tiles = np.array([str(s).split("-")[0].split(".")[0] for s in test["source"]])
        record["test"] = {"data": str(args.test), "all": rates(st, yt, record["threshold"])} | {
            name: rates(st[tiles == name], yt[tiles == name], record["threshold"])
            for name in sorted(set(tiles))}
    print(json.dumps(record, indent=1))
    net.eval()
    dummy = torch.zeros(1, 3, crops.shape[2], crops.shape[3])
    torch.onnx.export(net, dummy, str(args.out.with_suffix(".onnx")), input_names=["crops"],
                      output_names=["logits"], dynamic_axes={"crops": {0: "n"}, "logits": {0: "n"}},
                      opset_version=17, dynamo=False)
    record["onnx_sha256"] = hashlib.sha256(args.out.with_suffix(".onnx").read_bytes()).hexdigest()
    args.out.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
