"""Time distributions. A scenario gives each process a factor distribution (mean about 1) that multiplies the
table's time, so the network keeps the means and the scenario sets the variability."""

from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .nested import SortedFieldsSet


class _Dist(SortedFieldsSet, BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    def sample(self, rng: np.random.Generator) -> float:
        """One draw."""
        raise NotImplementedError

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n draws: the same numbers, in the same order, as n calls of sample() (numpy fills arrays one
        element after another from the same bit stream; tested)."""
        raise NotImplementedError


class Deterministic(_Dist):
    """Always `value` (default 1: the table time exactly)."""

    dist: Literal["deterministic"] = Field("deterministic", description="Kind of distribution: deterministic.")
    value: float = Field(1.0, ge=0, description="The factor every draw takes (dimensionless).")

    def sample(self, rng: np.random.Generator) -> float:
        return self.value

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    @property
    def mean(self) -> float:
        return self.value

    @property
    def low(self) -> float:
        """Smallest value the distribution can take (for rigorous bounds)."""
        return self.value


class _PositiveWithMean(_Dist):
    """A distribution on (0, inf) given by its mean (default 1); it can come arbitrarily close to 0."""

    mean_: float = Field(1.0, gt=0, alias="mean", description="Mean of the factor (dimensionless).")

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def low(self) -> float:
        return 0.0


class Exponential(_PositiveWithMean):
    """Exponential with the given mean (default 1)."""

    dist: Literal["exponential"] = Field(description="Kind of distribution: exponential.")

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.exponential(self.mean_))

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean_, n)


class Triangular(_Dist):
    """Triangular between low and high with the given mode."""

    dist: Literal["triangular"] = Field(description="Kind of distribution: triangular.")
    low: float = Field(ge=0, description="Smallest factor (dimensionless).")
    mode: float = Field(ge=0, description="Most likely factor (dimensionless).")
    high: float = Field(gt=0, description="Largest factor (dimensionless).")

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError("triangular needs low <= mode <= high and low < high")
        return self

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.triangular(self.low, self.mode, self.high))

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, n)

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class Lognormal(_PositiveWithMean):
    """Lognormal given by its own mean and standard deviation (not those of the underlying normal)."""

    dist: Literal["lognormal"] = Field(description="Kind of distribution: lognormal.")
    sd: float = Field(gt=0, description="Standard deviation of the factor (dimensionless).")

    def _params(self) -> tuple[float, float]:
        sigma2 = math.log(1 + (self.sd / self.mean_) ** 2)
        return math.log(self.mean_) - sigma2 / 2, math.sqrt(sigma2)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.lognormal(*self._params()))

    def sample_many(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(*self._params(), n)


Distribution = Annotated[
    Union[Deterministic, Exponential, Triangular, Lognormal], Field(discriminator="dist")
]


class Sampler:
    """Draws of one distribution from one stream, taken from the stream in blocks: the same numbers in the
    same order as one call per draw, at a fraction of the cost."""

    BLOCK = 64

    def __init__(self, dist: _Dist, rng: np.random.Generator):
        self.dist, self.rng = dist, rng
        self._left: list[float] = []

    def __call__(self) -> float:
        if not self._left:
            self._left = self.dist.sample_many(self.rng, self.BLOCK).tolist()[::-1]
        return self._left.pop()


def as_distribution(value: object) -> object:
    """Let a bare number stand for a deterministic value in scenario files."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "deterministic", "value": value}
    if isinstance(value, str):
        return {"dist": value}
    return value
