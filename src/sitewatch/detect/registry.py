"""The one registry of detector models shipped inside the package: name -> model card file."""

from __future__ import annotations

from pathlib import Path

from sitewatch.errors import ConfigError

#: Folder inside the package holding ``<name>.onnx`` and ``<name>.json`` (the model card).
MODELS_DIR = Path(__file__).with_name("models")

#: Registry name -> model card file name (inside :data:`MODELS_DIR`).
MODELS: dict[str, str] = {
    "dota-yolov8n-obb": "dota-yolov8n-obb.json",
}

#: The model used when none is named.
DEFAULT_MODEL = "dota-yolov8n-obb"


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
