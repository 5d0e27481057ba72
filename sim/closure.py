"""Units that close: a unit closes when its critical equipment (scenario `unit_closure`: a share of its pieces
of the critical classes) and all its personnel have crossed its exit. Per unit: when it closed, against its
required delivery date (RDD, `forces[].rdd_h`), and what it waited for longest; per force: combat-power closure
(units closed over time) beside the last piece. Built from the results tables alone, so saved results give the
same answers."""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np

from .dates import Calendar, rdd_hours
from .scenario import UnitClosure

if TYPE_CHECKING:
    import pandas as pd

UNIT_COLUMNS = ["force", "unit", "lines", "pieces", "critical", "personnel", "equipment_h", "personnel_h", "closed_h",
                "last_piece_h", "rdd_h", "late_h", "timing", "waited_longest_for", "waited_h"]


def _needed_time(times: np.ndarray, counts: np.ndarray, need: float) -> float | None:
    """The time (h) by which the counts arrived at those times add up to `need`; 0 when nothing is needed,
    None when they never do."""
    if need <= 0:
        return 0.0
    order = np.argsort(times, kind="stable")
    total = np.cumsum(counts[order])
    k = int(np.searchsorted(total, need - 1e-9))
    return float(times[order][k]) if k < len(total) else None


def timing(closed_h: float | None, rdd_h: float | None, on_time_h: float) -> str:
    """'late' after the RDD, 'on time' within `on_time_h` before it, 'early' before that; 'not closed', or ''
    without an RDD."""
    if closed_h is None:
        return "not closed"
    if rdd_h is None:
        return ""
    if closed_h > rdd_h + 1e-9:
        return "late"
    return "on time" if closed_h >= rdd_h - on_time_h - 1e-9 else "early"


def _groups(keys: list[tuple[str, str]], code: dict[tuple[str, str], int], force: np.ndarray, unit: np.ndarray,
            *values: np.ndarray) -> dict[tuple[str, str], tuple[np.ndarray, ...]]:
    """The values of each (force, unit) (`code`: its index in `keys`), sorted by the first value array (one sort
    for all units)."""
    if not len(force):
        return {}
    g = np.fromiter((code.get((f, u), -1) for f, u in zip(force, unit, strict=True)), dtype=np.int64, count=len(force))
    order = np.lexsort((values[0], g))
    g = g[order]
    cuts = np.flatnonzero(np.diff(g)) + 1
    starts, ends = np.r_[0, cuts], np.r_[cuts, len(g)]
    return {keys[g[a]]: tuple(v[order][a:b] for v in values) for a, b in zip(starts, ends, strict=True) if g[a] >= 0}


def unit_table(pieces: pd.DataFrame, personnel: pd.DataFrame, pax_delivered: pd.DataFrame, blame: pd.DataFrame,
               words: dict[str, str], scenario: dict[str, Any]) -> pd.DataFrame:
    """One row per unit of the forces: its deployment list lines (unit line numbers, ';'-joined; '' for a
    template's unit), pieces and critical pieces, personnel, when its critical equipment and
    its personnel were in (h), when it closed (the later of the two; None while either is missing), its last
    piece (containers included), RDD, hours late (0 when not late), early/on time/late, and the resource its
    pieces waited for longest (in a planner's words) with those hours."""
    import pandas as pd

    rule = UnitClosure(**(scenario.get("unit_closure") or {}))
    rdd = {f["id"]: f.get("rdd_h") for f in scenario.get("forces", [])}
    unit_rdd = line_rdds(scenario)
    ulns: dict[tuple[str, str], list[str]] = {}
    for line in scenario.get("deployment") or []:
        ulns.setdefault((str(line["force"]), str(line["unit"])), []).append(str(line["uln"]))
    fp = pieces.loc[~pieces["flow"].astype(bool).to_numpy()] if "flow" in pieces else pieces
    force, unit = fp["force"].to_numpy(dtype=object), fp["unit"].to_numpy(dtype=object)
    persons = personnel.groupby(["force", "unit"])["persons"].sum().to_dict()
    keys = sorted(set(zip(force, unit, strict=True)) | {k for k in persons if k[0] in rdd})
    code = {k: i for i, k in enumerate(keys)}
    delivered = fp["delivered_h"].to_numpy(dtype=float)
    critical = (fp["critical"].astype(bool) if "critical" in fp else fp["cls"].isin(rule.critical_classes)).to_numpy()
    by_piece = _groups(keys, code, force, unit, delivered, critical.astype(float))
    by_pax = _groups(keys, code, pax_delivered["force"].to_numpy(dtype=object), pax_delivered["unit"].to_numpy(dtype=object),
                     pax_delivered["t"].to_numpy(dtype=float), pax_delivered["persons"].to_numpy(dtype=float))
    longest: dict[tuple[str, str], tuple[str, float]] = {}
    if len(blame) and len(fp):
        # the unit of each blamed piece by array lookup (pid -> its unit's index), then hours per unit and resource
        unit_of = np.full(int(pieces["pid"].max()) + 1, -1, dtype=np.int64)
        unit_of[fp["pid"].to_numpy(dtype=np.int64)] = [code[k] for k in zip(force, unit, strict=True)]
        u = unit_of[blame["pid"].to_numpy(dtype=np.int64)]
        res_code, res_names = pd.factorize(blame["resource"], sort=True)
        ok = u >= 0
        pair = u[ok] * len(res_names) + res_code[ok]
        hours = np.bincount(pair, weights=blame["wait_h"].to_numpy(dtype=float)[ok],
                            minlength=len(keys) * len(res_names)).reshape(len(keys), len(res_names))
        for i, key in enumerate(keys):
            if hours[i].max(initial=0.0) > 0:
                j = int(np.argmax(hours[i]))  # the first resource (by name) with the most hours
                name = str(res_names[j])
                longest[key] = (words.get(name, name), float(hours[i, j]))
    rows = []
    empty = (np.zeros(0), np.zeros(0))
    for key in keys:
        all_t, is_crit = by_piece.get(key, empty)
        crit_t = all_t[is_crit > 0]
        arrived = np.sort(crit_t[~np.isnan(crit_t)])  # the critical pieces across the exit, in order of arrival
        n_crit = len(crit_t)
        need = math.ceil(rule.critical_share * n_crit - 1e-9)
        equipment_h = 0.0 if need == 0 else (float(arrived[need - 1]) if len(arrived) >= need else None)
        n_pax = int(persons.get(key, 0))
        pax_t, pax_n = by_pax.get(key, (np.zeros(0), np.zeros(0)))
        personnel_h = _needed_time(pax_t, pax_n, n_pax)
        closed = None if equipment_h is None or personnel_h is None else max(equipment_h, personnel_h)
        last = None if np.isnan(all_t).any() or personnel_h is None else max(float(all_t.max(initial=0.0)), personnel_h)
        r = unit_rdd.get(key, rdd.get(key[0]))
        late = max(closed - r, 0.0) if closed is not None and r is not None else None
        what, waited = longest.get(key, ("", 0.0))
        rows.append({"force": key[0], "unit": key[1], "lines": ";".join(ulns.get(key, [])), "pieces": len(all_t), "critical": n_crit, "personnel": n_pax,
                     "equipment_h": equipment_h, "personnel_h": personnel_h, "closed_h": closed, "last_piece_h": last,
                     "rdd_h": r, "late_h": late, "timing": timing(closed, r, rule.on_time_h),
                     "waited_longest_for": what, "waited_h": waited})
    return pd.DataFrame(rows, columns=UNIT_COLUMNS)


def line_rdds(scenario: dict[str, Any]) -> dict[tuple[str, str], float]:
    """Each listed unit's RDD (h from the start): the latest RDD of its deployment lines (the unit is needed
    whole once its last line is due), for units whose lines give one."""
    cal = Calendar.of(scenario)
    out: dict[tuple[str, str], float] = {}
    if cal is None:
        return out
    for line in scenario.get("deployment") or []:
        if line.get("rdd"):
            h = rdd_hours(date.fromisoformat(str(line["rdd"])), cal.start)
            key = (str(line["force"]), str(line["unit"]))
            out[key] = max(out.get(key, h), h)
    return out


def combat_power(units: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    """Per force: when half of its units had closed, and when all had (combat-power closure, h)."""
    out: dict[str, dict[str, float | None]] = {}
    for force, g in units.groupby("force"):
        t = g["closed_h"].to_numpy(dtype=float)
        done = np.sort(t[~np.isnan(t)])
        n = len(t)
        half = math.ceil(0.5 * n)
        out[str(force)] = {"units_closed_50_h": float(done[half - 1]) if half and len(done) >= half else None,
                           "combat_power_closure_h": float(done[-1]) if n and len(done) == n else None,
                           "units": n, "units_closed": len(done)}
    return out
