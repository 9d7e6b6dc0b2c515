"""The PyTorch backend (GPU inference) against the ONNX backend, run on torch's CPU here.

Where no GPU is present, the same code runs on torch's CPU device: what a GPU changes is the
network's floating-point rounding, not the decoding, which is shared with the ONNX backend.
The tests that need torch and Ultralytics are skipped without them (CI installs neither).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from sitewatch.detect import detect_raster, load_detector
from sitewatch.detect.modelcard import load_card
from sitewatch.detect.registry import DEFAULT_MODEL, card_path_for
from sitewatch.detect.torch_backend import TorchDetector, torch_weights_path
from sitewatch.errors import ConfigError, ModelError
from tests.torch_marks import needs_torch

DEMO_IMAGE = (
    Path(__file__).resolve().parents[2]
    / "src" / "sitewatch" / "demo" / "data" / "demo-depot_2014-08-05.tif"
)  # fmt: skip




def _card_copy(tmp_path: Path) -> Path:
    card = load_card(card_path_for(DEFAULT_MODEL))
    for path in (card.onnx_path, card.onnx_path.with_suffix(".json"), torch_weights_path(card)):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path / card.onnx_path.with_suffix(".json").name


def test_an_unknown_device_is_refused() -> None:
    with pytest.raises(ConfigError, match="must be cpu, cuda or cuda:N"):
        load_detector(device="gpu")


def test_a_gpu_without_torch_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ConfigError, match=r"sitewatch\[gpu\]"):
        load_detector(device="cuda")


def test_damaged_torch_weights_are_refused(tmp_path: Path) -> None:
    card_path = _card_copy(tmp_path)
    weights = torch_weights_path(load_card(card_path))
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(ModelError, match="sha256"):
        load_detector(card_path, device="cuda")


def test_missing_torch_weights_are_refused(tmp_path: Path) -> None:
    card_path = _card_copy(tmp_path)
    torch_weights_path(load_card(card_path)).unlink()
    with pytest.raises(ModelError, match="is missing"):
        load_detector(card_path, device="cuda:0")


@needs_torch
def test_torch_and_onnx_find_the_same_vehicles_on_real_pixels() -> None:
    onnx = load_detector(threads=2)
    torch_cpu = TorchDetector(load_card(card_path_for(DEFAULT_MODEL)), device="cpu")
    a = detect_raster(DEMO_IMAGE, onnx, gsd_m=0.12).detections
    b = detect_raster(DEMO_IMAGE, torch_cpu, gsd_m=0.12).detections
    assert len(a) >= 10
    assert len(a) == len(b)
    for found in a:
        twin = min(b, key=lambda d: np.hypot(d.box.cx_px - found.box.cx_px,
                                             d.box.cy_px - found.box.cy_px))
        assert twin.label == found.label
        assert abs(twin.box.cx_px - found.box.cx_px) < 0.05
        assert abs(twin.box.width_px - found.box.width_px) < 0.05
        assert abs(twin.score - found.score) < 1e-3


@needs_torch
def test_torch_runs_record_the_weights_they_ran() -> None:
    card = load_card(card_path_for(DEFAULT_MODEL))
    detector = TorchDetector(card, device="cpu")
    assert detector.sha256 == card.source_sha256 != card.onnx_sha256
    assert detector.detect_batch([]) == []
    empty = detector.detect_batch([np.full((200, 300, 3), 128, dtype=np.uint8)])
    assert empty == [()]
    with pytest.raises(ConfigError, match="uint8 RGB"):
        detector.detect_batch([np.zeros((64, 64), dtype=np.uint8)])


@needs_torch
def test_half_precision_needs_cuda() -> None:
    with pytest.raises(ConfigError, match="needs a CUDA device"):
        TorchDetector(load_card(card_path_for(DEFAULT_MODEL)), device="cpu", half=True)


@needs_torch
def test_cuda_asked_for_where_there_is_none_is_refused() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is present")
    with pytest.raises(ConfigError, match="sees no CUDA GPU"):
        load_detector(device="cuda")


@needs_torch
def test_a_gpu_run_is_replayed_on_cpu_with_the_onnx_file_of_the_same_weights(
    tmp_path: Path,
) -> None:
    import datetime as dt

    from sitewatch.case import detect_case, replay_case, report_case
    from sitewatch.catalog import CaseStore, ingest_files

    case = CaseStore.init(tmp_path / "case")
    ingest_files(case, [DEMO_IMAGE], site="depot", date=dt.date(2014, 8, 5), source="demo")
    torch_cpu = TorchDetector(load_card(card_path_for(DEFAULT_MODEL)), device="cpu")
    summary = detect_case(case, torch_cpu)
    assert summary.detections >= 10
    (run,) = case.runs()
    assert run.model_sha256 == torch_cpu.sha256
    report_case(case)
    assert replay_case(case).ok
