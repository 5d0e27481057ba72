"""An analytic lower bound on closure from the network's capacities (max-flow / min-cut, networkx).

For a cut of capacity F (pieces per hour) that N pieces must cross, at most B of them can be "in flight"
at once (one train per path, one serial per headway, one load per ramp...), and every piece needs at least
tau hours of transit besides, so closure >= (N - B) / F + tau. Process times use the smallest value their
distribution can take, so the bound holds for every seed. It is computed overall (modes sharing the ports),
per mode, and per fleet (train sets, wagons by type, HETs, barges, reassembly teams)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx

from .plan import PiecePlan, Plan
from .routing import Leg, Route

INF = math.inf


@dataclass(frozen=True)
class Bound:
    """One bound: what sets it, how many pieces, the rate through the cut (pieces/h; train-metres/h for the
    rail cut), what can be in flight at once (same unit), least transit tau (h) and the bound (h)."""

    name: str
    pieces: int
    rate_pph: float
    in_flight: float
    tau_h: float
    bound_h: float
    cut: tuple[str, ...]


@dataclass
class BoundReport:
    """The binding bound and all the bounds computed."""

    bound_h: float
    binding: Bound | None
    bounds: list[Bound] = field(default_factory=list)

    def as_dict(self) -> dict:
        b = self.binding
        return {"bound_h": round(self.bound_h, 4), "bound_by": b.name if b else None,
                "bound_cut": list(b.cut) if b else [],
                "bound_rate_per_day": round(b.rate_pph * 24, 3) if b and math.isfinite(b.rate_pph) else None}


def _low(plan: Plan, name: str) -> float:
    return float(getattr(plan.scenario.times, name).low)


def _rate(per_unit_h: float, factor_low: float) -> float:
    """Units per hour of a process taking per_unit_h x factor; infinite when the factor can be 0."""
    t = per_unit_h * factor_low
    return INF if t <= 0 else 1.0 / t


def _piece_len(plan: Plan) -> dict[str, float]:
    """Train length (m) one piece of each class takes."""
    net = plan.network
    out = {}
    for cls, row in net.piece_classes.iterrows():
        if row["wagon_type"]:
            out[cls] = float(row["wagon_share"]) * float(net.wagon_types.at[row["wagon_type"], "length_m"])
    return out


def _leg_rate(plan: Plan, leg: Leg, per_train: float, per_serial: float, per_barge: float) -> tuple[float, float]:
    """(pieces per hour, pieces in flight) through one directed link; (inf, 0) when it does not limit."""
    if leg.mode == "rail":
        return leg.paths_per_day / 24.0 * per_train, per_train
    if leg.headway_h <= 0:
        return INF, 0.0
    open_h = 24.0 if not leg.window else sum((e - s) % 24.0 for s, e in leg.window)
    entries = math.ceil(open_h / leg.headway_h - 1e-9)
    batch = per_serial if leg.mode == "road" else per_barge
    return entries * batch / 24.0, entries * batch


def _tau(plan: Plan, p: PiecePlan) -> float:
    """Least transit time of one piece after it is received (h)."""
    s, net = plan.scenario, plan.network
    travel = _low(plan, "travel")
    speed = float(net.piece_classes.at[p.cls, "road_speed_kmh"]) or 1e9

    def hours(route: Route, v: float | None = None) -> float:
        return sum(leg.length_km / (leg.speed_kmh if v is None else min(leg.speed_kmh, v)) * travel + leg.delay_h
                   for leg in route)

    if p.mode == "rail":
        load = float(net.railheads.at[p.railhead, "load_h"]) * _low(plan, "rail_load")
        routes = [r for x in next(f.exits for f in s.forces if f.id == p.force)
                  for r in plan.router.alternatives("rail", p.railhead, x)] or [p.route]
        return hours(p.to_origin, speed) + load + min(hours(r) for r in routes)
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
    return out


def flow_graph(plan: Plan, modes: set[str], metres: bool = False) -> nx.DiGraph:
    """Source S to entries (port discharge), through each mode's layer of links, to exits and sink T.
    Capacitated edges carry `capacity` (pieces/h, or train-metres/h when `metres`), `in_flight` and
    `resource`; the others are unlimited."""
    net, s = plan.network, plan.scenario
    g = nx.DiGraph()
    lens = _piece_len(plan)
    rail_lens = [lens[p.cls] for p in _force_pieces(plan) if p.mode == "rail"]
    per_piece_m = 1.0 if metres else (min(lens.values()) if lens else 1.0)
    berth_unit = max(rail_lens) if metres and rail_lens else 1.0  # metres one discharged piece can add
    train_m = max(float(net.railheads.at[r, "max_train_m"]) for r in net.railheads.index) - s.rail.locomotive_m
    per_serial = s.convoy.max_vehicles
    shares = [float(x) for x in net.piece_classes["barge_share"] if x and float(x) > 0]
    per_barge = math.floor(1.0 / min(shares) + 1e-9) if shares else 0
    pieces = [p for p in _force_pieces(plan) if p.mode in modes]
    entries = sorted({p.entry for p in pieces})
    for e in entries:
        if e in net.seaports.index:
            r = net.seaports.loc[e]
            cap = int(r["berths"]) * _rate(1.0 / float(r["discharge_pph"]), _low(plan, "discharge")) * berth_unit
            inflight = float(r["berths"]) * berth_unit
            res = f"berths@{e}"
        else:
            cap = _rate(1.0 / float(net.airfields.at[e, "cargo_pph"]), _low(plan, "cargo_processing")) * berth_unit
            inflight, res = berth_unit, f"cargo_terminal@{e}"
        if cap < INF:
            g.add_edge("S", ("entry", e), capacity=cap, in_flight=inflight, resource=res)
        else:
            g.add_edge("S", ("entry", e))
    layer = {"rail": "rail", "road": "road", "het": "road", "barge": "water"}
    exits = sorted({x for f in s.forces for x in f.exits})
    for p in pieces:
        if p.mode == "rail":
            g.add_edge(("entry", p.entry), ("ramp", p.railhead))
        elif p.mode == "air":
            g.add_edge(("entry", p.entry), ("air",))
        else:
            g.add_edge(("entry", p.entry), (layer[p.mode], p.entry))
    if "air" in modes and any(p.mode == "air" for p in pieces):
        cap = s.pools.reassembly_teams * _rate(s.air.reassembly_h, _low(plan, "reassembly"))
        if cap < INF:
            g.add_edge(("air",), "T", capacity=cap, in_flight=float(s.pools.reassembly_teams), resource="reassembly_teams")
        else:
            g.add_edge(("air",), "T")
    for rh in sorted({p.railhead for p in pieces if p.mode == "rail"}):
        r = net.railheads.loc[rh]
        per_train = math.floor((float(r["max_train_m"]) - s.rail.locomotive_m) / per_piece_m + 1e-9)
        cap = int(r["ramps"]) * per_train * _rate(float(r["load_h"]), _low(plan, "rail_load"))
        if cap < INF:
            g.add_edge(("ramp", rh), ("rail", rh), capacity=cap, in_flight=float(int(r["ramps"]) * per_train), resource=f"ramps@{rh}")
        else:
            g.add_edge(("ramp", rh), ("rail", rh))
    used = {layer[m] for m in modes if m in layer}
    for mode in sorted(used):
        for u, v, d in plan.router.view(mode).edges(data=True):
            leg: Leg = d["leg"]
            per_train = math.floor((min(train_m, leg.max_train_m or INF) - 0.0) / per_piece_m + 1e-9)
            rate, inflight = _leg_rate(plan, leg, per_train, per_serial, per_barge)
            name = f"paths@{leg.key}" if mode == "rail" else f"entry@{leg.key}"
            if rate < INF:
                g.add_edge((mode, u), (mode, v), capacity=rate, in_flight=inflight, resource=name)
            else:
                g.add_edge((mode, u), (mode, v))
        for x in exits:
            g.add_edge((mode, x), "T")
    return g


def _cut_bound(plan: Plan, name: str, modes: set[str], taus: dict[int, float], metres: bool = False) -> Bound | None:
    pieces = [p for p in _force_pieces(plan) if p.mode in modes]
    if not pieces:
        return None
    g = flow_graph(plan, modes, metres)
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
    lens = _piece_len(plan)
    n = sum(lens[p.cls] for p in pieces) if metres else len(pieces)
    return Bound(name, len(pieces), value, inflight, tau, max(0.0, (n - inflight) / value) + tau, resources)


def _fleet_bounds(plan: Plan, taus: dict[int, float]) -> list[Bound]:
    """Bounds from the fleets: a train set, wagon, HET or barge can do at most one round trip per cycle."""
    s, net = plan.scenario, plan.network
    out = []
    travel = _low(plan, "travel")
    rail = [p for p in _force_pieces(plan) if p.mode == "rail"]
    if rail:
        lens = _piece_len(plan)
        heads = net.railheads.to_dict("index")
        wagon_of = net.piece_classes["wagon_type"].to_dict()
        share_of = net.piece_classes["wagon_share"].astype(float).to_dict()
        kinds = {(p.railhead, p.exit, p.route) for p in rail}
        per_train_m = max(float(heads[rh]["max_train_m"]) for rh, _, _ in kinds) - s.rail.locomotive_m
        cycle = min(float(heads[rh]["load_h"]) * _low(plan, "rail_load")
                    + (float(heads[x]["unload_h"]) * _low(plan, "rail_unload") if x in heads else 0.0)
                    + 2 * sum(leg.length_km / leg.speed_kmh * travel + leg.delay_h for leg in route)
                    for rh, x, route in kinds)
        tau = min(taus[p.pid] for p in rail)
        per_train = math.floor(per_train_m / min(lens[p.cls] for p in rail) + 1e-9)
        if cycle > 0:
            rate = s.pools.train_sets * per_train / cycle
            inflight = s.pools.train_sets * per_train
            out.append(Bound("train_sets", len(rail), rate, inflight, tau, max(0.0, (len(rail) - inflight) / rate) + tau, ("train_sets",)))
            for wt, n_wagons in sorted(s.pools.wagons.items()):
                mine = [p for p in rail if wagon_of[p.cls] == wt]
                if not mine:
                    continue
                per_cycle = n_wagons / min(share_of[p.cls] for p in mine)
                rate = per_cycle / cycle
                out.append(Bound(f"wagons:{wt}", len(mine), rate, per_cycle, tau,
                                 max(0.0, (len(mine) - per_cycle) / rate) + min(taus[p.pid] for p in mine), (f"wagons:{wt}",)))
    het = [p for p in _force_pieces(plan) if p.mode == "het"]
    if het:
        cycle = min(s.het.load_h * _low(plan, "het_load") + 2 * sum(leg.length_km / min(leg.speed_kmh, s.het.speed_kmh) * travel
                                                                     for leg in p.route) for p in het)
        if cycle > 0:
            rate = s.pools.hets / cycle
            out.append(Bound("hets", len(het), rate, s.pools.hets, min(taus[p.pid] for p in het),
                             max(0.0, (len(het) - s.pools.hets) / rate) + min(taus[p.pid] for p in het), ("hets",)))
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
    for name, ms in [("all modes", set(modes))] + [(m, {m}) for m in modes]:
        b = _cut_bound(plan, name, ms, taus, metres=(ms == {"rail"}))
        if b is not None:
            bounds.append(b)
    bounds += _fleet_bounds(plan, taus)
    if _force_pieces(plan):
        last = max(_force_pieces(plan), key=lambda p: (arr.get(p.pid, 0.0) + taus[p.pid], p.pid))
        bounds.append(Bound("latest arrival", 1, INF, 0.0, taus[last.pid], arr.get(last.pid, 0.0) + taus[last.pid], ()))
    if not bounds:
        return BoundReport(0.0, None, [])
    binding = max(bounds, key=lambda b: (b.bound_h, b.name))
    return BoundReport(binding.bound_h, binding, bounds)


def _force_pieces(plan: Plan) -> list:
    """The forces' pieces: sustainment flows load the network but are left out, so the bound stays a lower
    bound on the forces' closure."""
    return [p for p in plan.pieces if not p.flow]
