"""Pictures of a run: a map of Belgium with the network drawn by load or utilisation, congestion over time,
throughput per day by mode, closure curves, a synchronisation matrix (units by time, coloured by RSOM phase)
and investments (days saved against cost).

Every function returns a matplotlib Figure built without pyplot (no GUI backend, no plt.show, nothing
kept open by pyplot); `results.plot.map()` and friends call them for one Results. Given `ax=` (a matplotlib
Axes, e.g. from plt.subplots), a function draws into it instead and returns the Figure holding it (the root
figure of a subfigure), so that several plots share one figure. `plot_closure` also overlays variants: pass
{name: results} and each variant gets its own colour, named in the legend. `save_all` writes every plot of a
Results as PNG into a folder. Times are hours in the model and days on the plots."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize, to_rgba
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon
from matplotlib.ticker import FuncFormatter

from . import output

if TYPE_CHECKING:
    from .results import Results

BASEMAP = Path(__file__).resolve().parent / "data" / "basemap" / "belgium_basemap.geojson"
EXTENT = (2.45, 6.45, 49.45, 51.55)  # lon min, lon max, lat min, lat max
ASPECT = 1.0 / math.cos(math.radians(50.5))  # degrees of latitude are longer than degrees of longitude here

MODE_COLORS = {"rail": "#1f77b4", "road": "#ff7f0e", "het": "#8c564b", "water": "#17becf", "barge": "#17becf",
               "air": "#9467bd", "bus": "#7f7f7f"}
MODE_STYLE: dict[str, Any] = {"road": "-", "rail": (0, (5, 2)), "water": (0, (1, 1.5))}  # line style per mode
MODE_OFFSET = {"road": 0.0, "rail": 0.014, "water": -0.014}  # degrees, so parallel road and rail stay apart
NODE_STYLE = {  # kind: (marker, colour, size, label)
    "seaport": ("s", "#08306b", 60, "sea port"),
    "airfield": ("^", "#6a3d9a", 60, "airfield"),
    "railhead": ("D", "#1f77b4", 40, "railhead"),
    "yard": ("D", "#6baed6", 30, "rail yard"),
    "staging": ("o", "#2ca02c", 80, "staging area"),
    "csc": ("P", "#8c564b", 60, "convoy support centre"),
    "exit": ("*", "#d62728", 140, "exit (border)"),
    "junction": ("o", "#969696", 10, "junction"),
    "waterway": ("o", "#17becf", 10, "waterway node"),
}
LOAD_CMAP = ListedColormap(colormaps["plasma_r"](np.linspace(0.22, 1.0, 256)), name="load")  # no pale yellow
LABEL_KINDS = ("seaport", "airfield", "staging", "railhead", "csc", "exit")

PHASES = ("reception", "staging", "onward movement", "waiting")
PHASE_COLORS = {"reception": "#4575b4", "staging": "#1a9850", "onward movement": "#fdae61", "waiting": "#d73027"}
STAGE_PHASE = {
    "discharge": "reception", "terminal": "reception",
    "staging_gate": "staging", "staging": "staging", "beds": "staging",
    **dict.fromkeys(("shuttle", "to_staging", "rail_load", "rail", "road", "het", "barge", "air", "bus", "reassembly"), "onward movement"),
}
ROAD_STAGES = ("shuttle", "to_staging", "road", "het")  # piece stages driven on the road network


def _percent() -> FuncFormatter:
    return FuncFormatter(lambda x, _pos=None: f"{x:.0%}")


# ---- basemap ---------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def load_basemap() -> dict:
    """The bundled basemap (Natural Earth country outlines and Belgian province lines) as GeoJSON."""
    return json.loads(BASEMAP.read_text(encoding="utf-8"))


def _rings(geometry: dict) -> list[list]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [poly[0] for poly in geometry["coordinates"]]
    return []


def draw_basemap(ax: Axes) -> None:
    """Countries (Belgium lighter), province lines, neighbour names; axes in degrees with the right aspect."""
    for f in load_basemap()["features"]:
        props, geom = f["properties"], f["geometry"]
        if props.get("layer") == "country":
            home = props.get("name") == "Belgium"
            for ring in _rings(geom):
                ax.add_patch(Polygon(np.asarray(ring), closed=True, facecolor="#fbf8ef" if home else "#e8e8e8",
                                     edgecolor="#555555" if home else "#9a9a9a", linewidth=1.0 if home else 0.6,
                                     zorder=0))
        elif geom["type"] in ("LineString", "MultiLineString"):
            lines = [geom["coordinates"]] if geom["type"] == "LineString" else geom["coordinates"]
            for line in lines:
                xy = np.asarray(line)
                ax.plot(xy[:, 0], xy[:, 1], color="#c8c8c8", linewidth=0.5, zorder=0.5)
    for name, (x, y) in {"FRANCE": (2.85, 50.5), "GERMANY": (6.3, 50.25), "NETHERLANDS": (4.9, 51.5),
                         "LUXEMBOURG": (6.0, 49.6)}.items():
        ax.text(x, y, name, fontsize=8, color="#8a8a8a", ha="center", va="center", zorder=0.6)
    ax.set_xlim(EXTENT[0], EXTENT[1])
    ax.set_ylim(EXTENT[2], EXTENT[3])
    ax.set_aspect(ASPECT)
    ax.set_xlabel("longitude (° E)")
    ax.set_ylabel("latitude (° N)")
    ax.set_facecolor("#dbe9f4")  # the sea


# ---- link loads ------------------------------------------------------------------------------------------
def _closed(results: Results) -> tuple[frozenset, frozenset, frozenset]:
    sd = results.scenario_data or {}
    cor = sd.get("corridors") or {}
    return (frozenset(cor.get("out_of_service") or ()), frozenset(cor.get("in_service") or ()),
            frozenset(sd.get("nodes_out_of_service") or ()))


def _router(results: Results):
    from .network import build_graph
    from .routing import Router

    closed, opened, nodes = _closed(results)
    return Router(build_graph(results.network, closed, opened, nodes))


def _road_trips(results: Results) -> pd.DataFrame:
    """Road (and HET) moves of pieces with their origin: the node of the piece's previous stage, or its entry."""
    mv = results.moves
    mv = mv[mv["kind"] == "piece"].sort_values(["id", "t_in", "t_end"], kind="stable")
    if mv.empty:
        return pd.DataFrame(columns=["stage", "origin", "node", "t_start", "t_end", "count"])
    prev = mv.groupby("id")["node"].shift(1)
    entry = mv["id"].map(results.pieces.set_index("pid")["entry"])
    mv = mv.assign(origin=prev.fillna(entry))
    mv = mv[mv["stage"].isin(ROAD_STAGES) & (mv["origin"] != mv["node"])]
    return mv[["stage", "origin", "node", "t_start", "t_end", "count"]]


def _rail_trains(results: Results) -> pd.DataFrame:
    """Loaded trains entering rail links (path slots booked with pieces on board): link, time, pieces."""
    link = _slot_links(results, ("paths",))
    u = results.usage
    u = u[u["resource"].isin(link.index) & (u["weight"] > 0)]
    return pd.DataFrame({"link": u["resource"].map(link), "t": u["t_grant"].astype(float),
                         "pieces": u["weight"].astype(float)})


def _slot_links(results: Results, kinds: tuple[str, ...]) -> pd.Series:
    """The link of each path or headway resource (by resource name), from the resources table."""
    r = results.resources
    r = r[r["kind"].isin(kinds)]
    return pd.Series(r["link"].to_numpy(), index=r["name"].to_numpy(), dtype=object)


def _leg_hours(links: pd.DataFrame) -> pd.Series:
    speed = links["speed_kmh"].astype(float).where(links["speed_kmh"].astype(float) > 0, 1.0)
    return links["length_km"].astype(float) / speed + links["delay_h"].astype(float).fillna(0.0)


def link_loads(results: Results, t: float | None = None, window_h: float = 0.0) -> pd.DataFrame:
    """One row per link of the network: `pieces` carried over the run (t None), or on the link at time t (h)
    (with `window_h` > 0: at any time within t +- window_h / 2), and `utilization` of the link's slot resources
    (train paths, convoy headways; the busier direction): over the run, or within max(window_h, 24 h) around t.
    Road routes are the fastest at link speeds between the stages a piece went through, and a piece's
    position on its route at t is interpolated along the leg times."""
    net = results.network
    links = net.links
    out = pd.DataFrame({"link": links.index, "corridor": links["corridor"].to_numpy(), "mode": links["mode"].to_numpy(),
                        "from": links["from"].to_numpy(), "to": links["to"].to_numpy()}).set_index("link", drop=False)
    out.index.name = None
    load = pd.Series(0.0, index=out.index)
    hours = _leg_hours(links)
    lo = hi = None
    if t is not None:
        lo, hi = t - window_h / 2.0, t + window_h / 2.0

    def active(t0: np.ndarray, t1: np.ndarray) -> np.ndarray:
        return (t0 <= hi) & (t1 > lo) if window_h > 0 else (t0 <= t) & (t < t1)

    trains = _rail_trains(results)
    trains = trains[trains["link"].isin(load.index)]
    if t is not None:
        t0 = trains["t"].to_numpy()
        trains = trains[active(t0, t0 + hours.reindex(trains["link"]).to_numpy())]
    load = load.add(trains.groupby("link")["pieces"].sum(), fill_value=0.0)

    trips = _road_trips(results)
    if t is not None:
        trips = trips[active(trips["t_start"].to_numpy(), trips["t_end"].to_numpy())]
    if len(trips):
        router = _router(results)
        for (_stage, a, b), grp in trips.groupby(["stage", "origin", "node"], sort=True):
            route = router.route("road", a, b)
            if not route:
                continue
            if t is None:
                for leg in route:
                    load[leg.link] = load.get(leg.link, 0.0) + float(grp["count"].sum())
                continue
            cum = np.cumsum([0.0] + [leg.hours() for leg in route]) / max(sum(leg.hours() for leg in route), 1e-9)
            start = grp["t_start"].to_numpy(dtype=float)
            span = (grp["t_end"] - grp["t_start"]).to_numpy(dtype=float)
            count = grp["count"].to_numpy(dtype=float)
            for i, leg in enumerate(route):
                on = active(start + span * cum[i], start + span * cum[i + 1])
                if on.any():
                    load[leg.link] = load.get(leg.link, 0.0) + float(count[on].sum())
    out["pieces"] = load.reindex(out.index).fillna(0.0)

    util = pd.Series(np.nan, index=out.index)
    links_of = _slot_links(results, ("paths", "headway"))
    u = results.usage
    u = u[u["resource"].isin(links_of.index)]
    if len(u):
        link_of = u["resource"].map(links_of)
        if t is None:
            ulo, uhi = 0.0, max(results.end_h, 1e-9)
        else:
            w = max(window_h, 24.0)
            ulo, uhi = t - w / 2.0, t + w / 2.0
        held = (u["t_release"].clip(lower=ulo, upper=uhi) - u["t_grant"].clip(lower=ulo, upper=uhi)).clip(lower=0.0)
        per = held.groupby([link_of, u["resource"]]).sum() / (uhi - ulo)  # slot resources have capacity 1
        per = per.groupby(level=0).max()
        util = util.fillna(per.reindex(out.index))
    out["utilization"] = util.clip(upper=1.0)
    return out.reset_index(drop=True)


# ---- helpers ---------------------------------------------------------------------------------------------
def _as_list(results: Results | Sequence[Results]) -> list[Results]:
    return list(results) if isinstance(results, Sequence) else [results]


def _short(name: str, limit: int = 24) -> str:
    for sep in (" (", ",", " - "):
        name = name.split(sep, maxsplit=1)[0]
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _figure(w: float, h: float) -> Figure:
    fig = Figure(figsize=(w, h), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # an Agg canvas: renders and saves without any GUI backend or pyplot
    return fig


def _canvas(ax: Axes | None, w: float, h: float) -> tuple[Figure | SubFigure, Axes]:
    """Where a plot draws: the axes given and the (sub)figure holding them, or a new figure of w x h inches
    (its size is ignored when axes are given: the caller's figure keeps its own)."""
    if ax is not None:
        return ax.figure, ax
    fig = _figure(w, h)
    return fig, fig.add_subplot()


def _root(fig: Figure | SubFigure) -> Figure:
    """The figure a plot returns: the figure itself, or the root figure of a subfigure."""
    return fig.figure if isinstance(fig, SubFigure) else fig


def _renderer(fig: Figure | SubFigure) -> Any:
    """The renderer that lays the figure out: its canvas's, or (a canvas without one) the figure's own."""
    get = getattr(fig.canvas, "get_renderer", None)
    private = "_get_renderer"  # matplotlib has no public accessor for the figure's own renderer
    return get() if get is not None else getattr(fig, private)()


def _place_labels(fig: Figure | SubFigure, ax: Axes, items: list[tuple[float, float, str]], fontsize: float = 7.5) -> None:
    """Label points, trying a few offsets each so that labels do not overlap each other."""
    renderer = _renderer(fig)
    taken: list = []
    offsets = [(6, 4, "left", "bottom"), (6, -4, "left", "top"), (-6, 4, "right", "bottom"), (-6, -4, "right", "top"),
               (0, 9, "center", "bottom"), (0, -9, "center", "top"), (10, 0, "left", "center"), (-10, 0, "right", "center"),
               (8, 14, "left", "bottom"), (8, -14, "left", "top"), (-8, 14, "right", "bottom"), (-8, -14, "right", "top")]
    axbox = ax.get_window_extent(renderer)
    for x, y, text in items:
        best = None
        for dx, dy, ha, va in offsets:
            t = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, fontsize=fontsize,
                            zorder=6, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.75})
            box = t.get_window_extent(renderer).padded(6)
            inside = axbox.x0 <= box.x0 and box.x1 <= axbox.x1 and axbox.y0 <= box.y0 and box.y1 <= axbox.y1
            clash = sum(box.overlaps(b) for b in taken) + (0 if inside else 10)
            if best is None or clash < best[0]:
                if best is not None:
                    best[1].remove()
                best = (clash, t, box)
            else:
                t.remove()
            if clash == 0:
                break
        if best is not None:
            taken.append(best[2])


# ---- map -------------------------------------------------------------------------------------------------
def used_nodes(results: Results) -> set[str]:
    """Nodes the run used: every node of a movement record (both ends of a bus move) and the entries."""
    out: set[str] = set()
    for n in results.moves["node"].dropna().unique():
        out.update(str(n).split("->"))
    out.update(results.pieces.loc[results.pieces["entered_h"].notna(), "entry"].dropna())
    return out


def plot_map(results: Results, by: str = "load", t: float | None = None, window_h: float = 0.0,
             labels: Sequence[str] | None = None, title: str | None = None, ax: Axes | None = None) -> Figure:
    """Map of Belgium with nodes by kind and links coloured and sized by load (pieces carried; `by="load"`) or
    by utilisation of their train paths / convoy headways (`by="utilization"`), over the run or at time t (h)
    (see `link_loads` for `window_h`). `labels`: node ids to label (default: the ports, airfields, staging
    areas, railheads, convoy support centres and exits the run used)."""
    if by not in ("load", "utilization"):
        raise ValueError("by must be 'load' or 'utilization'")
    net = results.network
    if net is None:
        raise ValueError("these results carry no network (results loaded from files cannot be mapped)")
    fig, ax = _canvas(ax, 10, 7.4)
    draw_basemap(ax)
    loads = link_loads(results, t, window_h)
    nodes = net.nodes
    col = "pieces" if by == "load" else "utilization"
    vals = loads[col].astype(float)
    vmax = 1.0 if by == "utilization" else max(float(vals.max(skipna=True) or 0.0), 1.0)
    norm = Normalize(0.0, vmax)
    cmap = LOAD_CMAP if by == "load" else colormaps["RdYlGn_r"]
    closed = _closed(results)[0]
    for _, r in loads.sort_values(col, na_position="first").iterrows():
        if r["from"] not in nodes.index or r["to"] not in nodes.index:
            continue
        a, b = nodes.loc[r["from"]], nodes.loc[r["to"]]
        x = np.array([a["lon"], b["lon"]], dtype=float)
        y = np.array([a["lat"], b["lat"]], dtype=float)
        off = MODE_OFFSET.get(r["mode"], 0.0)
        if off:
            dx, dy = x[1] - x[0], (y[1] - y[0]) * ASPECT
            n = math.hypot(dx, dy) or 1.0
            x, y = x - dy / n * off, y + dx / n * off / ASPECT
        style = MODE_STYLE.get(r["mode"], "-")
        v = r[col]
        out_of_service = r["corridor"] in closed or r["link"] in closed or \
            net.links.loc[r["link"], "in_service"] is False
        if out_of_service:
            ax.plot(x, y, color="black", linewidth=1.4, linestyle=(0, (1, 1)), zorder=2)
            ax.plot(x.mean(), y.mean(), marker="x", color="black", markersize=9, mew=2.2, zorder=4)
        elif pd.isna(v) or v <= 0:
            ax.plot(x, y, color="#a0a0a0", linewidth=0.9, linestyle=style, zorder=1)
        else:
            ax.plot(x, y, color=cmap(norm(v)), linewidth=1.6 + 5.0 * norm(v), linestyle=style, zorder=2,
                    solid_capstyle="round")
    used = used_nodes(results)
    for kind, (marker, color, size, _) in NODE_STYLE.items():
        sel = nodes[nodes["kind"] == kind]
        if len(sel):
            ax.scatter(sel["lon"].astype(float), sel["lat"].astype(float), marker=marker, s=size, c=color,
                       edgecolors="white", linewidths=0.6, zorder=5)
    if labels is None:
        labels = [n for n, r in nodes.iterrows() if r["kind"] in LABEL_KINDS and n in used]
    items = [(float(nodes.loc[n, "lon"]), float(nodes.loc[n, "lat"]), _short(str(nodes.loc[n, "name"]))) for n in labels
             if n in nodes.index]
    handles = [Line2D([], [], marker=m, color=c, linestyle="none", markersize=math.sqrt(s) * 0.9, label=lab)
               for k, (m, c, s, lab) in NODE_STYLE.items() if k in set(nodes["kind"]) and k not in ("waterway",)]
    handles += [Line2D([], [], color="#555555", linestyle=MODE_STYLE[m], linewidth=1.6, label=f"{m} link")
                for m in MODE_STYLE if m in set(loads["mode"])]
    handles.append(Line2D([], [], color="#a0a0a0", linewidth=0.9, label="no pieces carried" if by == "load" else "no train paths or headways used"))
    if closed:
        handles.append(Line2D([], [], color="black", linestyle=(0, (1, 1)), marker="x", mew=2, label="out of service"))
    ax.legend(handles=handles, loc="lower left", fontsize=7.5, framealpha=0.9, title="nodes and links",
              title_fontsize=8)
    sm = cmap_mappable(cmap, norm)
    label = "pieces carried over the run" if by == "load" and t is None else \
        "pieces on the link" if by == "load" else "utilisation of train paths / convoy headways"
    fig.colorbar(sm, ax=ax, shrink=0.65, pad=0.01, label=label + (" (pieces)" if by == "load" else " (0-1)"))
    when = "over the run" if t is None else f"at t = {t:,.0f} h (day {t / 24:.1f})" if window_h <= 0 else \
        f"from {t - window_h / 2:,.0f} to {t + window_h / 2:,.0f} h"
    ax.set_title(title or f"{results.scenario}: network {'load' if by == 'load' else 'utilisation'} {when}", fontsize=11)
    fig.canvas.draw()  # layout first, so that label placement sees the final axes
    _place_labels(fig, ax, items)
    return _root(fig)


def cmap_mappable(cmap, norm) -> ScalarMappable:
    sm = ScalarMappable(norm=norm, cmap=cmap)
    sm.set_array([])
    return sm


# ---- congestion ------------------------------------------------------------------------------------------
def _utilisation_bins(results: Results, names: list[str], bin_h: float) -> tuple[np.ndarray, pd.DataFrame]:
    end = max(results.end_h, bin_h)
    edges = np.arange(0.0, end + bin_h, bin_h)
    caps = results.resources.set_index("name")
    out = {}
    for name in names:
        u = results.usage[results.usage["resource"] == name]
        cap = 1.0 if caps.loc[name, "kind"] in ("paths", "headway") else float(caps.loc[name, "capacity"]) or 1.0
        g = u["t_grant"].to_numpy(dtype=float)[:, None]
        r = u["t_release"].to_numpy(dtype=float)[:, None]
        a = u["amount"].to_numpy(dtype=float)[:, None]
        held = (np.minimum(r, edges[None, 1:]) - np.maximum(g, edges[None, :-1])).clip(min=0.0) * a
        out[name] = held.sum(axis=0) / (cap * bin_h)
    return edges, pd.DataFrame(out)


def plot_congestion(results: Results, top: int = 6, resources: Sequence[str] | None = None,
                    bin_h: float = 12.0, ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Per resource, busiest first (the bottleneck ranking: waiting caused, then utilisation), top N: the
    queue length over time (requests waiting, red) and the utilisation (share of capacity in use, mean per
    `bin_h` hours, blue, right axis). One panel per resource, sharing the time axis. `ax`: one Axes (a panel
    for the busiest resource) or several (one panel each, busiest first) to draw into instead."""
    stats = results.resource_stats()
    names = stats.loc[stats["uses"] > 0, "resource"].head(top).tolist() if resources is None else list(resources)
    if ax is None:
        rows = max(len(names), 1)
        fig: Figure | SubFigure = _figure(11, 1.0 + 1.45 * rows)
        axes = list(fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0])
    else:
        axes = [ax] if isinstance(ax, Axes) else list(ax)
        fig, names = axes[0].figure, names[:len(axes)]
    end = max(results.end_h, 1.0)
    q = results.queue_series() if names else pd.DataFrame(columns=["resource", "t", "queue"])
    edges, util = _utilisation_bins(results, names, bin_h) if names else (np.array([0.0, end]), pd.DataFrame())
    by_name = stats.set_index("resource")
    for i, panel in enumerate(axes):
        axu = panel.twinx()
        if i < len(names):
            name = names[i]
            s = q[q["resource"] == name]
            tq = np.concatenate([[0.0], s["t"].to_numpy(dtype=float), [end]]) / 24.0
            vq = np.concatenate([[0.0], s["queue"].to_numpy(dtype=float), [s["queue"].iloc[-1] if len(s) else 0.0]])
            ut = np.append(util[name].to_numpy(), util[name].to_numpy()[-1])
            axu.fill_between(edges / 24.0, ut, step="post", color="#4a90d9", alpha=0.28, linewidth=0)
            hu, = axu.step(edges / 24.0, ut, where="post", color="#1f5fa8", linewidth=1.0)
            hq, = panel.step(tq, vq, where="post", color="#c0392b", linewidth=1.1)
            st = by_name.loc[name] if name in by_name.index else None
            extra = "" if st is None else (f"  (mean use {st['utilization']:.0%}, longest queue {int(st['max_queue'])}, "
                                           f"waiting caused {st['wait_h']:,.0f} piece-h)")
            said = "" if st is None or st["words"] == name else f" · {st['words']}"  # the planner's words beside the id
            title = f"{i + 1}. {name}{said}{extra}"
            panel.set_title(title, fontsize=min(9.0, 9.0 * 125 / len(title)), loc="left")  # a long name still fits
            panel.set_ylim(0, max(1.0, float(vq.max())) * 1.15)
            if i == 0:
                panel.legend([hq, hu], ["queue length (requests waiting)", f"utilisation ({bin_h:g} h mean)"],
                          fontsize=8, loc="upper right", framealpha=0.9)
        else:
            panel.text(0.5, 0.5, "no resource was used", transform=panel.transAxes, ha="center")
            panel.plot([], [], color="#c0392b", label="queue length (requests waiting)")
            panel.legend(fontsize=8, loc="upper right")
            panel.set_title("(no resource)", fontsize=9, loc="left")
        panel.set_ylabel("queue (requests)", fontsize=8)
        axu.set_ylabel("utilisation (%)", fontsize=8)
        axu.set_ylim(0, 1.15)
        axu.set_yticks([0, 0.5, 1.0])
        axu.yaxis.set_major_formatter(_percent())
        panel.tick_params(labelsize=8)
        axu.tick_params(labelsize=8)
        locator: Any = panel.yaxis.get_major_locator()  # an AutoLocator, which takes integer=
        locator.set_params(integer=True)
    for a in axes:
        a.set_xlim(0, end / 24.0)
    axes[-1].set_xlabel("time since start (days)")
    if ax is None:  # a figure of its own: its title names the scenario (drawn into given axes, each panel has one)
        fig.suptitle(f"{results.scenario}: congestion at the {len(names)} busiest resources (busiest first)", fontsize=12)
    return _root(fig)


# ---- throughput ------------------------------------------------------------------------------------------
def throughput_table(results: Results | Sequence[Results]) -> pd.DataFrame:
    """Pieces delivered across the exits per day by mode (mean over the results given); days as the index."""
    runs = _as_list(results)
    frames = []
    for r in runs:
        p = r.pieces.dropna(subset=["delivered_h"])
        day = (p["delivered_h"] // 24).astype(int)
        frames.append(p.groupby([day, p["mode"]]).size().unstack(fill_value=0))
    if not frames or all(f.empty for f in frames):
        return pd.DataFrame()
    tab = pd.concat(frames).groupby(level=0).sum() / len(runs)
    tab = tab.reindex(range(int(tab.index.max()) + 1), fill_value=0.0)
    tab.index.name = "day"
    return tab[sorted(tab.columns)]


def plot_throughput(results: Results | Sequence[Results], ax: Axes | None = None) -> Figure:
    """Stacked bars: pieces delivered across the exits per day, by mode (mean over replications); into `ax`
    when given."""
    runs = _as_list(results)
    tab = throughput_table(runs)
    fig, ax = _canvas(ax, 11, 4.8)
    bottom = np.zeros(len(tab))
    for mode in tab.columns:
        v = tab[mode].to_numpy(dtype=float)
        ax.bar(tab.index, v, bottom=bottom, width=0.85, color=MODE_COLORS.get(mode, "#999999"), label=mode,
               edgecolor="white", linewidth=0.3)
        bottom += v
    if tab.empty:
        ax.bar([], [], label="(nothing delivered)")
    ax.set_xlabel("day since start (d)")
    ax.set_ylabel("pieces delivered per day (pieces/d)")
    rep = f", mean of {len(runs)} replications" if len(runs) > 1 else ""
    ax.set_title(f"{runs[0].scenario}: throughput across the exits by mode{rep}")
    ax.legend(title="mode", fontsize=8, title_fontsize=8, loc="upper right")
    ax.set_xlim(-0.6, max(len(tab), 1) - 0.4)
    return _root(fig)


# ---- closure ---------------------------------------------------------------------------------------------
def closure_curves(results: Results | Sequence[Results], step_h: float = 1.0) -> pd.DataFrame:
    """Share of each force's pieces delivered over time: one row per time, replication and force."""
    runs = _as_list(results)
    end = max(*(r.end_h for r in runs), step_h)
    grid = np.arange(0.0, end + step_h, step_h)
    rows = []
    for i, r in enumerate(runs):
        for force, grp in r.force_pieces.groupby("force", sort=True):
            done = np.sort(grp["delivered_h"].dropna().to_numpy(dtype=float))
            share = np.searchsorted(done, grid, side="right") / max(len(grp), 1)
            rows.append(pd.DataFrame({"t_h": grid, "replication": i, "force": force, "share": share}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["t_h", "replication", "force", "share"])


Runs: TypeAlias = "Results | Sequence[Results]"  # one replication, or several of one scenario
FORCE_STYLES: tuple[Any, ...] = ("-", (0, (5, 2)), (0, (1, 1.5)), (0, (6, 2, 1, 2)))  # one per force, in an overlay


def plot_closure(results: Runs | Mapping[str, Runs], band: str = "auto", ax: Axes | None = None) -> Figure:
    """Share of each brigade's pieces across its exit over time. With several results: the median line and a
    band (`band="minmax"`, `"10-90"`, or `"auto"`: 10-90 % from 10 replications, min-max below).

    Variants overlaid: `{name: results, ...}` (each a Results or its replications) draws every variant in its
    own colour, named in the legend (with the brigade, by line style, when there are several). Into `ax`
    when given."""
    fig, ax = _canvas(ax, 10, 5.2)
    colors = colormaps["tab10"]
    if not isinstance(results, Mapping):
        runs = _as_list(results)
        for i, (force, wide) in enumerate(_closure_wide(runs)):
            _closure_line(ax, wide, _band_kind(band, len(runs)), force, colors(i % 10), "-")
        n = len(runs)
        rep = f" ({n} replications)" if n > 1 else ""
        title, legend = f"{runs[0].scenario}: closure by brigade{rep}", "brigade"
    else:
        variants = dict(results)
        forces = sorted({str(f) for v in variants.values() for r in _as_list(v) for f in r.force_pieces["force"].unique()})
        for i, (name, v) in enumerate(variants.items()):
            runs = _as_list(v)
            for force, wide in _closure_wide(runs):
                label = name if len(forces) == 1 else f"{name}: {force}"
                style = FORCE_STYLES[forces.index(str(force)) % len(FORCE_STYLES)]
                _closure_line(ax, wide, _band_kind(band, len(runs)), label, colors(i % 10), style)
        title = "Closure by brigade: " + " against ".join(variants)
        legend = "variant" if len(forces) == 1 else "variant: brigade"
    for share in (0.5, 0.9):
        ax.axhline(share, color="#888888", linewidth=0.8, linestyle=":")
        ax.text(0.005, share, f" {share:.0%}", transform=ax.get_yaxis_transform(), va="bottom", fontsize=8,
                color="#555555")
    ax.set_ylim(0, 1.02)
    ax.set_xlim(left=0)
    ax.yaxis.set_major_formatter(_percent())
    ax.set_xlabel("time since start (days)")
    ax.set_ylabel("pieces across the exit (% of the brigade)")
    ax.set_title(title)
    ax.legend(title=legend, fontsize=8, title_fontsize=8, loc="lower right")
    return _root(fig)


def _band_kind(band: str, n: int) -> str:
    """The band over n replications: `band` as given, or for "auto" 10-90 % from 10 replications, min-max below."""
    return ("10-90" if n >= 10 else "minmax") if band == "auto" else band


def _closure_wide(runs: list[Results]) -> list[tuple[str, pd.DataFrame]]:
    """Per force (sorted): its share across the exit (0-1) by time (h, the index) and replication (columns)."""
    cur = closure_curves(runs)
    return [(str(force), grp.pivot(index="t_h", columns="replication", values="share"))
            for force, grp in cur.groupby("force", sort=True)]


def _closure_line(ax: Axes, wide: pd.DataFrame, kind: str, label: str, color: Any, style: Any) -> None:
    """One closure curve: the line of a single replication, or the median of several with their band."""
    days = wide.index.to_numpy() / 24.0
    if wide.shape[1] == 1:
        ax.plot(days, wide.iloc[:, 0], color=color, linewidth=1.8, linestyle=style, label=label)
        return
    lo, hi = (wide.min(axis=1), wide.max(axis=1)) if kind == "minmax" else \
        (wide.quantile(0.1, axis=1), wide.quantile(0.9, axis=1))
    ax.fill_between(days, lo, hi, color=color, alpha=0.25, linewidth=0,
                    label=f"{label} ({'min-max' if kind == 'minmax' else '10-90 %'})")
    ax.plot(days, wide.median(axis=1), color=color, linewidth=1.8, linestyle=style, label=f"{label} (median)")


# ---- synchronisation matrix ------------------------------------------------------------------------------
def phase_intervals(results: Results) -> pd.DataFrame:
    """Per piece, intervals by RSOM phase: each stage's work time in its phase, and the time before it (since
    the piece's previous stage ended, or within the stage before it started) as waiting."""
    mv = results.moves
    mv = mv[mv["kind"] == "piece"].sort_values(["id", "t_in", "t_end"], kind="stable")
    cols = ["force", "unit", "id", "phase", "t0", "t1"]
    if mv.empty:
        return pd.DataFrame(columns=cols)
    prev_end = mv.groupby("id")["t_end"].shift(1)
    wait_start = prev_end.fillna(mv["t_in"])
    work = pd.DataFrame({"force": mv["force"], "unit": mv["unit"], "id": mv["id"],
                         "phase": mv["stage"].map(STAGE_PHASE).fillna("onward movement"),
                         "t0": mv["t_start"], "t1": mv["t_end"]})
    wait = pd.DataFrame({"force": mv["force"], "unit": mv["unit"], "id": mv["id"], "phase": "waiting",
                         "t0": wait_start, "t1": mv["t_start"]})
    out = pd.concat([work, wait], ignore_index=True)
    return out[out["t1"] > out["t0"]][cols].reset_index(drop=True)


def sync_matrix(results: Results, bin_h: float = 6.0) -> tuple[np.ndarray, pd.DataFrame]:
    """Piece-hours per unit, time bin and phase; returns the bin edges and a long table with the dominant phase."""
    iv = phase_intervals(results)
    end = max(results.end_h, bin_h)
    edges = np.arange(0.0, end + bin_h, bin_h)
    if iv.empty:
        return edges, pd.DataFrame(columns=["force", "unit", "bin", "phase", "hours"])
    a = iv["t0"].to_numpy(dtype=float)[:, None]
    b = iv["t1"].to_numpy(dtype=float)[:, None]
    ov = (np.minimum(b, edges[None, 1:]) - np.maximum(a, edges[None, :-1])).clip(min=0.0)
    frame = pd.DataFrame(ov)
    frame[["force", "unit", "phase"]] = iv[["force", "unit", "phase"]].to_numpy()
    long = frame.groupby(["force", "unit", "phase"]).sum().stack().rename("hours").reset_index()
    long = long.rename(columns={"level_3": "bin"})
    long = long[long["hours"] > 0]
    return edges, long


def plot_gantt(results: Results, bin_h: float = 6.0, ax: Axes | None = None) -> Figure:
    """Synchronisation matrix: one row per unit, time in bins of `bin_h` hours, each cell coloured by the RSOM
    phase in which the unit's pieces spent most of that time (reception, staging, onward movement, waiting);
    paler cells: fewer of the unit's pieces were in the system then. Into `ax` when given."""
    edges, long = sync_matrix(results, bin_h)
    units = [tuple(u) for u in results.pieces[["force", "unit"]].drop_duplicates()
             .sort_values(["force", "unit"]).itertuples(index=False)]
    size = results.pieces.groupby(["force", "unit"]).size()
    nb = len(edges) - 1
    img = np.ones((max(len(units), 1), nb, 4))
    if len(long):
        dom = long.sort_values("hours", ascending=False, kind="stable").drop_duplicates(["force", "unit", "bin"])
        total = long.groupby(["force", "unit", "bin"])["hours"].sum()
        row_of = {u: i for i, u in enumerate(units)}
        rgba = {p: np.array(to_rgba(c)) for p, c in PHASE_COLORS.items()}
        for r in dom.itertuples(index=False):
            i, bn = row_of.get((r.force, r.unit)), int(r.bin)
            if i is None or bn >= nb:
                continue
            share = min(1.0, total[(r.force, r.unit, r.bin)] / (bin_h * max(int(size.get((r.force, r.unit), 1)), 1)))
            alpha = 0.3 + 0.7 * math.sqrt(share)
            img[i, bn, :3] = 1.0 - alpha * (1.0 - rgba[r.phase][:3])  # blended on white
    fig, ax = _canvas(ax, 11, max(3.2, 0.32 * len(units) + 1.9))
    end_d = edges[-1] / 24.0
    ax.imshow(img, aspect="auto", interpolation="nearest", extent=(0.0, end_d, len(units) - 0.5, -0.5))
    for i in range(len(units) - 1):
        ax.axhline(i + 0.5, color="white", linewidth=1.5)
    ax.set_yticks(range(len(units)))
    ax.set_yticklabels([f"{f} / {u}" for f, u in units], fontsize=8)
    ax.set_xlim(0, max(results.end_h, bin_h) / 24.0)
    ax.set_xlabel("time since start (days)")
    ax.set_ylabel("unit (force / unit)")
    ax.grid(axis="x", color="#bbbbbb", linewidth=0.5, alpha=0.6)
    ax.legend(handles=[Patch(facecolor=PHASE_COLORS[p], label=p) for p in PHASES], title="RSOM phase of the pieces",
              fontsize=8, title_fontsize=8, loc="upper right", framealpha=0.9)
    ax.set_title(f"{results.scenario}: synchronisation matrix (dominant phase per {bin_h:g} h)")
    return _root(fig)


# ---- investments -----------------------------------------------------------------------------------------
def plot_investments(frame: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Closure days saved against cost (EUR M) per variant of `sim.compare.compare`, with 95 % intervals;
    into `ax` when given."""
    f = frame[frame["cost_eur"] > 0].copy()
    fig, ax = _canvas(ax, 9, 5.6)
    if f.empty:
        ax.text(0.5, 0.5, "no investment to compare", transform=ax.transAxes, ha="center")
    x = f["cost_eur"].to_numpy(dtype=float) / 1e6
    y = f["saved_h_mean"].to_numpy(dtype=float) / 24.0
    lo = f["saved_h_ci95_lo"].to_numpy(dtype=float) / 24.0
    hi = f["saved_h_ci95_hi"].to_numpy(dtype=float) / 24.0
    err = np.vstack([np.where(np.isnan(lo), 0.0, y - lo), np.where(np.isnan(hi), 0.0, hi - y)]).clip(min=0.0)
    port = (f["name"] == "portfolio").to_numpy()
    ax.errorbar(x[~port], y[~port], yerr=err[:, ~port], fmt="o", color="#1f77b4", ecolor="#6baed6", capsize=4,
                markersize=7, label="investment alone (mean, 95 % CI)")
    if port.any():
        ax.errorbar(x[port], y[port], yerr=err[:, port], fmt="D", color="#d62728", ecolor="#f4a582", capsize=4,
                    markersize=8, label="whole portfolio (mean, 95 % CI)")
    ax.axhline(0.0, color="#555555", linewidth=0.8, linestyle="--", label="no saving (baseline)")
    items = [(xi, yi, n) for xi, yi, n in zip(x, y, f["name"])]
    ax.set_xlim(0, (x.max() if len(x) else 1.0) * 1.15 + 1)
    ymin = min(0.0, np.nanmin(lo) if len(lo) and not np.all(np.isnan(lo)) else 0.0, np.nanmin(y) if len(y) else 0.0)
    ymax = max(np.nanmax(hi) if len(hi) and not np.all(np.isnan(hi)) else 0.0, np.nanmax(y) if len(y) else 0.0, 0.5)
    pad = 0.12 * (ymax - ymin)
    ax.set_ylim(ymin - pad, ymax + pad)
    ax.set_xlabel("cost (EUR M)")
    ax.set_ylabel("closure days saved against the baseline (days)")
    reps = int(frame["replications"].iloc[0]) if "replications" in frame and len(frame) else 0
    ax.set_title(f"Investments: closure days saved against cost ({reps} replications, common random numbers)")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(color="#eeeeee", linewidth=0.6)
    fig.canvas.draw()
    _place_labels(fig, ax, items, fontsize=8)
    return _root(fig)


# ---- everything at once -----------------------------------------------------------------------------------
def figures(results: Results) -> dict[str, Figure]:
    """Every plot of one Results, by file stem."""
    out = {
        "congestion": plot_congestion(results),
        "throughput": plot_throughput(results),
        "closure": plot_closure(results),
        "gantt": plot_gantt(results),
    }
    if results.network is not None:
        out = {"map_load": plot_map(results, by="load"), "map_utilization": plot_map(results, by="utilization"), **out}
    return out


def save_all(results: Results, folder: Path | str, dpi: int = 110) -> list[Path]:
    """Write every plot of one Results as PNG into `folder`; returns the files written."""
    where = output.folder(folder)
    written = []
    for stem, fig in figures(results).items():
        written.append(save_png(fig, where / f"{stem}.png", dpi))
    return written


def save_png(fig: Figure, path: Path, dpi: int = 110) -> Path:
    """A figure as a PNG file, written whole or not at all."""
    output.atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=dpi), "wb")
    return path


class PlotAccessor:
    """`results.plot.map()`, `.congestion()`, `.throughput()`, `.closure()`, `.gantt()`, `.save_all(folder)`."""

    def __init__(self, results: Results):
        self._results = results

    def map(self, by: str = "load", t: float | None = None, **kw: Any) -> Figure:
        return plot_map(self._results, by=by, t=t, **kw)

    def congestion(self, top: int = 6, **kw: Any) -> Figure:
        return plot_congestion(self._results, top=top, **kw)

    def throughput(self, **kw: Any) -> Figure:
        return plot_throughput(self._results, **kw)

    def closure(self, **kw: Any) -> Figure:
        return plot_closure(self._results, **kw)

    def gantt(self, bin_h: float = 6.0, **kw: Any) -> Figure:
        return plot_gantt(self._results, bin_h=bin_h, **kw)

    def save_all(self, folder: Path | str, dpi: int = 110) -> list[Path]:
        return save_all(self._results, folder, dpi)

    def __repr__(self) -> str:
        return "PlotAccessor(map, congestion, throughput, closure, gantt, save_all)"
