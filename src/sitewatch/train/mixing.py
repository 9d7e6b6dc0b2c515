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
        civilian_cell_prob: Chance a cell is civilian ground, kept with its civilian labels
            (:mod:`.civground`); each civilian image is drawn in proportion to its area.
        The rest are real ground (``grounds``) with one real layout of chips pasted on.
    """

    real_cell_prob: float = 0.3
    negative_cell_prob: float = 0.1
    civilian_cell_prob: float = 0.0

    def __post_init__(self) -> None:
        probs = (self.real_cell_prob, self.negative_cell_prob, self.civilian_cell_prob)
        if not all(p >= 0 for p in probs):
            raise ConfigError("tile mix probabilities must be non-negative")
        if sum(probs) > 1:
            raise ConfigError(
                f"real_cell_prob + negative_cell_prob + civilian_cell_prob must be <= 1, got "
                f"{self.real_cell_prob} + {self.negative_cell_prob} + {self.civilian_cell_prob}"
            )


def _draw_cell(
    rng: np.random.Generator,
    real: Sequence[Background],
    grounds: Sequence[Background],
    negatives: Sequence[Background],
    *,
    mix: TileMix,
    cell_px: int,
    civilian: Sequence[Background] = (),
    civilian_p: np.ndarray | None = None,
) -> Cell:
    u = rng.random()
    if real and u < mix.real_cell_prob:
        pool = real
    elif negatives and u < mix.real_cell_prob + mix.negative_cell_prob:
        pool = negatives
    elif civilian and u < mix.real_cell_prob + mix.negative_cell_prob + mix.civilian_cell_prob:
        return random_cell(rng, civilian[int(rng.choice(len(civilian), p=civilian_p))],
                           cell_px=cell_px)
    else:
        pool = grounds or real
    return random_cell(rng, pool[int(rng.integers(len(pool)))], cell_px=cell_px)


def _area_weights(images: Sequence[Background], cell_px: int) -> np.ndarray:
    """Chance of drawing each image for a cell: its area in cells (at least one)."""
    areas = np.array([max(1.0, b.image.shape[0] * b.image.shape[1] / cell_px**2) for b in images])
    weights: np.ndarray = areas / areas.sum()
    return weights


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
    civilian: Sequence[Background] = (),
) -> Iterator[TrainingSample]:
    """Yield ``n_tiles`` synthetic training tiles of 2×2 cells (see :mod:`.synth`).

    ``real`` backgrounds should be the training tiles themselves (``paste=False``), ``grounds``
    real ground to paste on (``paste=True``), ``negatives`` ground that must stay empty,
    ``civilian`` civilian ground with its civilian labels (drawn with ``mix.civilian_cell_prob``).

    Raises:
        ConfigError: there is nothing to draw cells from.
    """
    if not (real or grounds):
        raise ConfigError("synthesis needs at least one real tile or one ground image")
    civilian_p = _area_weights(civilian, config.cell_px) if civilian else None
    for _ in range(n_tiles):
        cells = [
            _draw_cell(rng, real, grounds, negatives, mix=mix, cell_px=config.cell_px,
                       civilian=civilian, civilian_p=civilian_p)
            for _ in range(4)
        ]
        yield compose_tile(rng, cells, layouts, chips, config=config)
