"""One replication of the SimPy model of reception, staging and onward movement (RSOM).

`Model` builds the shared `World` of the run, starts the processes of each phase (`reception`, `staging`,
`movement`) and runs the loop. It holds no phase itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from . import exercise, movement, reception, staging
from .ledger import Ledger
from .plan import Plan
from .resources import Counting
from .world import Item, UnitState, World, few_collections

if TYPE_CHECKING:
    from .results import Results

__all__ = ["Item", "Model", "UnitState", "few_collections"]


class Model:
    """One replication of a compiled plan: `seed` (default: the scenario's) and `replication` select the
    random streams. Build, then call run() (or simulate() for the event loop alone)."""

    def __init__(self, plan: Plan, seed: int | None = None, replication: int = 0):
        self.world = World(plan, seed, replication)
        movement.announce(self.world)

    @property
    def env(self) -> Counting:
        return self.world.env

    @property
    def ledger(self) -> Ledger:
        return self.world.ledger

    @property
    def outstanding(self) -> int:
        """Pieces and persons not yet delivered."""
        return self.world.outstanding

    def start(self) -> None:
        """Start every phase's processes: ship calls, flights, sustainment flows, hosted troops; and log the
        time each disrupted target was down or slowed, as a use of its own resource."""
        w = self.world
        for sp in w.plan.ships:
            w.env.process(reception.ship(w, sp))
        for fp in w.plan.flights:
            w.env.process(reception.flight(w, fp))
        for lp in w.plan.land:
            w.env.process(reception.land(w, lp))
        for fl in w.plan.flows:
            w.env.process(reception.flow(w, fl))
        for a in w.s.accommodation:
            w.env.process(staging.house(w, a.site, a.persons, a.start_h, a.start_h + a.weeks * 168.0))
        for o in w.outages.all:
            w.log.append((o.resource, o.start, o.start, o.end, 1.0, 0.0))
        exercise.start(w, w.plan.actions)

    def simulate(self, step_h: float = 24.0, progress: Callable[[float], None] | None = None) -> float:
        """Start the phases and run the event loop until everything is delivered or the horizon; returns the
        end time (h)."""
        self.start()
        return self.world.simulate(step_h, progress)

    def run(self, step_h: float = 24.0, progress: Callable[[float], None] | None = None) -> Results:
        """Run until everything is delivered or the horizon; returns Results."""
        from .results import Results

        return Results.from_model(self.world, self.simulate(step_h, progress))
