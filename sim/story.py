"""One bottleneck story: what the analytic bound names and what the run waited for most, told together.

The bound (sim/bound.py) names the resources of its binding cut; the ranking (sim/statistics.py) names the
resources that held the last pieces back. Both use the same resource ids and the same planner's words
(sim/naming.py), so the two answers to "what is the bottleneck" can be put side by side: the story says
whether the top of the ranking lies on the bound's cut. The command line and the report both tell it from
here, from a summary (one replication's or the aggregate) and the bound's dict (BoundReport.as_dict)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .dates import format_hours


def _n(x: float) -> str:
    """A count (a mean over replications may have a fraction)."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def tagged(words: str, resource: str) -> str:
    """Words with the id in brackets: "heavy flat wagons [wagons:heavy_flat]"; the id alone when the words
    are the id."""
    return resource if not words or words == resource else f"{words} [{resource}]"


@dataclass(frozen=True)
class BottleneckStory:
    """The bound and the ranking side by side.

    `cut`: the binding cut's resources as (id, words); `top`: the summary's first bottleneck (None when the
    ranking is empty); `on_cut`: whether the top lies on the binding cut (None when there is no top that
    waited or no cut); `cut_rank`: the best rank (1 = top) any resource of the cut has among the listed
    bottlenecks (None when none is listed); `also_on`: another bound whose cut the top lies on, as (name,
    bound in h or None when infinite)."""

    bound_h: float | None
    bound_by: str | None
    cut: tuple[tuple[str, str], ...]
    closure_h: float | None
    top: dict[str, Any] | None
    on_cut: bool | None
    cut_rank: int | None
    listed: int
    also_on: tuple[str, float | None] | None
    replications: int = 1  # the figures of the ranking are means over these

    @property
    def cut_ids(self) -> frozenset[str]:
        """The ids of the binding cut's resources."""
        return frozenset(c for c, _ in self.cut)

    def set_by(self, ids: bool = True) -> str:
        """What sets the bound: "set by the rail cut: military train paths Hasselt → Tongeren (L34)", with
        the ids in brackets when `ids`; "" when nothing does."""
        if self.bound_by is None:
            return ""
        named = ", ".join(tagged(w, c) if ids else (w or c) for c, w in self.cut)
        if not self.cut:
            return f"set by the {self.bound_by} (its arrival plus its least transit; no resource limits it)"
        if len(self.cut) == 1 and self.cut[0][0] == self.bound_by:
            return f"set by the fleet: {named}"
        if self.bound_h is None:
            return f"set by {self.bound_by}: {named}"
        cut = "the cut across all modes" if self.bound_by == "all modes" else f"the {self.bound_by} cut"
        return f"set by {cut}: {named}"

    def bound_line(self) -> str:
        """What sets the bound, in a planner's words beside the ids."""
        head = f"Lower bound from capacities: {format_hours(self.bound_h)}"
        return f"{head}, {self.set_by()}" if self.bound_by is not None else head

    def run_line(self) -> str | None:
        """What the run waited for most, how much, and whether it lies on the bound's cut."""
        t = self.top
        if t is None:
            return None
        run = "In the run" if self.replications <= 1 else f"In the runs (means over {self.replications} replications)"
        if self.on_cut is None and not t.get("wait_h") and not t.get("person_wait_h"):
            return f"{run}, no resource held a piece or person back."
        waited = f"{_n(t['waits'])} {t['waiters']} waited, " if t.get("waits") else ""
        pieces = t.get("pieces_held", 0)
        held = (f"{_n(pieces)} pieces held back for {t['wait_h']:,.0f} piece-hours ({t['mean_wait_h']:,.1f} h each on "
                f"average)" if pieces else f"{t['wait_h']:,.0f} piece-hours of waiting")
        line = (f"{run}, the most waited-for resource is {tagged(t.get('words', ''), t['resource'])}: {waited}{held}, "
                f"{t['closure_wait_h']:,.0f} piece-hours of it by the pieces that set closure")
        if self.on_cut is None:
            return line + "."
        if self.on_cut:
            return line + "; it lies on the bound's cut: the bound and the run name the same bottleneck."
        where = "it lies off the bound's cut"
        if self.also_on is not None:
            by, h = self.also_on
            what = "its own fleet bound" if by == t["resource"] else f"the {by} cut"
            where += f" (it sets {what}: {format_hours(h)})"
        if self.cut_rank is not None:
            where += f"; the bound's cut ranks {self.cut_rank} of {self.listed} in the ranking"
        else:
            where += f"; the bound's cut is not among the top {self.listed} of the ranking"
        return f"{line}; {where}."

    def gap_line(self) -> str | None:
        """Closure against the bound."""
        if self.closure_h is None or self.bound_h is None or self.bound_h <= 0:
            return None
        return (f"Closure {format_hours(self.closure_h)} is {self.closure_h / self.bound_h - 1:.0%} above the bound "
                "(the bound takes every process at its fastest and leaves out queueing, batching and disruptions).")

    def lines(self) -> list[str]:
        """The story, one sentence a line; without a bound (none computed, or nothing to move) the run alone."""
        if self.bound_by is None:
            return [x for x in (self.run_line(),) if x]
        return [x for x in (self.bound_line(), self.run_line(), self.gap_line()) if x]


def bottleneck_story(summary: dict[str, Any] | None, bound: dict[str, Any]) -> BottleneckStory:
    """The bound (BoundReport.as_dict; keys may be missing) and the summary's ranking of bottlenecks (None:
    no run, the bound alone) as one story."""
    cut_ids = list(bound.get("bound_cut") or [])
    said = list(bound.get("bound_cut_words") or cut_ids)
    cut = tuple(zip(cut_ids, said + cut_ids[len(said):]))
    ranking = list((summary or {}).get("bottlenecks") or [])
    top = ranking[0] if ranking else None
    waited = top is not None and (top.get("wait_h", 0) > 0 or top.get("closure_wait_h", 0) > 0)
    on_cut = (top["resource"] in cut_ids) if (top is not None and waited and cut_ids) else None
    ranks = [i + 1 for i, b in enumerate(ranking) if b["resource"] in cut_ids]
    also = None
    if on_cut is False and top is not None:
        others = [b for b in bound.get("bounds") or [] if top["resource"] in b.get("cut", [])]
        if others:
            best = max(others, key=lambda b: (math.inf if b["bound_h"] is None else b["bound_h"], b["by"]))
            also = (str(best["by"]), best["bound_h"])
    closure = (summary or {}).get("closure_h")
    return BottleneckStory(bound.get("bound_h"), bound.get("bound_by"), cut, closure, top, on_cut,
                           ranks[0] if ranks else None, len(ranking), also, int((summary or {}).get("replications", 1)))
