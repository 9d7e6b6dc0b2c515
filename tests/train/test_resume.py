"""``sitewatch train --resume``: a training killed in its last stage continues from its last
epoch, on the same dataset, and refuses a folder another request wrote.

The end-to-end test trains a tiny model (YOLOv8n-OBB built from its YAML, 64 px tiles, two
labelled tiles) and is skipped without torch and Ultralytics (CI installs neither). The kill is
a real one: the trainer is stopped right after it saved the first stage-2 epoch, as a killed
process would leave the folder.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from sitewatch.detect import ultralytics_offline
from sitewatch.digest import sha256_file
from sitewatch.errors import ConfigError
from sitewatch.train import SynthConfig, TrainRequest, TrainSettings, run_training
from sitewatch.train.pipeline import REQUEST_FILE
from tests.torch_marks import needs_torch


def _labelled_tiles(folder: Path) -> Path:
    """Two 64-px tiles with three bright 'vehicles' each, VOC-labelled."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for stem in ("a", "b"):
        image = rng.integers(40, 90, (64, 64, 3), dtype=np.uint8)
        objects = []
        for i in range(3):
            x0, y0 = 6 + 20 * i, 10 + 16 * i
            image[y0:y0 + 6, x0:x0 + 12] = 230
            objects.append(f"<object><name>AFV</name><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin>"
                           f"<xmax>{x0 + 12}</xmax><ymax>{y0 + 6}</ymax></bndbox></object>")
        cv2.imwrite(str(folder / f"{stem}.png"), image)
        (folder / f"{stem}.xml").write_text(
            "<annotation><size><width>64</width><height>64</height></size>"
            + "".join(objects) + "</annotation>")
    return folder


def _digests(folder: Path) -> dict[str, str]:
    return {str(f.relative_to(folder)): sha256_file(f) for f in folder.rglob("*") if f.is_file()}


def _request(tmp_path: Path, base: Path, **changes: object) -> TrainRequest:
    tiles = tmp_path / "tiles" if (tmp_path / "tiles").is_dir() else _labelled_tiles(tmp_path / "tiles")
    request = TrainRequest(
        out_dir=tmp_path / "out", base=base, base_sha256=sha256_file(base), images_dir=tiles,
        labels_dir=tiles, data_gsd_m=0.3, holdout=("b",), n_tiles=4, seed=0, mine_epochs=1,
        synth=SynthConfig(gsd_m=0.3, cell_px=32),
        settings=TrainSettings(epochs=3, imgsz=64, batch=2, seed=0, workers=0),
    )  # fmt: skip
    return replace(request, **changes)  # type: ignore[arg-type]


def test_resume_refuses_a_missing_folder_and_another_request(tmp_path: Path) -> None:
    base = tmp_path / "base.pt"
    base.write_bytes(b"not read: the refusals come before any training")
    with pytest.raises(ConfigError, match="does not exist, so there is nothing to resume"):
        run_training(_request(tmp_path, base, resume=True))
    out = tmp_path / "out"
    out.mkdir()
    recorded = {"recipe_sha256": None, "seed": 1, "base_sha256": sha256_file(base)}
    (out / REQUEST_FILE).write_text(json.dumps(recorded))
    with pytest.raises(ConfigError) as refused:
        run_training(_request(tmp_path, base, resume=True))
    message = str(refused.value)
    assert str(out) in message and "seed" in message and "\n" not in message
    assert sorted(p.name for p in out.iterdir()) == [REQUEST_FILE]  # nothing else written


@needs_torch
# Ultralytics' ONNX export (the one every training uses) runs torch's deprecated exporter
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_run_killed_in_its_last_stage_resumes_from_its_last_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ultralytics_offline(tmp_path / "cfg")  # before Ultralytics is first imported
    import torch
    from ultralytics import YOLO
    from ultralytics.engine.trainer import BaseTrainer

    base = tmp_path / "base.pt"
    YOLO("yolov8n-obb.yaml").save(str(base))
    request = _request(tmp_path, base)

    save = BaseTrainer.save_model

    def killed_after_first_stage2_epoch(self: BaseTrainer) -> bool:
        saved = save(self)
        if Path(self.save_dir).name == "stage2" and self.epoch == 0:
            raise KeyboardInterrupt("killed")
        return saved

    monkeypatch.setattr(BaseTrainer, "save_model", killed_after_first_stage2_epoch)
    with pytest.raises(KeyboardInterrupt):
        run_training(request)
    monkeypatch.setattr(BaseTrainer, "save_model", save)
    out = request.out_dir
    last = out / "stage2" / "weights" / "last.pt"
    assert torch.load(last, map_location="cpu", weights_only=False)["epoch"] == 0
    stage1 = sha256_file(out / "stage1" / "weights" / "last.pt")
    dataset = sha256_file(out / "dataset_stage2" / "sources.jsonl")

    # another seed, or a changed dataset, is refused, naming the folder; nothing is changed
    with pytest.raises(ConfigError, match=f"{out}.*seed"):
        run_training(replace(request, seed=1, settings=replace(request.settings, seed=1),
                             resume=True))
    with pytest.raises(ConfigError, match="n_tiles"):
        run_training(replace(request, n_tiles=5, resume=True))
    with pytest.raises(ConfigError, match=f"{out} was started with another settings"):
        run_training(replace(request, settings=replace(request.settings, scale_jitter=0.3),
                             resume=True))
    assert torch.load(last, map_location="cpu", weights_only=False)["epoch"] == 0
    # a folder written before the request file existed: the rebuilt datasets are the check
    (out / REQUEST_FILE).rename(tmp_path / REQUEST_FILE)
    before = _digests(out)
    with pytest.raises(ConfigError, match=f"builds another {out / 'dataset'} than the one stage1"):
        run_training(replace(request, n_tiles=5, resume=True))
    with pytest.raises(ConfigError, match=f"{last} was trained with epochs 2, this request 3"):
        run_training(replace(request, settings=replace(request.settings, epochs=4), resume=True))
    first = out / "stage1" / "weights" / "last.pt"
    with pytest.raises(ConfigError, match=f"{first} was trained with scale jitter 0.1, this request 0.3"):
        run_training(replace(request, settings=replace(request.settings, scale_jitter=0.3),
                             resume=True))
    assert _digests(out) == before  # refused, nothing changed (Ultralytics' label caches kept)
    (tmp_path / REQUEST_FILE).rename(out / REQUEST_FILE)
    moved = tmp_path / "moved"
    shutil.copytree(out, moved)  # Ultralytics would resume into the folder the run started in
    with pytest.raises(ConfigError, match=f"{moved} was written as {out} \\(moved or copied\\)"):
        run_training(replace(request, out_dir=moved, resume=True))

    written = json.loads((out / REQUEST_FILE).read_text(encoding="utf-8"))
    del written["settings"]["scale_jitter"]  # as a folder written before it was a setting
    (out / REQUEST_FILE).write_text(json.dumps(written), encoding="utf-8")
    summary = run_training(replace(request, resume=True))
    record = json.loads(Path(summary["training_card"]).read_text())
    assert record["resumed"]["stages"] == {
        "stage1": {"finished_stage_reused": True, "epochs": 1},
        "stage2": {"finished_stage_reused": False, "epochs": 2, "epochs_done_before": 1,
                   "continued_from_epoch": 2},
    }
    assert sha256_file(out / "stage1" / "weights" / "last.pt") == stage1  # reused, not retrained
    assert sha256_file(out / "dataset_stage2" / "sources.jsonl") == dataset
    finished = torch.load(last, map_location="cpu", weights_only=False)
    assert finished["epoch"] == -1 and finished["optimizer"] is None
    assert Path(summary["onnx"]).is_file()
