"""An analytic lower bound on closure from the network's capacities (max-flow / min-cut, networkx).

For a cut of capacity F (pieces per hour) that N pieces must cross, at most B of them can be "in flight"
at once (one train per path, one serial per headway, one load per ramp...), and every piece needs at least
tau hours of transit besides, so closure >= (N - B) / F + tau. Process times use the smallest value their
distribution can take, so the bound holds for every seed. It is computed overall (modes sharing the ports),
per mode, and per fleet (train sets, wagons by type, HETs, barges, reassembly teams).

A cut with no capacity at all (civil traffic keeping every berth or every rail path, say) lets nothing through:
its bound is infinite, and the report names it as what keeps the forces from closing."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import lazy_loader

from .bands import band_length, band_paths
from .ids import Res, ResourceId
from .modes import after_rail, mode_rules
from .naming import name_words
from .network import discharge_rates
from .plan import PiecePlan, Plan
from .routing import Leg, Route
from .windows import DAY_H, WEEK_H, AnyWindow, Weekly

if TYPE_CHECKING:
    import networkx as nx
else:
    nx = lazy_loader.load("networkx")  # loaded on first use: `rsom run` from a cached plan never needs it

INF = math.inf


@dataclass(frozen=True)
class Bound:
    """One bound: what sets it, how many pieces, the rate through the cut (pieces/h; train-metres/h for the
    rail cut, barge loads/h for the barge cut and the barge fleet), what can be in flight at once (same unit),
    least transit tau (h) and the bound (h, infinite when nothing can cross the cut)."""

    name: str
    pieces: int
    rate_pph: float
    in_flight: float
    tau_h: float
    bound_h: float
    cut: tuple[str, ...]


@dataclass(repr=False)
class BoundReport:
    """The binding bound and all the bounds computed. `bound_h` is infinite when some cut has no capacity:
    the forces cannot close, whatever the seed. `words` gives each resource on a cut in a planner's words
    (sim/naming.py), by the id the ranking of bottlenecks uses too."""

    bound_h: float
    binding: Bound | None
    bounds: list[Bound] = field(default_factory=list)
    words: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        """One line: the bound and what sets it (every bound computed is in `bounds`)."""
        if self.binding is None:
            return f"BoundReport(bound {self.bound_h:,.1f} h, nothing to move)"
        if not self.closes:
            return f"BoundReport(the forces cannot close: no capacity on {self.binding.name})"
        return (f"BoundReport(closure >= {self.bound_h:,.1f} h ({self.bound_h / 24:.1f} d), set by {self.binding.name}; "
                f"{len(self.bounds)} bounds computed)")

    @property
    def closes(self) -> bool:
        """Whether the capacities let every piece through at all (False: a cut has no capacity)."""
        return math.isfinite(self.bound_h)

    def as_dict(self) -> dict[str, Any]:
        """The binding bound, JSON-safe: bound_h (h) is None when nothing can cross the binding cut, and then
        bound_by says so; bound_rate_per_day (the binding bound's unit per day, see Bound) is None when the
        binding bound has no rate (the latest arrival). bound_cut lists the resources of the binding cut by
        id, bound_cut_words the same in a planner's words; `bounds` gives every bound computed (by, bound_h
        or None when infinite, cut), so that a resource off the binding cut can be found on another one."""
        b = self.binding
        every = [{"by": x.name, "bound_h": round(x.bound_h, 4) if math.isfinite(x.bound_h) else None, "cut": list(x.cut),
                  "cut_words": [self.words.get(c, c) for c in x.cut]} for x in self.bounds]
        if b is None:
            return {"bound_h": round(self.bound_h, 4), "bound_by": None, "bound_cut": [], "bound_cut_words": [],
                    "bound_rate_per_day": None, "bounds": every}
        rate = round(b.rate_pph * 24, 3) if math.isfinite(b.rate_pph) else None
        said = [self.words.get(c, c) for c in b.cut]
        if not self.closes:
            return {"bound_h": None, "bound_by": f"{b.name} (no capacity on the cut: the forces cannot close)",
                    "bound_cut": list(b.cut), "bound_cut_words": said, "bound_rate_per_day": rate, "bounds": every}
        return {"bound_h": round(self.bound_h, 4), "bound_by": b.name, "bound_cut": list(b.cut), "bound_cut_words": said,
                "bound_rate_per_day": rate, "bounds": every}


def _exits_of(plan: Plan, p: PiecePlan) -> tuple[str, ...]:
    """Where a piece may leave: its unit's exits (its line's destination, or its force's exits)."""
    u = plan.units.get((p.force, p.unit))
    return u.exits if u is not None and u.exits else tuple(next(f.exits for f in plan.scenario.forces if f.id == p.force))


def _low(plan: Plan, name: str) -> float:
    """Smallest value the named time factor can take (dimensionless): bounds hold for every seed."""
    return float(getattr(plan.scenario.times, name).low)


def _rate(per_unit_h: float, factor_low: float) -> float:
    """Units per hour of a process taking per_unit_h x factor; infinite when the factor can be 0."""
    t = per_unit_h * factor_low
    return INF if t <= 0 else 1.0 / t


def _drain_h(n: float, in_flight: float, rate: float) -> float:
    """Least time (h) for n units to get through a cut that lets `in_flight` of them through at once and the
    rest at `rate` per hour; infinite when more than `in_flight` must cross a cut of no capacity."""
    if n <= in_flight:
        return 0.0
    if rate <= 0:
        return INF
    return (n - in_flight) / rate


def _load_share(shares: list[float]) -> float:
    """Most barge share one barge load holds (barge loads): the batcher fills a load up to 1 (with its
    tolerance) and always takes its first piece, whatever that piece's share."""
    return max(1.0 + 1e-9, *shares)


def _per_load(shares: list[float]) -> int:
    """Most pieces one barge load carries when each takes its share of a load: the pieces with the least
    share, as many as fit (at least the first piece)."""
    least = min(shares)
    return max(1, math.floor(_load_share(shares) / least + 1e-9)) if least > 0 else 0


def _per_train(usable_m: float, piece_m: float) -> float:
    """Most pieces of `piece_m` metres a train of `usable_m` metres carries; infinite when a piece takes no
    train length."""
    return INF if piece_m <= 0 else float(math.floor(usable_m / piece_m + 1e-9))


def _servers(n: float, each: float) -> float:
    """Capacity (units/h) of n servers of `each` units/h: none without servers, even when each is unlimited."""
    return 0.0 if n <= 0 else n * each


def _piece_len(plan: Plan) -> dict[str, float]:
    """Train length (m) one piece of each equipment type takes: a wagon's length over the pieces it carries
    (two IFVs share a wagon). Every piece has an equipment type (the plan's generic one per class, loaded as
    the network's piece_classes say, when its template has no split)."""
    net = plan.network
    return {eq.id: float(net.wagon_types.at[eq.wagon_type, "length_m"]) / eq.whole_per_wagon
            for eq in plan.equipment.values() if eq.wagon_type and eq.wagon_type in net.wagon_types.index}


def _flexible(plan: Plan) -> dict[int, frozenset[str]]:
    """Pieces planned for rail that may take their next mode (HET or road) at run time when their wait for a
    train would be too long (rail.switch_after_h): bounds by mode and by rail fleet leave them out, and their
    least transit time is taken as 0, so the bound stays below any closure they make possible."""
    s = plan.scenario
    if not s.rail.switch_after_h:
        return {}
    later: dict[tuple[str, str], frozenset[str]] = {}
    for f in s.forces:
        for cls, modes in mode_rules(s, f).items():
            if cls not in s.rail.switch_after_h:
                continue
            later[(f.id, cls)] = frozenset(after_rail(modes))
    return {p.pid: later[(p.force, p.cls)] for p in plan.pieces if p.mode == "rail" and later.get((p.force, p.cls))}


def _route_h(route: Route, travel_low: float) -> float:
    """Least time (h) a train or barge takes along a route: legs at link speed times the least travel factor,
    plus the links' fixed delays."""
    return sum(leg.hours(factor=travel_low) for leg in route)


def _leg_rate(leg: Leg, per_train: float, per_serial: float, per_barge: float) -> tuple[float, float]:
    """(pieces per hour, pieces in flight) through one directed link; (inf, 0) when it does not limit.

    Rail: one train of `per_train` pieces per path (none when civil traffic leaves no path; by band as
    _band_entries counts them when the line gives path bands). Road and water:
    one serial of `per_serial` or one barge of `per_barge` pieces per headway. Entries in any stretch of T
    hours are at most T / headway + 1 on a link always open; with a window repeating every P hours (24 for a
    daily window, 168 for one by day of the week), each of its open spells of L hours takes at most
    ceil(L / headway) entries a period and T hours meet at most T / P + 1 + L / P of them, so the rate is the
    entries a period / P and the in-flight term the rest. Closures by disruptions only take entries away and
    are left out, as for every mode."""
    if leg.mode == "rail":
        if leg.paths_per_day <= 0 or per_train <= 0:
            return 0.0, 0.0
        if leg.path_bands:
            per_day, trains = _band_entries(leg)
            return per_day / 24.0 * per_train, trains * per_train
        return leg.paths_per_day / 24.0 * per_train, per_train
    if leg.headway_h <= 0:
        return INF, 0.0
    batch = per_serial if leg.mode == "road" else per_barge
    if not leg.window:
        return batch / leg.headway_h, float(batch)
    period, lengths = _open_spells(leg.window)
    spells = [(h, math.ceil(h / leg.headway_h - 1e-9)) for h in lengths]
    per_period = sum(n for _, n in spells)
    return per_period * batch / period, sum(n * (1.0 + h / period) for h, n in spells) * batch


def _band_entries(leg: Leg) -> tuple[float, float]:
    """(entries a day, entries in flight) of a rail line with path bands, such that entries in any stretch of T
    hours are at most the daily entries x T / 24 plus the in-flight term. A band of L hours with p paths (its
    share of the line's paths a day, bands.band_paths) spaces its entries at least L / p apart (partial outages
    and windows only space them more), so (a) each day's band takes at most ceil(p) of them, and T hours meet at
    most T / 24 + 1 + L / 24 of the band's days; and (b) T hours hold at most T / (L / p) + 1 of them. Each band
    counts by the smaller rate: with whole p, (a), p a day (the line's paths a day in total), unless the band
    lasts all day, when (b) gives the same rate with one train in flight, as without bands. A share that is not
    whole (paths scaled by investments or civil traffic) can give a band ceil(p) entries on a day, more than p:
    the rate counts them, so the bound stays below the model's closure."""
    per_day, in_flight = 0.0, 0.0
    for s, e, p in band_paths(leg.path_bands, leg.paths_per_day):
        if p <= 0:
            continue
        length = band_length(s, e)
        whole = math.ceil(p - 1e-9)
        spaced = 24.0 * p / length  # (b), a day
        if spaced <= whole:
            per_day, in_flight = per_day + spaced, in_flight + 1.0
        else:
            per_day, in_flight = per_day + whole, in_flight + whole * (1.0 + length / 24.0)
    return per_day, in_flight


def _open_spells(window: AnyWindow) -> tuple[float, list[float]]:
    """The window's period (h) and the lengths (h) of its open spells within it, overlapping spells merged: of a
    daily window within the day, a spell across midnight counting as two (before and after midnight); of a
    weekly one within the week, a spell across Sunday midnight counting as two. Splitting can only add entries."""
    if isinstance(window, Weekly):
        return WEEK_H, [e - s for s, e in window.spells]
    parts = sorted(part for s, e in window for part in ([(s, e)] if s < e else [(s, 24.0), (0.0, e)]) if part[1] > part[0])
    merged: list[list[float]] = []
    for s, e in parts:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return DAY_H, [e - s for s, e in merged]


def _tau(plan: Plan, p: PiecePlan) -> float:
    """Least transit time of one piece after it is received (h)."""
    s, net = plan.scenario, plan.network
    travel = _low(plan, "travel")
    speed = float(net.piece_classes.at[p.cls, "road_speed_kmh"]) or 1e9

    def hours(route: Route, v: float | None = None) -> float:
        return sum(leg.hours(v, travel) for leg in route)

    if p.mode == "rail" and p.railhead is not None:
        load = float(net.railheads.at[p.railhead, "load_h"]) * _low(plan, "rail_load")
        head = p.railhead
        routes = [r for x in _exits_of(plan, p) for r in plan.router.alternatives("rail", head, x)] or [p.route]
        if p.het_shuttle:  # on a HET to the railhead: loaded, driven, unloaded
            access = s.het.load_h * _low(plan, "het_load") + hours(p.to_origin, s.het.speed_kmh) + s.het.unload_h
        else:
            access = hours(p.to_origin, speed)
        return access + load + min(hours(r) for r in routes)
    if p.mode == "road":
        return hours(p.to_origin, speed) + hours(p.route, speed)
    if p.mode == "het":
        return s.het.load_h * _low(plan, "het_load") + hours(p.route, s.het.speed_kmh)
    if p.mode == "barge":
        return s.barge.load_h * _low(plan, "barge_load") + hours(p.route)
    speed_air = float(net.piece_classes.at[p.cls, "air_speed_kmh"])
    return s.air.reassembly_h * _low(plan, "reassembly") + p.air_km / speed_air


def _arrivals(plan: Plan) -> dict[int, float]:
    out = {}
    for sp in plan.ships:
        for pid in sp.pids:
            out[pid] = sp.at_h
    for fp in plan.flights:
        for pid in fp.pids:
            out[pid] = fp.at_h
    for lp in plan.land:
        for pid in lp.pids:
            out[pid] = lp.at_h
    return out


def _edge(g: nx.DiGraph, u: object, v: object, capacity: float, in_flight: float, resource: str) -> None:
    """An edge of the flow graph: limited by a resource (capacity in its unit per hour, with what can be in
    flight on it), or unlimited when the resource sets no finite rate."""
    if capacity < INF:
        g.add_edge(u, v, capacity=capacity, in_flight=in_flight, resource=resource)
    else:
        g.add_edge(u, v)


def flow_graph(plan: Plan, modes: set[str], metres: bool = False, shares: bool = False) -> nx.DiGraph:
    """Source S to entries (port discharge), through each mode's layer of links, to exits and sink T.
    Capacitated edges carry `capacity` (pieces/h; train-metres/h when `metres`, for rail alone; barge
    loads/h when `shares`, for barges alone, a piece counting its barge share), `in_flight` and `resource`;
    the others are unlimited. A resource with nothing left to the military (no berth, no rail path) is an
    edge of capacity 0."""
    net, s = plan.network, plan.scenario
    g = nx.DiGraph()
    lens = _piece_len(plan)
    rail_lens = [lens[p.equipment] for p in _force_pieces(plan) if p.mode == "rail"]
    barge_of = net.piece_classes["barge_share"].astype(float).to_dict()
    barge_shares = [barge_of[p.cls] for p in _force_pieces(plan) if p.mode == "barge"] or [1.0]
    per_piece_m = 1.0 if metres else (min(lens.values()) if lens else 1.0)
    berth_unit = 1.0  # what one discharged piece can add: a piece, its train metres or its barge share
    if metres and rail_lens:
        berth_unit = max(rail_lens)
    elif shares:
        berth_unit = max(barge_shares)
    # longest usable train (m); a network without railheads runs no trains (no rail pieces, no rail layer)
    train_m = max((float(m) for m in net.railheads["max_train_m"]), default=s.rail.locomotive_m) - s.rail.locomotive_m
    per_serial = s.convoy.max_vehicles
    per_barge = _load_share(barge_shares) if shares else _per_load(barge_shares)
    pieces = [p for p in _force_pieces(plan) if p.mode in modes]
    entries = sorted({p.entry for p in pieces})
    for e in entries:
        if e in net.seaports.index:
            r = net.seaports.loc[e]
            # the fastest class discharged here sets the berth's highest rate (shifts only lower it)
            pph = max(discharge_rates(r)[c] for c in {p.cls for p in pieces if p.entry == e})
            cap = _servers(int(r["berths"]), _rate(1.0 / pph, _low(plan, "discharge")) * berth_unit)
            inflight = float(r["berths"]) * berth_unit
            res = ResourceId(Res.BERTHS, e).name
        elif e in net.airfields.index:
            cap = _rate(1.0 / float(net.airfields.at[e, "cargo_pph"]), _low(plan, "cargo_processing")) * berth_unit
            inflight, res = berth_unit, ResourceId(Res.CARGO_TERMINAL, e).name
        else:  # pieces already in the country (a home station, a prepositioned stock): no reception to pass
            cap, inflight, res = INF, 0.0, ""
        _edge(g, "S", ("entry", e), cap, inflight, res)
    layer = {"rail": "rail", "road": "road", "het": "road", "barge": "water"}
    exits = sorted({x for f in s.forces for x in f.exits} | {x for u in plan.units.values() for x in u.exits})
    for p in pieces:
        if p.mode == "rail":
            g.add_edge(("entry", p.entry), ("ramp", p.railhead))
        elif p.mode == "air":
            g.add_edge(("entry", p.entry), ("air",))
        else:
            g.add_edge(("entry", p.entry), (layer[p.mode], p.entry))
    if "air" in modes and any(p.mode == "air" for p in pieces):
        cap = s.pools.reassembly_teams * _rate(s.air.reassembly_h, _low(plan, "reassembly"))
        _edge(g, ("air",), "T", cap, float(s.pools.reassembly_teams), ResourceId(Res.REASSEMBLY).name)
    for rh in sorted({p.railhead for p in pieces if p.mode == "rail"}):
        r = net.railheads.loc[rh]
        per_train = _per_train(float(r["max_train_m"]) - s.rail.locomotive_m, per_piece_m)
        cap = _servers(int(r["ramps"]), _servers(per_train, _rate(float(r["load_h"]), _low(plan, "rail_load"))))
        _edge(g, ("ramp", rh), ("rail", rh), cap, float(int(r["ramps"]) * per_train), ResourceId(Res.RAMPS, rh).name)
    used = {layer[m] for m in modes if m in layer}
    for mode in sorted(used):
        for u, v, d in plan.router.view(mode).edges(data=True):
            leg: Leg = d["leg"]
            per_train = _per_train(min(train_m, leg.max_train_m or INF), per_piece_m)
            rate, inflight = _leg_rate(leg, per_train, per_serial, per_barge)
            name = ResourceId(Res.PATHS if mode == "rail" else Res.ENTRY, leg.key).name
            _edge(g, (mode, u), (mode, v), rate, inflight, name)
        for x in exits:
            g.add_edge((mode, x), "T")
    return g


def _cut_bound(plan: Plan, name: str, modes: set[str], taus: dict[int, float], metres: bool = False,
               shares: bool = False, leave: frozenset[int] = frozenset()) -> Bound | None:
    """The min-cut bound (h) of the pieces going by `modes`, counted in pieces (train metres when `metres`,
    barge shares when `shares`); None when nothing limits them (no pieces, or an unlimited cut). A cut of no
    capacity gives an infinite bound: none of those pieces can get through. Pieces in `leave` are not counted."""
    pieces = [p for p in _force_pieces(plan) if p.mode in modes and p.pid not in leave]
    if not pieces:
        return None
    g = flow_graph(plan, modes, metres, shares)
    if "T" not in g:
        return None
    try:
        value, (reach, _) = nx.minimum_cut(g, "S", "T")
    except nx.NetworkXUnbounded:
        return None
    cut = sorted(((u, v) for u in reach for v in g.successors(u) if v not in reach), key=str)
    inflight = sum(g.edges[e].get("in_flight", 0.0) for e in cut)
    resources = tuple(sorted({g.edges[e]["resource"] for e in cut if "resource" in g.edges[e]}))
    tau = min(taus[p.pid] for p in pieces)
    n = float(len(pieces))
    if metres:
        lens = _piece_len(plan)
        n = sum(lens[p.equipment] for p in pieces)
    elif shares:
        barge_of = plan.network.piece_classes["barge_share"].astype(float).to_dict()
        n = sum(barge_of[p.cls] for p in pieces)
    return Bound(name, len(pieces), float(value), inflight, tau, _drain_h(n, inflight, value) + tau, resources)


def _fleet(name: str, pieces: list[PiecePlan], per_cycle: float, cycle_h: float, taus: dict[int, float],
           units: float | None = None) -> Bound | None:
    """Bound (h) from a fleet moving at most `per_cycle` units (pieces, or what `units` counts) per cycle of
    at least `cycle_h` hours: one of its members makes at least units / per_cycle trips, each delivery at
    least a cycle after its previous, the first at least the least transit tau after time 0, so the last
    comes at least (units - per_cycle) / (per_cycle / cycle_h) + tau. None when the fleet does not limit
    (no cycle time, or unlimited units per cycle)."""
    if cycle_h <= 0 or not math.isfinite(per_cycle):
        return None
    rate = per_cycle / cycle_h
    tau = min(taus[p.pid] for p in pieces)
    n = float(len(pieces)) if units is None else units
    return Bound(name, len(pieces), rate, per_cycle, tau, _drain_h(n, per_cycle, rate) + tau, (name,))


def _fleet_bounds(plan: Plan, taus: dict[int, float], leave: frozenset[int] = frozenset()) -> list[Bound]:
    """Bounds from the fleets: a train set, wagon, HET or barge can do at most one round trip per cycle.

    Cycles use the least time of each step: a train loads, runs, unloads at a railhead at the far end and runs
    back empty; a HET loads and drives out and back at the slower of link and HET speed; a barge loads, sails
    its water route, unloads and sails the same legs back empty, carrying at most as many pieces as their
    barge shares fit in one load."""
    s, net = plan.scenario, plan.network
    out: list[Bound | None] = []
    travel = _low(plan, "travel")
    force = _force_pieces(plan)
    rail = [p for p in force if p.mode == "rail" and p.pid not in leave]
    if rail:
        lens = _piece_len(plan)
        heads = net.railheads.to_dict("index")

        def wagon(p: PiecePlan) -> tuple[str, float]:
            eq = plan.equipment[p.equipment]
            return eq.wagon_type, 1.0 / eq.whole_per_wagon

        def far(x: str) -> float:
            """Least time at and beyond the exit before the empty train heads back."""
            f = s.rail.far_ends.get(x)
            if f is not None:
                return 2 * f.transit_h + f.turnaround_h
            return float(heads[x]["unload_h"]) * _low(plan, "rail_unload") if x in heads else 0.0

        kinds = {(p.railhead, p.exit, p.route) for p in rail}
        per_train_m = max(float(heads[rh]["max_train_m"]) for rh, _, _ in kinds) - s.rail.locomotive_m
        cycle = min(float(heads[rh]["load_h"]) * _low(plan, "rail_load") + far(x) + 2 * _route_h(route, travel)
                    for rh, x, route in kinds)
        per_train = _per_train(per_train_m, min(lens[p.equipment] for p in rail))
        out.append(_fleet(ResourceId(Res.TRAIN_SETS).name, rail, s.pools.train_sets * per_train, cycle, taus))
        wagons = {p.pid: wagon(p) for p in rail}
        for wt, n_wagons in sorted(s.pools.wagons.items()):
            mine = [p for p in rail if wagons[p.pid][0] == wt]
            least = min((wagons[p.pid][1] for p in mine), default=0.0)
            if least > 0:  # pieces taking no share of a wagon need none
                out.append(_fleet(ResourceId(Res.WAGONS, wt).name, mine, n_wagons / least, cycle, taus))
    het = [p for p in force if p.mode == "het" or p.het_shuttle]  # a HET shuttle to a railhead takes one trip
    if het:
        cycle = min(s.het.load_h * _low(plan, "het_load") + (s.het.unload_h if p.het_shuttle else 0.0)
                    + 2 * sum(leg.drive_h(s.het.speed_kmh, travel) for leg in (p.to_origin if p.het_shuttle else p.route))
                    for p in het)
        out.append(_fleet(ResourceId(Res.HETS).name, het, float(s.pools.hets), cycle, taus))
    barge = [p for p in force if p.mode == "barge"]
    if barge:  # counted in barge loads: the pieces' barge shares against what one load holds
        share_of_barge = net.piece_classes["barge_share"].astype(float).to_dict()
        shares = [share_of_barge[p.cls] for p in barge]
        cycle = (s.barge.load_h * _low(plan, "barge_load") + s.barge.unload_h
                 + 2 * min(_route_h(route, travel) for route in {p.route for p in barge}))
        out.append(_fleet(ResourceId(Res.BARGES).name, barge, s.pools.barges * _load_share(shares), cycle, taus, units=sum(shares)))
    return [b for b in out if b is not None]


def _wagons_or_hets(plan: Plan, taus: dict[int, float], pids: list[int]) -> list[Bound]:
    """Pieces planned for rail that may go by HET instead (and by nothing else) are carried by a wagon type's
    fleet or by the HETs: at most the wagons' pieces per cycle plus the HETs' per cycle, each at its least
    cycle (a train's as in _fleet_bounds, a HET's from the railhead to the nearest exit and back)."""
    s, net = plan.scenario, plan.network
    if not pids:
        return []
    pieces = [plan.pieces[i] for i in pids]
    heads = net.railheads.to_dict("index")
    travel = _low(plan, "travel")
    het_h = [sum(leg.drive_h(s.het.speed_kmh, travel) for leg in r) for p in pieces for x in _exits_of(plan, p)
             if (r := plan.router.route("road", p.railhead or p.entry, x, s.het.speed_kmh)) is not None]
    if not het_h:
        return []
    het_cycle = s.het.load_h * _low(plan, "het_load") + 2 * min(het_h)
    far = min((2 * f.transit_h + f.turnaround_h for f in s.rail.far_ends.values()), default=0.0)
    out = []
    for wt, n_wagons in sorted(s.pools.wagons.items()):
        mine = [p for p in pieces if plan.equipment[p.equipment].wagon_type == wt]
        if not mine:
            continue
        per_wagon = max(plan.equipment[p.equipment].whole_per_wagon for p in mine)
        routes = [(p.railhead or p.entry, p.route) for p in mine]
        cycle = min(float(heads[rh]["load_h"]) * _low(plan, "rail_load") + 2 * _route_h(r, travel) for rh, r in routes)
        cycle += min(far, min((float(heads[p.exit]["unload_h"]) for p in mine if p.exit in heads), default=far))
        rate = n_wagons * per_wagon / cycle + s.pools.hets / het_cycle
        per_cycle = n_wagons * per_wagon + s.pools.hets
        name = f"{ResourceId(Res.WAGONS, wt).name} or {ResourceId(Res.HETS).name}"
        b = _fleet(name, mine, per_cycle, per_cycle / rate, taus)
        if b is not None:
            out.append(Bound(b.name, b.pieces, b.rate_pph, b.in_flight, b.tau_h, b.bound_h,
                             (ResourceId(Res.WAGONS, wt).name, ResourceId(Res.HETS).name)))
    return out


def closure_bound(plan: Plan) -> BoundReport:
    """The largest of the lower bounds on closure (h): overall cut, per-mode cuts, fleets, late arrivals."""
    memo: dict[tuple, float] = {}
    taus = {}
    for p in _force_pieces(plan):  # pieces of one kind, entry and destination share their least transit time
        k = (p.force, p.mode, p.cls, p.entry, p.exit, p.railhead, p.air_km)
        if k not in memo:
            memo[k] = _tau(plan, p)
        taus[p.pid] = memo[k]
    arr = _arrivals(plan)
    bounds: list[Bound] = []
    modes = sorted({p.mode for p in _force_pieces(plan)})
    # pieces, except rail alone in train metres; barges also in barge loads (mixed loads fill by share)
    cuts = [(name, ms, ms == {"rail"}, False) for name, ms in [("all modes", set(modes))] + [(m, {m}) for m in modes]]
    if "barge" in modes:
        cuts.append(("barge loads", {"barge"}, False, True))
    by_het = _flexible(plan)
    flexible = frozenset(by_het)
    for pid in flexible:
        taus[pid] = 0.0
    for name, ms, metres, shares in cuts:
        b = _cut_bound(plan, name, ms, taus, metres, shares, flexible if name != "all modes" else frozenset())
        if b is not None:
            bounds.append(b)
    bounds += _fleet_bounds(plan, taus, flexible)
    bounds += _wagons_or_hets(plan, taus, [pid for pid, modes in sorted(by_het.items()) if modes == {"het"}])
    if _force_pieces(plan):
        last = max(_force_pieces(plan), key=lambda p: (arr.get(p.pid, 0.0) + taus[p.pid], p.pid))
        bounds.append(Bound("latest arrival", 1, INF, 0.0, taus[last.pid], arr.get(last.pid, 0.0) + taus[last.pid], ()))
    if not bounds:
        return BoundReport(0.0, None, [])
    binding = max(bounds, key=lambda b: (b.bound_h, b.name))
    said = name_words(sorted({c for b in bounds for c in b.cut}), plan.network)
    return BoundReport(binding.bound_h, binding, bounds, {c: w for c, (w, _) in said.items()})


def _force_pieces(plan: Plan) -> list:
    """The forces' pieces: sustainment flows load the network but are left out, so the bound stays a lower
    bound on the forces' closure."""
    return [p for p in plan.pieces if not p.flow]
