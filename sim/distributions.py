"""Time distributions. A scenario gives each process a factor distribution (mean about 1) that multiplies the
table's time, so the network keeps the means and the scenario sets the variability."""

from __future__ import annotations

import math
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Deterministic(_Dist):
    """Always `value` (default 1: the table time exactly)."""

    dist: Literal["deterministic"] = "deterministic"
    value: float = Field(1.0, ge=0)

    def sample(self, rng: np.random.Generator) -> float:
        return self.value

    @property
    def mean(self) -> float:
        return self.value

    @property
    def low(self) -> float:
        """Smallest value the distribution can take (for rigorous bounds)."""
        return self.value


class _PositiveWithMean(_Dist):
    """A distribution on (0, inf) given by its mean (default 1); it can come arbitrarily close to 0."""

    mean_: float = Field(1.0, gt=0, alias="mean")

    @property
    def mean(self) -> float:
        return self.mean_

    @property
    def low(self) -> float:
        return 0.0


class Exponential(_PositiveWithMean):
    """Exponential with the given mean (default 1)."""

    dist: Literal["exponential"]

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.exponential(self.mean_))


class Triangular(_Dist):
    """Triangular between low and high with the given mode."""

    dist: Literal["triangular"]
    low: float = Field(ge=0)
    mode: float = Field(ge=0)
    high: float = Field(gt=0)

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError("triangular needs low <= mode <= high and low < high")
        return self

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.triangular(self.low, self.mode, self.high))

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3


class Lognormal(_PositiveWithMean):
    """Lognormal given by its own mean and standard deviation (not those of the underlying normal)."""

    dist: Literal["lognormal"]
    sd: float = Field(gt=0)

    def sample(self, rng: np.random.Generator) -> float:
        sigma2 = math.log(1 + (self.sd / self.mean_) ** 2)
        mu = math.log(self.mean_) - sigma2 / 2
        return float(rng.lognormal(mu, math.sqrt(sigma2)))


Distribution = Annotated[
    Union[Deterministic, Exponential, Triangular, Lognormal], Field(discriminator="dist")
]


def as_distribution(value: object) -> object:
    """Let a bare number stand for a deterministic value in scenario files."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"dist": "deterministic", "value": value}
    if isinstance(value, str):
        return {"dist": value}
    return value
