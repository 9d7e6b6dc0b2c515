"""The training-data recipe: how real tiles, real ground and pasted chips are mixed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sitewatch.detect import VehicleClass
from sitewatch.errors import ConfigError
from sitewatch.train.backgrounds import Background, random_cell
from sitewatch.train.chips import VehicleChip
from sitewatch.train.layouts import Layout
from sitewatch.train.samples import TrainingSample
from sitewatch.train.synth import Cell, SynthConfig, compose_tile

__all__ = ["TileMix", "synthesize"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TileMix:
    """What each cell of a synthetic tile is drawn from.

    Attributes:
        real_cell_prob: Chance a cell is a real labelled tile, kept as it is (with its labels).
        negative_cell_prob: Chance a cell is hard-negative ground that gets no vehicles.
        The rest are real ground (``grounds``) with one real layout of chips pasted on.
    """

    real_cell_prob: float = 0.3
    negative_cell_prob: float = 0.1

    def __post_init__(self) -> None:
        if not (self.real_cell_prob >= 0 and self.negative_cell_prob >= 0):
            raise ConfigError("tile mix probabilities must be non-negative")
        if self.real_cell_prob + self.negative_cell_prob > 1:
            raise ConfigError(
                f"real_cell_prob + negative_cell_prob must be <= 1, got "
                f"{self.real_cell_prob} + {self.negative_cell_prob}"
            )


def _draw_cell(
    rng: np.random.Generator,
    real: Sequence[Background],
    grounds: Sequence[Background],
    negatives: Sequence[Background],
    *,
    mix: TileMix,
    cell_px: int,
) -> Cell:
    u = rng.random()
    if real and u < mix.real_cell_prob:
        pool = real
    elif negatives and u < mix.real_cell_prob + mix.negative_cell_prob:
        pool = negatives
    else:
        pool = grounds or real
    return random_cell(rng, pool[int(rng.integers(len(pool)))], cell_px=cell_px)


def synthesize(
    rng: np.random.Generator,
    *,
    real: Sequence[Background],
    grounds: Sequence[Background],
    negatives: Sequence[Background],
    layouts: Sequence[Layout],
    chips: Mapping[VehicleClass, Sequence[VehicleChip]],
    n_tiles: int,
    config: SynthConfig,
    mix: TileMix = TileMix(),
) -> Iterator[TrainingSample]:
    """Yield ``n_tiles`` synthetic training tiles of 2×2 cells (see :mod:`.synth`).

    ``real`` backgrounds should be the training tiles themselves (``paste=False``), ``grounds``
    real ground to paste on (``paste=True``), ``negatives`` ground that must stay empty.

    Raises:
        ConfigError: there is nothing to draw cells from.
    """
    if not (real or grounds):
        raise ConfigError("synthesis needs at least one real tile or one ground image")
    for _ in range(n_tiles):
        cells = [
            _draw_cell(rng, real, grounds, negatives, mix=mix, cell_px=config.cell_px)
            for _ in range(4)
        ]
        yield compose_tile(rng, cells, layouts, chips, config=config)
