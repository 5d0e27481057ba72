"""A table-top exercise played on a scenario: the incidents injected (a master events list) and the staff's
decisions, each at the exercise time it was made, with alternative branches of decisions.

An exercise is a scenario with an `exercise` section, so `rsom run` replays it and a saved result holds it.
Injects and `close` decisions become scheduled disruptions (the model learns of each when it starts, as of
any disruption); `priority` and `reserve` decisions act on the running model at their time. A decision
therefore changes nothing before it is taken: the run up to then is the run without it, event for event."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .checks import disruption_target_problems
from .dates import when_hours
from .errors import Problem, suggest
from .ids import TRAIN, Rank
from .modes import after_rail, mode_rules
from .scenario import Decision, DisruptionEvent, Exercise, Inject, Scenario

if TYPE_CHECKING:
    from .network import Network
    from .plan import Plan
    from .world import World

INJECT_KINDS = {"custom": "other"}  # an inject's kind as a disruption kind (the others are the same word)


def at_h(value: str, s: Scenario) -> float:
    """An exercise time as hours after the start (ValueError when it cannot be)."""
    return when_hours(value, s.start, s.c_day, s.start_clock_h)


def played(x: Exercise) -> list[tuple[str | None, int, Decision]]:
    """The decisions a run plays, each with where it stands (its branch, None for those on every branch, and its
    place in that list): those on every branch, then the branch's."""
    out: list[tuple[str | None, int, Decision]] = [(None, j, d) for j, d in enumerate(x.decisions)]
    if x.branch is not None:
        out += [(x.branch, j, d) for j, d in enumerate(x.branches.get(x.branch, []))]
    return out


def decision_field(branch: str | None, j: int) -> str:
    """Where a decision stands in the file, for messages: exercise.decisions[j] or exercise.branches.B[j]."""
    return f"exercise.decisions[{j}]" if branch is None else f"exercise.branches.{branch}[{j}]"


def inject_name(i: Inject) -> str:
    """The inject's name in the results: given, or "<kind>:<target>@<time as written>"."""
    return i.name or f"{i.kind}:{i.target}@{i.at}"


def decision_name(d: Decision) -> str:
    """The decision's name in the results: given, or "<kind>:<what>@<time as written>"."""
    what = {"priority": f"{d.unit}={d.priority}", "close": str(d.target), "reserve": f"{d.pool}+{d.count}",
            "paths": f"{d.target}+{d.count}", "mode": f"{d.unit}.{d.piece_class}", "discharge": f"{d.target}x{d.factor:g}" if d.factor else str(d.target)}[d.kind]
    return d.name or f"{d.kind}:{what}@{d.at}"


def check_exercise(s: Scenario, file: str, net: Network, nodes: set[str], corridors: set[str]) -> list[Problem]:
    """Times resolve and fall in the run, targets can be disrupted, pools and forces exist, the branch played
    is one of the exercise's, names are unique. The units a priority names are checked when compiled."""
    x = s.exercise
    if x is None:
        return []
    out: list[Problem] = []

    def when(field: str, value: str) -> None:
        try:
            h = at_h(value, s)
        except ValueError as exc:
            out.append(Problem(file, field, value, str(exc)))
            return
        if h >= s.horizon_h:
            out.append(Problem(file, field, value, f"after the horizon ({s.horizon_h:g} h): it would never happen",
                               "warning"))

    when("exercise.now", x.now)
    names: dict[str, str] = {}
    for j, i in enumerate(x.injects):
        here = f"exercise.injects[{j}]"
        when(f"{here}.at", i.at)
        out += disruption_target_problems(file, f"{here}.target", i.target, net, nodes, corridors)
        _unique(file, f"{here}.name", inject_name(i), names, out)
    forces = {f.id for f in s.forces}
    lists = [("exercise.decisions", x.decisions)] + [(f"exercise.branches.{b}", ds) for b, ds in sorted(x.branches.items())]
    for where, decisions in lists:
        seen = dict(names)  # a branch's names are its own: two branches may name their decisions alike
        for j, d in enumerate(decisions):
            here = f"{where}[{j}]"
            when(f"{here}.at", d.at)
            if d.kind == "close":
                out += disruption_target_problems(file, f"{here}.target", str(d.target), net, nodes, corridors)
            elif d.kind == "paths":
                out += _rail_line_problems(file, f"{here}.target", str(d.target), net)
            elif d.kind == "discharge" and d.target not in net.seaports.index:
                hint = suggest(str(d.target), net.seaports.index)
                out.append(Problem(file, f"{here}.target", d.target, "not a sea port" + (f"; {hint}" if hint else "")))
            elif d.kind == "reserve" and d.pool == "trucks" and not s.pools.trucks:
                out.append(Problem(file, f"{here}.pool", d.pool, "the scenario has no truck pool to add to (pools.trucks)"))
            elif d.kind == "mode" and str(d.unit) not in forces:
                hint = suggest(str(d.unit), forces)
                out.append(Problem(file, f"{here}.unit", d.unit, "a mode decision names a force (its id)"
                                   + (f"; {hint}" if hint else "")))
            elif d.kind == "mode" and not after_rail(mode_rules(s, next(f for f in s.forces if f.id == d.unit))
                                                    .get(str(d.piece_class), [])):
                out.append(Problem(file, f"{here}.piece_class", d.piece_class, f"the mode rules of force {d.unit} "
                                   "give this class no road or HET after rail to switch to"))
            elif d.kind == "priority" and str(d.unit).split("/")[0] not in forces:
                hint = suggest(str(d.unit).split("/")[0], forces)
                out.append(Problem(file, f"{here}.unit", d.unit, "unknown force (give FORCE/UNIT or a force id)"
                                   + (f"; {hint}" if hint else "")))
            elif d.kind == "reserve" and str(d.pool).startswith("wagons.") and str(d.pool)[7:] not in s.pools.wagons:
                out.append(Problem(file, f"{here}.pool", d.pool, "the scenario has no pool of this wagon type; "
                                   f"its wagon pools: {', '.join(sorted(s.pools.wagons)) or 'none'}"))
            _unique(file, f"{here}.name", decision_name(d), seen, out)
            if where == "exercise.decisions":
                names = seen
    if x.branch is not None and x.branch not in x.branches:
        hint = suggest(x.branch, x.branches)
        out.append(Problem(file, "exercise.branch", x.branch, "no such branch" + (f"; {hint}" if hint else
                                                                                  " (the exercise has none)")))
    return out


def _rail_line_problems(file: str, field: str, target: str, net: Network) -> list[Problem]:
    """A paths decision names rail links (a corridor of them, or one), none of them given by time band."""
    links = net.links
    rail = links[links["mode"] == "rail"]
    chosen = rail[(rail["corridor"] == target) | (rail.index == target)]
    if not len(chosen):
        names = sorted(set(rail["corridor"]) | set(rail.index))
        hint = suggest(target, names)
        return [Problem(file, field, target, "not a rail corridor or link" + (f"; {hint}" if hint else ""))]
    if "path_bands" in chosen and chosen["path_bands"].notna().any() and (chosen["path_bands"].astype(str) != "").any():
        return [Problem(file, field, target, "its paths are given by time band (path_bands): more paths on such a "
                                             "line are not modelled; give the line's paths a day instead")]
    return []


def _unique(file: str, field: str, name: str, seen: dict[str, str], out: list[Problem]) -> None:
    if name in seen:
        out.append(Problem(file, field, name, f"name already used by {seen[name]}"))
    else:
        seen[name] = field.rsplit(".", 1)[0]


def expand(s: Scenario) -> Scenario:
    """The scenario with its exercise's injects and played `close` decisions added to its scheduled
    disruptions (the model learns of each when it starts). Call once the exercise has been checked."""
    x = s.exercise
    if x is None:
        return s
    events = [DisruptionEvent(name=inject_name(i), kind=INJECT_KINDS.get(i.kind, i.kind), target=i.target,
                              at_h=at_h(i.at, s), duration_h=i.duration_h, capacity_factor=i.capacity_factor)
              for i in x.injects]
    for _, _, d in played(x):
        if d.kind == "close":
            start = at_h(d.at, s)
            events.append(DisruptionEvent(name=decision_name(d), kind="closure", target=str(d.target), at_h=start,
                                          duration_h=d.duration_h or max(s.horizon_h - start, 1e-6)))
    if not events:
        return s
    return s.model_copy(update={"disruptions": s.disruptions.model_copy(
        update={"events": [*s.disruptions.events, *events]})})


@dataclass(frozen=True)
class Action:
    """A decision that acts on the running model, taken at `at_h` (h) and acting from `effective_h` (its time
    plus its lead time): new priorities for `units`, `count` more of `pool` or train paths on `links`, the
    discharge rates of a port times `factor`, or a force's class `cls` off the railway."""

    name: str
    kind: str
    at_h: float
    effective_h: float
    units: tuple[tuple[str, str], ...] = ()
    priority: int = 0
    pool: str = ""
    count: int = 0
    links: tuple[str, ...] = ()  # paths: the rail links given more paths
    target: str = ""  # discharge: the sea port; mode: the force
    factor: float = 1.0  # discharge: what its rates are multiplied by
    cls: str = ""  # mode: the class of piece


def actions(plan: Plan) -> tuple[list[Action], list[Problem]]:
    """The played decisions that act on the running model (all but close, which is a disruption), in time
    order; and problems with the units they name."""
    s, out, problems = plan.scenario, [], []
    if s.exercise is None:
        return [], []
    for branch, j, d in played(s.exercise):
        field = decision_field(branch, j)
        t = at_h(d.at, s)
        if d.kind == "priority":
            force, _, unit = str(d.unit).partition("/")
            keys = tuple(sorted(k for k in plan.units if k[0] == force and (not unit or k[1] == unit)))
            if not keys:
                known = sorted(k[1] for k in plan.units if k[0] == force)
                hint = suggest(unit, known)
                problems.append(Problem(plan.file, f"{field}.unit", d.unit, f"force {force} has no unit {unit}"
                                        + (f"; {hint}" if hint else "")))
                continue
            out.append(Action(decision_name(d), "priority", t, t, units=keys, priority=int(d.priority or 1)))
        elif d.kind == "reserve":
            out.append(Action(decision_name(d), "reserve", t, t + d.lead_h, pool=str(d.pool), count=int(d.count or 0)))
        elif d.kind == "paths":
            rail = plan.network.links["mode"] == "rail"
            links = tuple(sorted(lid for lid in plan.links_of.get(str(d.target), ()) if rail.get(lid, False)))
            out.append(Action(decision_name(d), "paths", t, t, count=int(d.count or 0), links=links))
        elif d.kind == "mode":
            out.append(Action(decision_name(d), "mode", t, t, target=str(d.unit), cls=str(d.piece_class)))
        elif d.kind == "discharge":
            out.append(Action(decision_name(d), "discharge", t, t + d.lead_h, target=str(d.target),
                              factor=float(d.factor or 1.0)))
    return sorted(out, key=lambda a: (a.effective_h, a.name)), problems


def start(w: World, acts: list[Action]) -> None:
    """Schedule the decisions on the run: each acts at its effective time, before anything else that happens
    then (its event is made first)."""
    for a in acts:
        w.env.timeout(a.effective_h).callbacks.append(_acting(w, a))


def _acting(w: World, a: Action) -> Callable[[object], None]:
    """The callback of a decision's event."""
    def act(_ev: object) -> None:
        _act(w, a)
    return act


def _act(w: World, a: Action) -> None:
    if a.kind == "priority":
        for key in a.units:
            w.ranks[key] = (a.priority, w.plan.units[key].rank[1])
        keys = set(a.units)

        def new_rank(pids: tuple[int, ...]) -> Rank | None:
            if not pids:
                return None
            p = w.pieces[pids[0]]
            return w.ranks[(p.force, p.unit)] if (p.force, p.unit) in keys else None
        w.stock.reprioritise(new_rank)
        if w.rail_desk is not None:
            for r in w.rail_desk.pending:
                r.priority = new_rank(r.pids) or r.priority
    elif a.kind == "reserve":
        if a.pool in ("hets", "buses", "barges", "trucks"):
            pool = getattr(w, a.pool)
            pool.add(a.count)
            w.resources[pool.info.name] = pool.info
            if a.pool == "trucks":  # each new truck comes with a rested driver
                w.truck_drivers.extend([w.env.now, 0.0, 0.0] for _ in range(a.count))
        else:
            kind = TRAIN if a.pool == "train_sets" else a.pool.removeprefix("wagons.")
            info = w.stock.add(kind, a.count, w.s.rail.yards.get(a.pool.removeprefix("wagons."), ""))
            w.resources[info.name] = info
    elif a.kind == "paths":
        for link in a.links:
            w.add_paths(link, a.count)
    elif a.kind == "mode":  # from now on, trains formed leave this class's pieces to their next mode
        w.switch_limits[(a.target, a.cls)] = 0.0
        w.switched = True
    elif a.kind == "discharge":
        w.discharge_factor[a.target] = w.discharge_factor.get(a.target, 1.0) * a.factor
