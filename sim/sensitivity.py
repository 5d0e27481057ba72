"""What the answer rests on: each group of assumptions moved low and high, the others kept, and the groups
ranked by how much they move closure.

Three quarters of the network's numbers are assumptions (networks/belgium/sources.csv says which). A group is
a set of parameters moved together: every rail line's military paths, every wagon pool, every port's discharge
rates, and so on. Each group is run at its low and at its high setting with the scenario's seed and
replication indices (common random numbers), so the effect of a group is the paired difference of the two
closures. The low and high settings are the ranges below: ASSUMPTIONS, wide enough to span what the sources
leave open (the built-in military paths per day, say, are an assumption of 4 where a path catalogue could give
2 or 6), not estimates of uncertainty. A user adds groups of their own: a parameter (`sim.variants` names) and
its low and high values."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import lazy_loader

from .errors import InputError, Problem
from .plan import Plan
from .runner import run_figures
from .statistics import ci95
from .variants import Value, parse_value, variant

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

Edits = dict[str, dict[str, Value]]  # "set" / "scale" -> parameter -> value, for sim.variants.variant


@dataclass(frozen=True)
class Group:
    """A group of assumptions: its name, what it moves (in words), and the variant edits of its low and high
    settings for a plan (empty when the plan has nothing the group moves)."""

    name: str
    what: str
    low: str
    high: str
    edits: Callable[[Plan, str], Edits]


def _scale_each(keys: Callable[[Plan], list[str]], low: float, high: float) -> Callable[[Plan, str], Edits]:
    """Edits scaling every parameter `keys` gives by `low` or `high`."""
    def edits(plan: Plan, side: str) -> Edits:
        factor = low if side == "low" else high
        names = keys(plan)
        return {"scale": dict.fromkeys(names, factor)} if names else {}
    return edits


def _rail_paths(plan: Plan) -> list[str]:
    links = plan.network.links
    rail = links[(links["mode"] == "rail") & (links["paths_per_day"].astype(float) > 0)]
    return [f"links.{lid}.paths_per_day" for lid in sorted(rail.index)]


def _discharge(plan: Plan) -> list[str]:
    ports = plan.network.seaports
    cols = [c for c in ports.columns if c.startswith("discharge_pph")]
    return [f"seaports.{p}.{c}" for p in sorted(ports.index) for c in cols
            if ports.at[p, c] is not None and not (isinstance(ports.at[p, c], float) and math.isnan(ports.at[p, c]))]


def _train_length(plan: Plan) -> list[str]:
    return [f"railheads.{r}.max_train_m" for r in sorted(plan.network.railheads.index)]


def _wagons(plan: Plan) -> list[str]:
    return [f"pools.wagons.{w}" for w, n in sorted(plan.scenario.pools.wagons.items()) if n]


def _pool(name: str) -> Callable[[Plan], list[str]]:
    def keys(plan: Plan) -> list[str]:
        return [f"pools.{name}"] if getattr(plan.scenario.pools, name) else []
    return keys


def _rail_times(plan: Plan) -> list[str]:
    r = plan.scenario.rail
    return [f"rail.{k}" for k in ("path_lead_h", "positioning_h") if getattr(r, k)]


def _far_ends(plan: Plan) -> list[str]:
    return [f"rail.far_ends.{x}.transit_h" for x in sorted(plan.scenario.rail.far_ends)]


def _civil(plan: Plan, side: str) -> Edits:
    level = plan.scenario.civil_traffic.level
    return {"set": {"civil_traffic.level": 0.0 if side == "low" else max(1.0, 1.5 * level)}}


# The built-in groups and their ranges (ASSUMPTIONS: each spans what its sources leave open).
GROUPS: tuple[Group, ...] = (
    Group("military train paths", "paths per day on every rail line", "x0.5", "x1.5", _scale_each(_rail_paths, 0.5, 1.5)),
    Group("terminal train length", "longest train at every railhead", "x0.75", "x1.25",
          _scale_each(_train_length, 0.75, 1.25)),
    Group("wagon pools", "military-capable wagons of every type", "x0.5", "x1.5", _scale_each(_wagons, 0.5, 1.5)),
    Group("locomotives with crews", "train sets", "x0.5", "x1.5", _scale_each(_pool("train_sets"), 0.5, 1.5)),
    Group("port discharge rate", "pieces per hour of every berth", "x0.75", "x1.25", _scale_each(_discharge, 0.75, 1.25)),
    Group("rail lead times", "path lead time and stock positioning", "x0.5", "x2", _scale_each(_rail_times, 0.5, 2.0)),
    Group("far-end transit", "rail transit to the destinations beyond the border", "x0.5", "x1.5",
          _scale_each(_far_ends, 0.5, 1.5)),
    Group("HET pool", "heavy equipment transporters", "x0.5", "x1.5", _scale_each(_pool("hets"), 0.5, 1.5)),
    Group("civil traffic level", "civil traffic sharing lines, roads and berths", "none", "x1.5 (at least today's)",
          _civil),
)


def user_group(text: str) -> Group:
    """A group of the user's: `NAME:PARAMETER=LOW,HIGH` (a parameter as sim.variants names it, set to LOW and
    to HIGH), e.g. `heavy flats:pools.wagons.heavy_flat=60,240`."""
    name, sep, rest = text.partition(":")
    param, eq, values = rest.partition("=")
    vals = [v.strip() for v in values.split(",")]
    if not sep or not eq or not name.strip() or not param.strip() or len(vals) != 2 or not all(vals):
        raise InputError([Problem("(command line)", "--group", text, "expected NAME:PARAMETER=LOW,HIGH")])
    low, high = parse_value(vals[0]), parse_value(vals[1])
    p = param.strip()
    return Group(name.strip(), p, str(low), str(high),
                 lambda plan, side: {"set": {p: low if side == "low" else high}})


@dataclass(frozen=True)
class Assumption:
    """A group's result: closure (h) at its low and high settings with 95 % intervals, and its effect (high
    minus low, paired by replication) with its interval; NaN intervals with one replication."""

    group: str
    what: str
    low: str
    high: str
    closure_low_h: float
    closure_low_ci95: tuple[float, float]
    closure_high_h: float
    closure_high_ci95: tuple[float, float]
    effect_h: float
    effect_ci95: tuple[float, float]
    not_closed_low: int = 0  # replications that did not close by the horizon (counted at the horizon)
    not_closed_high: int = 0

    def as_dict(self) -> dict[str, Any]:
        def num(x: float) -> float | None:
            return None if math.isnan(x) else round(x, 4)
        return {"group": self.group, "what": self.what, "low": self.low, "high": self.high,
                "closure_low_h": num(self.closure_low_h), "closure_low_ci95": [num(x) for x in self.closure_low_ci95],
                "closure_high_h": num(self.closure_high_h), "closure_high_ci95": [num(x) for x in self.closure_high_ci95],
                "effect_h": num(self.effect_h), "effect_ci95": [num(x) for x in self.effect_ci95],
                "not_closed_low": self.not_closed_low, "not_closed_high": self.not_closed_high}


def _closures(plan: Plan, seed: int, n: int) -> tuple[list[float], int]:
    """Closure of each replication (h; a run that does not close counts at its end, a lower bound) and how many
    did not close."""
    out, open_ = [], 0
    for r in range(n):
        s = run_figures(plan, seed, r)  # closure and end straight from the records, no tables
        open_ += s["closure_h"] is None
        out.append(float(s["closure_h"]) if s["closure_h"] is not None else float(s["end_h"]))
    return out, open_


def sensitivity(plan: Plan, groups: Sequence[Group] = GROUPS, replications: int | None = None, seed: int | None = None,
                progress: Callable[[str], None] | None = None) -> tuple[float, list[Assumption]]:
    """Baseline closure (mean h) and each group that moves something in this plan, ranked by the size of its
    effect on closure (largest first). Every run uses the same seed and replication indices."""
    seed = plan.scenario.seed if seed is None else seed
    n = plan.scenario.replications if replications is None else replications
    base, _ = _closures(plan, seed, n)
    out = []
    for g in groups:
        lo_edits, hi_edits = g.edits(plan, "low"), g.edits(plan, "high")
        if not lo_edits and not hi_edits:
            continue
        if progress is not None:
            progress(g.name)
        lo, open_lo = _closures(variant(plan, set=lo_edits.get("set"), scale=lo_edits.get("scale")), seed, n)
        hi, open_hi = _closures(variant(plan, set=hi_edits.get("set"), scale=hi_edits.get("scale")), seed, n)
        ml, ll, hl = ci95(lo)
        mh, lh, hh = ci95(hi)
        me, le, he = ci95([b - a for a, b in zip(lo, hi, strict=True)])
        out.append(Assumption(g.name, g.what, g.low, g.high, ml, (ll, hl), mh, (lh, hh), me, (le, he), open_lo, open_hi))
    out.sort(key=lambda a: (-abs(a.effect_h), a.group))
    return ci95(base)[0], out


def as_frame(ranked: list[Assumption]) -> pd.DataFrame:
    """The ranking as a table, one row per group, largest effect first."""
    return pd.DataFrame([a.as_dict() for a in ranked])


def plot_tornado(baseline_h: float, ranked: list[Assumption], ax: Any = None) -> Any:
    """A tornado chart: per group (largest effect on top) a bar from the baseline to closure at the low and at
    the high setting, in days, with the 95 % intervals as whiskers; returns the Figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 0.45 * max(3, len(ranked)) + 1.2), layout="constrained")
    else:
        fig = ax.figure
    from matplotlib.patches import Patch

    ys = list(range(len(ranked)))[::-1]
    base = baseline_h / 24
    low_colour, high_colour = "#0072B2", "#E69F00"  # Okabe-Ito blue and orange: safe for colour-blind readers
    for y, a in zip(ys, ranked, strict=True):
        for value, ci, colour, dy, cut in ((a.closure_low_h, a.closure_low_ci95, low_colour, 0.18, a.not_closed_low),
                                           (a.closure_high_h, a.closure_high_ci95, high_colour, -0.18, a.not_closed_high)):
            ax.barh(y + dy, value / 24 - base, left=base, color=colour, height=0.34, hatch="//" if cut else None,
                    edgecolor="white" if cut else colour)
            if not math.isnan(ci[0]):
                ax.errorbar(value / 24, y + dy, xerr=[[value / 24 - ci[0] / 24], [ci[1] / 24 - value / 24]],
                            fmt="none", ecolor="#333333", capsize=2, lw=1)
    ax.axvline(base, color="#333333", lw=1)
    ax.set_yticks(ys, [f"{a.group}\n(low {a.low}, high {a.high})" for a in ranked], fontsize=8)
    ax.set_xlabel("closure (days after the start); whiskers: 95 % interval over replications")
    ax.set_title(f"What closure rests on: each assumption group low and high (baseline {base:.1f} d)", fontsize=10)
    handles = [Patch(color=low_colour, label="at the low setting"), Patch(color=high_colour, label="at the high setting")]
    if any(a.not_closed_low or a.not_closed_high for a in ranked):
        handles.append(Patch(facecolor="#999999", hatch="//", edgecolor="white", label="not closed by the horizon"))
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    return fig
