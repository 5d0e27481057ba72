"""Disruptions in time: what is closed or slowed, from when to when.

A scenario's scheduled events and the random ones drawn for a replication become Outages; the model asks
`Outages` when a node's facility or a link can next be used and at what share of its capacity."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .ids import Res, ResourceId
from .investments import Change, disruption_factor
from .rng import Streams
from .scenario import Scenario


@dataclass(frozen=True)
class Outage:
    """One disruption of one target: from `start` to `end` (h) the target works at `factor` (0 = closed)."""

    name: str
    kind: str
    target: str
    start: float
    end: float
    factor: float

    @property
    def rid(self) -> ResourceId:
        """The resource its waits are booked to."""
        return ResourceId(Res.DISRUPTION, self.name)

    @property
    def resource(self) -> str:
        """The name its waits are booked to in the results."""
        return self.rid.name


def event_name(kind: str, target: str, at_h: float) -> str:
    return f"{kind}:{target}@{at_h:g}h"


DAMAGE_KINDS = ("strike", "sabotage")  # disruptions whose duration is a repair, which repair capacity shortens


def draw(s: Scenario, streams: Streams, horizon_h: float, repair: Mapping[str, float] | None = None,
         changes: Sequence[Change] = ()) -> list[Outage]:
    """Scheduled events, then random ones (Poisson starts per target on its own stream), in time order. A
    damage (DAMAGE_KINDS) to a target with a repair factor (`repair`: an airfield's repair_factor) lasts its
    duration times that factor. The changes to disruptions among `changes` (investments such as counter-drone
    systems: investments.disruption_factor) multiply a disruption's duration and the rate at which random ones
    start, by kind and target. They scale the scenario's figures, not the draws: each target keeps its own stream
    and the same draws, so a variant and its baseline stay paired (common random numbers); a lower rate spaces
    the same exponential draws further apart."""
    fix = repair or {}
    factors = change_factors(s, changes)

    def factor(kind: str, target: str, effect: str) -> float:
        return factors[kind, target, effect]

    def lasts(kind: str, target: str, hours: float) -> float:
        hours *= factor(kind, target, "duration_h")
        return hours * fix.get(target, 1.0) if kind in DAMAGE_KINDS else hours
    out = [Outage(e.name or event_name(e.kind, e.target, e.at_h), e.kind, e.target, e.at_h,
                  e.at_h + lasts(e.kind, e.target, e.duration_h), e.capacity_factor) for e in s.disruptions.events]
    for j, spec in enumerate(s.disruptions.random):
        end = min(spec.end_h if spec.end_h is not None else horizon_h, horizon_h)
        for target in sorted(set(spec.targets)):
            rng = streams(f"disruption:{j}:{target}")
            mean_gap_h = 24.0 / (spec.rate_per_day * factor(spec.kind, target, "rate_per_day"))
            t = spec.start_h
            while True:
                t += rng.exponential(mean_gap_h)
                if t >= end:
                    break
                dur = lasts(spec.kind, target, spec.duration_h * spec.duration_factor.sample(rng))
                out.append(Outage(event_name(spec.kind, target, round(t, 2)), spec.kind, target, t, t + max(dur, 1e-6),
                                  spec.capacity_factor))
    return sorted(out, key=lambda o: (o.start, o.name))


def change_factors(s: Scenario, changes: Sequence[Change]) -> dict[tuple[str, str, str], float]:
    """The factor the changes to disruptions among `changes` put on each figure `draw` scales, by (kind, target,
    effect): the duration of each scheduled event, the rate and duration of each random disruption's targets (1
    where no change matches). `draw` reads the changes through this alone, so two plans with the same factors
    draw the same outages from the same streams (sweep.twins relies on it)."""
    mine = [c for c in changes if c.table == "disruptions"]
    wanted = [(e.kind, e.target, "duration_h") for e in s.disruptions.events]
    for spec in s.disruptions.random:
        for target in sorted(set(spec.targets)):
            wanted += [(spec.kind, target, "rate_per_day"), (spec.kind, target, "duration_h")]
    return {k: disruption_factor(mine, *k) if mine else 1.0 for k in wanted}


class Outages:
    """Outages by what they hit: node ids (facilities) and link ids (movement), each list sorted by start."""

    def __init__(self, outages: list[Outage], links_of: dict[str, tuple[str, ...]]):
        """`links_of` maps a corridor name or link id to its link ids; other targets are nodes."""
        self.all = outages
        self.by_node: dict[str, list[Outage]] = {}
        self.by_link: dict[str, list[Outage]] = {}
        for o in outages:
            if o.target in links_of:
                for lid in links_of[o.target]:
                    self.by_link.setdefault(lid, []).append(o)
            else:
                self.by_node.setdefault(o.target, []).append(o)
        for group in (self.by_node, self.by_link):
            for k in group:
                group[k].sort(key=lambda o: (o.start, o.name))

    @staticmethod
    def up_at(outs: list[Outage], t: float, known_at: float = math.inf) -> tuple[float, Outage | None]:
        """Earliest time >= t at which no closure (factor 0) in `outs` holds, counting only outages started
        by `known_at`; and the first closure that held it back (None if none)."""
        first = None
        moved = True
        while moved:
            moved = False
            for o in outs:
                if o.start > t:
                    break
                if o.factor == 0.0 and o.start <= known_at and o.start <= t < o.end:
                    first = first or o
                    t, moved = o.end, True
        return t, first

    @staticmethod
    def factor_at(outs: list[Outage], t: float) -> float:
        """Share of capacity left at t (the lowest factor of the partial outages in force; 1 when none)."""
        f = 1.0
        for o in outs:
            if o.start > t:
                break
            if o.start <= t < o.end and o.factor > 0:
                f = min(f, o.factor)
        return f

    @staticmethod
    def closed_now(outs: list[Outage], t: float) -> Outage | None:
        """The closure in force at t, if any (`outs` sorted by start)."""
        for o in outs:
            if o.start > t:
                break
            if o.factor == 0.0 and t < o.end:
                return o
        return None
