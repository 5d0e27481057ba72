"""Pictures of a run, for briefings: a map of Belgium with the network drawn by load or utilisation (%), what
waited at the busiest resources over time (trains, serials, pieces), throughput per day by mode, closure
curves, a synchronisation matrix (units by time, coloured by RSOM phase or by what they waited for) and
investments ranked by closure time saved.

Amounts use colour-blind-safe sequential scales (plasma for load, viridis for utilisation) and categories
Okabe and Ito's palette; shares are in %, counts in the planner's unit; map labels are pushed apart so that
none overlaps, and legends name only the colours drawn.

Every function returns a matplotlib Figure built without pyplot (no GUI backend, no plt.show, nothing
kept open by pyplot); `results.plot.map()` and friends call them for one Results. Given `ax=` (a matplotlib
Axes, e.g. from plt.subplots), a function draws into it instead and returns the Figure holding it (the root
figure of a subfigure), so that several plots share one figure. `plot_closure` also overlays variants: pass
{name: results} and each variant gets its own colour, named in the legend. `save_all` writes every plot of a
Results as PNG into a folder. Times are hours in the model and days on the plots."""

from __future__ import annotations

import json
import logging
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

import lazy_loader
import numpy as np
from matplotlib import colormaps
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize, to_rgba
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, Polygon
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import Bbox

from . import causes, output

if TYPE_CHECKING:
    import pandas as pd

    from .results import Results
    from .situation import Situation
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

BASEMAP = Path(__file__).resolve().parent / "data" / "basemap" / "belgium_basemap.geojson"
EXTENT = (2.45, 6.45, 49.45, 51.55)  # lon min, lon max, lat min, lat max
ASPECT = 1.0 / math.cos(math.radians(50.5))  # degrees of latitude are longer than degrees of longitude here

# Okabe & Ito's palette (2008), told apart with every common colour-vision deficiency: categories use it
OKABE_ITO = {"blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
             "purple": "#CC79A7", "sky": "#56B4E9", "yellow": "#F0E442", "black": "#000000"}
CATEGORY_COLORS = tuple(OKABE_ITO.values())  # one per brigade or variant, in this order
MODE_COLORS = {"rail": OKABE_ITO["blue"], "road": OKABE_ITO["orange"], "het": OKABE_ITO["purple"],
               "water": OKABE_ITO["sky"], "barge": OKABE_ITO["sky"], "air": OKABE_ITO["green"], "bus": "#8c8c8c"}
MODE_STYLE: dict[str, Any] = {"road": "-", "rail": (0, (5, 2)), "water": (0, (1, 1.5))}  # line style per mode
MODE_OFFSET = {"road": 0.0, "rail": 0.014, "water": -0.014}  # degrees, so parallel road and rail stay apart
NODE_STYLE = {  # kind: (marker, colour, size, label); told apart by shape first, colour second
    "seaport": ("s", "#1b3a6b", 60, "sea port"),
    "airfield": ("^", "#7b3294", 64, "airfield"),
    "railhead": ("D", OKABE_ITO["blue"], 40, "railhead"),
    "yard": ("D", OKABE_ITO["sky"], 32, "rail yard"),
    "staging": ("o", OKABE_ITO["green"], 80, "staging area"),
    "csc": ("P", "#8c564b", 64, "convoy support centre"),
    "exit": ("*", OKABE_ITO["vermillion"], 150, "exit (border)"),
    "junction": ("o", "#969696", 10, "junction"),
    "waterway": ("o", OKABE_ITO["sky"], 10, "waterway node"),
}
LOAD_CMAP = ListedColormap(colormaps["plasma_r"](np.linspace(0.22, 1.0, 256)), name="load")  # no pale yellow
# utilisation: viridis (perceptually even, colour-blind safe), dark for busy, without its palest yellow
UTIL_CMAP = ListedColormap(colormaps["viridis_r"](np.linspace(0.12, 1.0, 256)), name="utilisation")
LABEL_KINDS = ("seaport", "airfield", "railhead", "yard", "staging", "csc", "exit")  # labelled if used, else pale

PHASES = ("reception", "staging", "onward movement", "waiting")
PHASE_COLORS = {"reception": OKABE_ITO["sky"], "staging": OKABE_ITO["green"], "onward movement": OKABE_ITO["blue"],
                "waiting": OKABE_ITO["vermillion"]}
CAUSE_COLORS = {  # waiting, by cause (sim.causes): warm and dark colours, apart from the work phases' blues and green
    "wagons": OKABE_ITO["vermillion"], "march slots and road windows": OKABE_ITO["orange"],
    "train paths": OKABE_ITO["purple"], "locomotives and crews": "#882255", "loading ramps": "#999933",
    "staging space and beds": "#332288", "convoy support centre space": "#8c564b", "berths and discharge": "#000000",
    "aircraft parking and air terminals": "#44AA99", "buses": "#DDCC77", "heavy equipment transporters": "#997700",
    "trucks for containers": "#CC6677",
    "barges and locks": "#88CCEE", "helicopter reassembly": "#AA4499", "disruptions": "#661100",
    causes.OTHER: "#b4b4b4",
}
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


def _wrapped(title: str, width: int = 80) -> str:
    """A figure title folded onto lines of at most `width` characters, so that a long scenario name is not
    cut at the figure's edges."""
    import textwrap

    return "\n".join(textwrap.wrap(title, width)) or title


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


def _place_labels(ax: Axes, items: list[tuple[float, float, str]], markers: np.ndarray | None = None,
                  avoid: Sequence[Any] = (), fontsize: float = 7.5) -> list[Text]:
    """Label points (x, y, text in data coordinates) so that no two labels overlap, nor cover the markers
    given (an n x 3 array: x, y and the marker's width in points) or the artists to avoid (a legend):
    adjustText pushes them apart, and a thin leader line joins a label moved off its point. Its iterations
    are counted, not timed, so that the same figure comes out every time; the figure must be laid out
    (drawn) before."""
    from adjustText import adjust_text

    if not items:
        return []
    bbox = {"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8}
    texts = [ax.text(x, y, s, fontsize=fontsize, zorder=6, ha="left", va="bottom", bbox=bbox) for x, y, s in items]
    pts = np.asarray([(x, y) for x, y, _ in items], dtype=float)
    to_data = ax.transData.inverted()
    renderer = _renderer(ax.figure)
    boxes = [a.get_window_extent(renderer).transformed(to_data) for a in avoid]
    if markers is not None and len(markers):
        centre = ax.transData.transform(np.asarray(markers, dtype=float)[:, :2])
        half = np.asarray(markers, dtype=float)[:, 2:3] / 2.0 * ax.figure.dpi / 72.0 + 1.0  # pixels
        boxes += [Bbox(np.vstack([c - r, c + r])).transformed(to_data) for c, r in zip(centre, half)]
    with _subfigure_draws_quietly():
        _, arrows = adjust_text(texts, x=pts[:, 0], y=pts[:, 1], objects=boxes or None, ax=ax,
                                iter_lim=LABEL_ITERATIONS, time_lim=None, expand=(1.15, 1.4), force_text=(0.3, 0.5),
                                force_static=(0.2, 0.4),
                                arrowprops={"arrowstyle": "-", "color": "#444444", "lw": 0.6, "shrinkA": 0, "shrinkB": 3})
    leaders = {id(a.patchA): a for a in arrows if isinstance(a, FancyArrowPatch)}
    _separate(texts, {id(t): (leaders[id(t)], (x, y)) for t, (x, y, _) in zip(texts, items) if id(t) in leaders}, renderer)
    return texts


LABEL_ITERATIONS = 400  # adjustText steps at most (it stops sooner once no label overlaps)


@contextmanager
def _subfigure_draws_quietly() -> Iterator[None]:
    """adjustText lays out the figure by `draw_without_rendering`, which a subfigure lacks; it then draws the
    whole canvas instead (which is right) after logging, through the deprecated `Logger.warn`, a note about an
    old matplotlib that does not apply. Keep that note and its deprecation warning out of the user's way."""
    log = logging.getLogger("adjustText")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The 'warn' method is deprecated", category=DeprecationWarning)
            yield
    finally:
        log.setLevel(level)


def _separate(texts: list[Text], arrows: dict[int, tuple[FancyArrowPatch, tuple[float, float]]], renderer: Any,
              pad: float = 1.0) -> None:
    """A safety net after adjustText: where two labels still overlap, move the later one up or down, 3 points
    further each try (3 up, 3 down, 6 up...), to the first place where it overlaps no label before it; its
    leader line (`arrows`: by id of the label, its line and the point it labels) then starts at its new place."""
    placed: list[Any] = []
    for t in texts:
        home = t.get_transform().transform(t.get_position())
        box = t.get_window_extent(renderer).padded(pad)
        moved = False
        for step in range(1, 61):
            if not any(box.overlaps(b) for b in placed):
                break
            dy = (step + 1) // 2 * 3.0 * (1 if step % 2 else -1) * t.figure.dpi / 72.0
            x, y = t.get_transform().inverted().transform(home + np.array([0.0, dy]))
            t.set_position((float(x), float(y)))
            box, moved = t.get_window_extent(renderer).padded(pad), True
        if moved and id(t) in arrows:
            arrow, target = arrows[id(t)]
            arrow.set_positions(t.get_position(), target)
        placed.append(box)


# ---- map -------------------------------------------------------------------------------------------------
def used_nodes(results: Results) -> set[str]:
    """Nodes the run used: every node of a movement record (both ends of a bus move), the entries, and the
    node of every facility that served a request (a convoy support centre that serials stopped at)."""
    out: set[str] = set()
    for n in results.moves["node"].dropna().unique():
        out.update(str(n).split("->"))
    out.update(results.pieces.loc[results.pieces["entered_h"].notna(), "entry"].dropna())
    r = results.resources
    if "node" in r and len(results.usage):
        served = r[r["name"].isin(results.usage["resource"].unique()) & ~r["kind"].isin(("paths", "headway"))]
        out.update(str(n) for n in served["node"] if n)
    return out


def plot_map(results: Results, by: str = "load", t: float | None = None, window_h: float = 0.0,
             labels: Sequence[str] | None = None, title: str | None = None, ax: Axes | None = None) -> Figure:
    """Map of Belgium with nodes by kind and links coloured and sized by load (pieces carried; `by="load"`) or
    by utilisation of their train paths / march slots in % (`by="utilization"`), over the run or at time t (h)
    (see `link_loads` for `window_h`). `labels`: node ids to label (default: every port, airfield, railhead,
    rail yard, staging area, convoy support centre and exit the run used), placed so that no two overlap.
    Those it did not use are drawn pale. Colour scales are colour-blind safe."""
    if by not in ("load", "utilization"):
        raise ValueError("by must be 'load' or 'utilization'")
    net = results.network
    if net is None:
        raise ValueError("these results carry no network (results loaded from files cannot be mapped)")
    fig, ax = _canvas(ax, 10, 7.4)
    draw_basemap(ax)
    loads = link_loads(results, t, window_h)
    nodes = net.nodes
    if by == "load":
        col, cmap = "pieces", LOAD_CMAP
        vals = loads["pieces"].astype(float)
        norm = Normalize(0.0, max(float(vals.max(skipna=True) or 0.0), 1.0))
    else:
        col, cmap, norm = "percent", UTIL_CMAP, Normalize(0.0, 100.0)
        loads["percent"] = loads["utilization"].astype(float) * 100.0
    _draw_links(ax, results, loads, col, cmap, norm)
    used = used_nodes(results)
    markers = _draw_nodes(ax, nodes, used)
    if labels is None:
        labels = [n for n, r in nodes.iterrows() if r["kind"] in LABEL_KINDS and n in used]
    items = [(float(nodes.loc[n, "lon"]), float(nodes.loc[n, "lat"]), _short(str(nodes.loc[n, "name"]), 30)) for n in labels
             if n in nodes.index]
    pale = bool((nodes["kind"].isin(LABEL_KINDS) & ~nodes.index.isin(list(used))).any())
    legend = ax.legend(handles=_map_handles(nodes, loads, by, bool(_closed(results)[0]), pale), loc="lower left",
                       fontsize=7.5, framealpha=0.9, title="nodes and links", title_fontsize=8)
    if by == "load":
        label = "pieces carried over the run (pieces)" if t is None else "pieces on the link (pieces)"
    else:
        label = "train paths / march slots in use, busier direction (%)"
    cbar = fig.colorbar(cmap_mappable(cmap, norm), ax=ax, shrink=0.65, pad=0.01, label=label)
    if by != "load":
        cbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos=None: f"{x:.0f} %"))
    when = "over the run" if t is None else f"at t = {t:,.0f} h (day {t / 24:.1f})" if window_h <= 0 else \
        f"from {t - window_h / 2:,.0f} to {t + window_h / 2:,.0f} h"
    what = "pieces carried per link" if by == "load" else "utilisation of train paths and march slots"
    ax.set_title(_wrapped(title or f"{results.scenario}: {what} {when}", 90), fontsize=11)
    fig.canvas.draw()  # layout first, so that label placement sees the final axes
    _place_labels(ax, items, markers, avoid=[legend])
    return _root(fig)


def _draw_links(ax: Axes, results: Results, loads: pd.DataFrame, col: str, cmap: Any, norm: Normalize) -> None:
    """Each link as a line from end to end (rail and water beside road), coloured and widened by `col`;
    grey and thin where nothing was carried, dotted black with a cross where out of service."""
    net = results.network
    nodes = net.nodes
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


def _draw_nodes(ax: Axes, nodes: pd.DataFrame, used: set[str]) -> np.ndarray:
    """Nodes by kind (ports, railheads, exits... the run did not use pale); returns the nodes drawn larger
    than a junction (lon, lat and the marker's width in points), for labels to keep clear of."""
    drawn = []
    for kind, (marker, color, size, _) in NODE_STYLE.items():
        sel = nodes[nodes["kind"] == kind]
        if not len(sel):
            continue
        on = sel.index.isin(list(used)) if kind in LABEL_KINDS else np.ones(len(sel), dtype=bool)
        for mask, alpha in ((on, 1.0), (~on, 0.3)):
            part = sel[mask]
            if len(part):
                ax.scatter(part["lon"].astype(float), part["lat"].astype(float), marker=marker, s=size, c=color,
                           alpha=alpha, edgecolors="#222222", linewidths=0.5, zorder=5)
        if size > 10:
            xy = sel[["lon", "lat"]].to_numpy(dtype=float)
            drawn.append(np.column_stack([xy, np.full(len(xy), math.sqrt(size))]))
    return np.vstack(drawn) if drawn else np.empty((0, 3))


def _map_handles(nodes: pd.DataFrame, loads: pd.DataFrame, by: str, closed: bool, pale: bool) -> list[Line2D]:
    """The map's legend: the kinds of node drawn, pale nodes (when some are), the modes of link, unused
    links, and out of service (when some are)."""
    kinds = set(nodes["kind"])
    handles = [Line2D([], [], marker=m, color=c, linestyle="none", markersize=math.sqrt(s) * 0.9, label=lab)
               for k, (m, c, s, lab) in NODE_STYLE.items() if k in kinds and k != "waterway"]
    if pale:
        handles.append(Line2D([], [], marker="s", color="#1b3a6b", alpha=0.3, linestyle="none", markersize=7,
                              label="pale: not used in this run"))
    handles += [Line2D([], [], color="#555555", linestyle=MODE_STYLE[m], linewidth=1.6, label=f"{m} link")
                for m in MODE_STYLE if m in set(loads["mode"])]
    handles.append(Line2D([], [], color="#a0a0a0", linewidth=0.9,
                          label="no pieces carried" if by == "load" else "no train paths or march slots used"))
    if closed:
        handles.append(Line2D([], [], color="black", linestyle=(0, (1, 1)), marker="x", mew=2, label="out of service"))
    return handles


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


QUEUE_COLOR, USE_COLOR = OKABE_ITO["vermillion"], OKABE_ITO["blue"]
HEADROOM = 1.35  # the top of a congestion panel over its highest value: room for the legend in one row


def _count(n: int, noun: str) -> str:
    """'1 train', '13 trains', '2 ship calls': a count with its plural noun (singular for one)."""
    return f"{n:,} {noun[:-1] if n == 1 and noun.endswith('s') else noun}"


def _waiting_label(waiters: str) -> str:
    """The y label of a queue, in what waits there: "trains waiting", "serials waiting", "pieces waiting"."""
    return f"{waiters if waiters and waiters != 'waits' else 'requests'} waiting"


def plot_congestion(results: Results, top: int = 6, resources: Sequence[str] | None = None,
                    bin_h: float = 12.0, ax: Axes | Sequence[Axes] | None = None) -> Figure:
    """Per resource, busiest first (the bottleneck ranking: waiting caused, then utilisation), top N: what
    waited for it over time, counted in what queues there (trains for wagons, locomotives and train paths,
    serials for march slots, pieces at a port's marshalling area or a staging area, ship calls at berths,
    bus loads for beds), and the share of its capacity in use (%, mean per `bin_h` hours, right axis). One
    panel per resource, titled in a planner's words with the resource's id beside them, sharing the time
    axis. `ax`: one Axes (a panel for the busiest resource) or several (one panel each, busiest first) to
    draw into instead."""
    stats = results.resource_stats()
    names = stats.loc[stats["uses"] > 0, "resource"].head(top).tolist() if resources is None else list(resources)
    if ax is None:
        rows = max(len(names), 1)
        fig: Figure | SubFigure = _figure(11, 1.0 + 1.75 * rows)
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
            st = by_name.loc[name] if name in by_name.index else None
            waiters = "" if st is None else str(st["waiters"])
            s = q[q["resource"] == name]
            tq = np.concatenate([[0.0], s["t"].to_numpy(dtype=float), [end]]) / 24.0
            vq = np.concatenate([[0.0], s["queue"].to_numpy(dtype=float), [s["queue"].iloc[-1] if len(s) else 0.0]])
            ut = np.append(util[name].to_numpy(), util[name].to_numpy()[-1]) * 100.0
            axu.fill_between(edges / 24.0, ut, step="post", color=USE_COLOR, alpha=0.22, linewidth=0)
            hu, = axu.step(edges / 24.0, ut, where="post", color=USE_COLOR, linewidth=1.0)
            hq, = panel.step(tq, vq, where="post", color=QUEUE_COLOR, linewidth=1.3)
            panel.set_zorder(axu.get_zorder() + 1)  # the queue line over the utilisation shading
            panel.patch.set_visible(False)
            panel.set_title(_congestion_title(i, name, st), fontsize=8.5, loc="left")
            panel.set_ylim(0, max(1.0, float(vq.max())) * HEADROOM)
            panel.set_ylabel(_waiting_label(waiters), fontsize=8, color=QUEUE_COLOR)
            if i == 0:
                panel.legend([hq, hu], ["waiting (left axis, count)", f"capacity in use ({bin_h:g} h mean, right axis, %)"],
                             fontsize=8, loc="upper right", framealpha=0.9, ncols=2)
        else:
            panel.text(0.5, 0.5, "no resource was used", transform=panel.transAxes, ha="center")
            panel.plot([], [], color=QUEUE_COLOR, label="waiting (count)")
            panel.legend(fontsize=8, loc="upper right")
            panel.set_title("(no resource)", fontsize=9, loc="left")
            panel.set_ylabel(_waiting_label(""), fontsize=8)
        axu.set_ylabel("in use (% of capacity)", fontsize=8, color=USE_COLOR)
        axu.set_ylim(0, 100 * HEADROOM)
        axu.set_yticks([0, 50, 100])
        axu.yaxis.set_major_formatter(FuncFormatter(lambda x, _pos=None: f"{x:.0f} %"))
        panel.tick_params(labelsize=8)
        axu.tick_params(labelsize=8)
        locator: Any = panel.yaxis.get_major_locator()  # an AutoLocator, which takes integer=
        locator.set_params(integer=True)
    for a in axes:
        a.set_xlim(0, end / 24.0)
    axes[-1].set_xlabel("time since start (days)")
    if ax is None:  # a figure of its own: its title names the scenario (drawn into given axes, each panel has one)
        fig.suptitle(_wrapped(f"{results.scenario}: what waited at the {len(names)} busiest resources (busiest first)",
                              100), fontsize=12)
    return _root(fig)


def _congestion_title(i: int, name: str, st: pd.Series | None) -> str:
    """A panel's title: rank, the resource in a planner's words with its id in brackets, and on a second line
    its mean use, longest queue (in what waits there) and the waiting it caused to pieces."""
    if st is None:
        return f"{i + 1}. {name}"
    words = str(st["words"])
    head = f"{i + 1}. {words}" + ("" if words == name else f"  [{name}]")
    waiters = str(st["waiters"]) if st["waiters"] != "waits" else "requests"
    facts = (f"mean use {st['utilization']:.0%}, longest queue {_count(int(st['max_queue']), waiters)}, "
             f"{_count(int(st['waits']), waiters)} waited, waiting caused {st['wait_h']:,.0f} piece-h")
    return f"{head}\n{facts}"


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
    ax.set_title(_wrapped(f"{runs[0].scenario}: throughput across the exits by mode{rep}", 70))
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
    n_colors = len(CATEGORY_COLORS)
    if not isinstance(results, Mapping):
        runs = _as_list(results)
        for i, (force, wide) in enumerate(_closure_wide(runs)):
            _closure_line(ax, wide, _band_kind(band, len(runs)), force, CATEGORY_COLORS[i % n_colors], "-")
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
                _closure_line(ax, wide, _band_kind(band, len(runs)), label, CATEGORY_COLORS[i % n_colors], style)
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
    ax.set_title(_wrapped(title, 70))
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
    """Piece-hours per unit, time bin, phase and, for waiting, its cause (sim.causes; "" for the other
    phases); returns the bin edges and the long table. A piece's waiting is split among what it waited for
    in proportion to the hours the blame table booked to each cause (the rest: `causes.OTHER`)."""
    iv = phase_intervals(results)
    end = max(results.end_h, bin_h)
    edges = np.arange(0.0, end + bin_h, bin_h)
    cols = ["force", "unit", "bin", "phase", "cause", "hours"]
    if iv.empty:
        return edges, pd.DataFrame(columns=cols)
    waiting = iv["phase"] == "waiting"
    per_piece = (iv.loc[waiting, "t1"] - iv.loc[waiting, "t0"]).groupby(iv.loc[waiting, "id"]).sum()
    shares = causes.piece_causes(results, per_piece).rename(columns={"pid": "id"})
    iv = pd.concat([iv[~waiting].assign(cause="", share=1.0), iv[waiting].merge(shares, on="id", how="inner")],
                   ignore_index=True)
    a = iv["t0"].to_numpy(dtype=float)[:, None]
    b = iv["t1"].to_numpy(dtype=float)[:, None]
    ov = (np.minimum(b, edges[None, 1:]) - np.maximum(a, edges[None, :-1])).clip(min=0.0)
    frame = pd.DataFrame(ov * iv["share"].to_numpy(dtype=float)[:, None])
    keys = ["force", "unit", "phase", "cause"]
    frame[keys] = iv[keys].to_numpy()
    long = frame.groupby(keys).sum().stack().rename("hours").reset_index()
    long = long.rename(columns={f"level_{len(keys)}": "bin"})
    long = long[long["hours"] > 0]
    return edges, long[cols].reset_index(drop=True)


def gantt_cells(results: Results, bin_h: float = 6.0) -> tuple[np.ndarray, list[tuple[str, str]], pd.DataFrame]:
    """The synchronisation matrix's cells: per unit (force, unit; sorted) and time bin, the piece-hours in it
    (`hours`), the share of the unit's pieces in the system then (`share`, 0-1) and what it shows
    (`category`): the phase in which the unit's pieces spent most of the bin or, where that is waiting, what
    they waited for most ("waiting: wagons"). Returns the bin edges, the units and the cells."""
    edges, long = sync_matrix(results, bin_h)
    units = [(str(f), str(u)) for f, u in results.pieces[["force", "unit"]].drop_duplicates()
             .sort_values(["force", "unit"]).itertuples(index=False)]
    cols = ["force", "unit", "bin", "hours", "share", "category"]
    if long.empty:
        return edges, units, pd.DataFrame(columns=cols)
    key = ["force", "unit", "bin"]
    by_phase = long.groupby([*key, "phase"], as_index=False)["hours"].sum()
    dom = by_phase.sort_values("hours", ascending=False, kind="stable").drop_duplicates(key)
    waits = long[long["phase"] == "waiting"].groupby([*key, "cause"], as_index=False)["hours"].sum()
    top_cause = waits.sort_values("hours", ascending=False, kind="stable").drop_duplicates(key)
    cells = long.groupby(key, as_index=False)["hours"].sum()
    cells = cells.merge(dom[[*key, "phase"]], on=key).merge(top_cause[[*key, "cause"]], on=key, how="left")
    cells["category"] = np.where(cells["phase"] == "waiting", "waiting: " + cells["cause"].fillna(causes.OTHER),
                                 cells["phase"])
    size = results.pieces.groupby(["force", "unit"]).size()
    n = np.array([max(int(size.get((f, u), 1)), 1) for f, u in zip(cells["force"], cells["unit"])], dtype=float)
    cells["share"] = (cells["hours"].to_numpy(dtype=float) / (bin_h * n)).clip(max=1.0)
    return edges, units, cells[cols]


def _category_color(category: str) -> str:
    """The colour of a Gantt cell's category: a phase's, or for "waiting: <cause>" the cause's."""
    if category.startswith("waiting: "):
        return CAUSE_COLORS.get(category.removeprefix("waiting: "), PHASE_COLORS["waiting"])
    return PHASE_COLORS[category]


def _category_label(category: str) -> str:
    """A legend entry in a planner's words: "waiting for wagons", "onward movement"."""
    cause = category.removeprefix("waiting: ")
    if cause == category:
        return category
    return f"waiting: {cause}" if cause == causes.OTHER else f"waiting for {cause}"


GANTT_ORDER = (*PHASES[:-1], *(f"waiting: {c}" for c in causes.CAUSES))  # legend order: work, then waiting


GANTT_SUBROWS = 8  # image rows per unit: the top one white (between units), the others filled by the bar


def plot_gantt(results: Results, bin_h: float = 6.0, ax: Axes | None = None) -> Figure:
    """Synchronisation matrix: one row per unit, time in bins of `bin_h` hours, each cell coloured by the RSOM
    phase in which the unit's pieces spent most of that time (reception, staging, onward movement) or, where
    they mostly waited, by what they waited for most (wagons, locomotives, train paths, march slots, staging
    space, berths...: sim.causes). A cell's height is the share of the unit's pieces in the system then, so
    that every colour is drawn at full strength and matches the legend, which names only the colours drawn.
    Into `ax` when given."""
    edges, units, cells = gantt_cells(results, bin_h)
    nb, k = len(edges) - 1, GANTT_SUBROWS
    img = np.ones((max(len(units), 1) * k, nb, 3))
    row_of = {u: i for i, u in enumerate(units)}
    shown: set[str] = set()
    for r in cells.itertuples(index=False):
        i, bn = row_of.get((str(r.force), str(r.unit))), int(r.bin)
        if i is None or bn >= nb:
            continue
        fill = max(1, math.ceil(float(r.share) * (k - 1) - 1e-9))  # sub-rows filled from the bottom of the unit's row
        img[(i + 1) * k - fill:(i + 1) * k, bn, :] = to_rgba(_category_color(str(r.category)))[:3]
        shown.add(str(r.category))
    fig, ax = _canvas(ax, 11, max(3.4, 0.34 * len(units) + 2.2))
    end_d = edges[-1] / 24.0
    rows = max(len(units), 1)  # unit i spans y from i (top, its white sub-row) to i + 1
    ax.imshow(img, aspect="auto", interpolation="nearest", extent=(0.0, end_d, rows, 0.0))
    ax.set_ylim(rows, 0.0)
    ax.set_yticks([i + 0.5 + 0.5 / k for i in range(len(units))])  # the middle of the bar's full height
    ax.set_yticklabels([f"{f} / {u}" for f, u in units], fontsize=8)
    ax.set_xlim(0, max(results.end_h, bin_h) / 24.0)
    ax.set_xlabel("time since start (days)")
    ax.set_ylabel("unit (force / unit)")
    ax.grid(axis="x", color="#bbbbbb", linewidth=0.5, alpha=0.6)
    order = [c for c in GANTT_ORDER if c in shown] + sorted(shown - set(GANTT_ORDER))
    handles = [Patch(facecolor=_category_color(c), edgecolor="none", label=_category_label(c)) for c in order]
    if not handles:
        handles = [Patch(facecolor="white", edgecolor="#999999", label="no piece moved")]
    ax.legend(handles=handles, title="what most of the unit's pieces\nwere doing (bar height: share\nof its pieces in the system)",
              fontsize=8, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
              framealpha=0.9, alignment="left")
    ax.set_title(_wrapped(f"{results.scenario}: synchronisation matrix (what each unit's pieces did most, per {bin_h:g} h)",
                          90))
    return _root(fig)


# ---- investments -----------------------------------------------------------------------------------------
def investment_ranking(frame: pd.DataFrame) -> pd.DataFrame:
    """The variants of `sim.compare.compare` that cost something, best first: most hours saved (mean), then
    cheapest, then by name; with `lo` and `hi`, the 95 % interval of the hours saved (the mean where unknown)."""
    f = frame[frame["cost_eur"] > 0].copy()
    f["lo"] = f["saved_h_ci95_lo"].astype(float).fillna(f["saved_h_mean"].astype(float))
    f["hi"] = f["saved_h_ci95_hi"].astype(float).fillna(f["saved_h_mean"].astype(float))
    f = f.sort_values(["saved_h_mean", "cost_eur", "name"], ascending=[False, True, True], kind="stable")
    return f.reset_index(drop=True)


def _one_decimal(x: float) -> str:
    """A number to one decimal, without a minus sign on a value that rounds to zero."""
    return f"{round(x, 1) + 0.0:,.1f}"


def _money(eur: float) -> str:
    """'EUR 20.3 M', 'EUR 1.56 bn'."""
    return f"EUR {eur / 1e9:,.2f} bn" if eur >= 1e9 else f"EUR {eur / 1e6:,.1f} M"


def plot_investments(frame: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Investments ranked by closure time saved against the baseline (days, or hours when every saving is
    under two days), best at the top: one bar per variant of `sim.compare.compare` that costs something (the
    whole portfolio in its own colour), its 95 % interval as a whisker, its cost beside its name and its
    saving written at the end of the bar. Into `ax` when given."""
    f = investment_ranking(frame)
    n = len(f)
    fig, ax = _canvas(ax, 10, max(3.4, 0.42 * n + 1.8))
    if f.empty:
        ax.text(0.5, 0.5, "no investment to compare", transform=ax.transAxes, ha="center")
    h = f[["saved_h_mean", "lo", "hi"]].to_numpy(dtype=float)
    days = bool(n) and float(np.nanmax(np.abs(h))) >= 48.0
    scale, unit, short = (24.0, "days", "d") if days else (1.0, "hours", "h")
    mean, lo, hi = (h / scale).T if n else (np.zeros(0),) * 3
    y = np.arange(n)
    port = (f["name"] == "portfolio").to_numpy()
    colors = np.where(port, OKABE_ITO["vermillion"], OKABE_ITO["blue"])
    ax.barh(y, mean, height=0.62, color=colors, edgecolor="none", zorder=2)
    wide = hi > lo  # an interval to draw (not with one replication, nor where every replication saved the same)
    err = np.vstack([mean - np.minimum(lo, mean), np.maximum(hi, mean) - mean])[:, wide]
    ax.errorbar(mean[wide], y[wide], xerr=err, fmt="none", ecolor="#222222", elinewidth=1.1, capsize=4, zorder=3)
    ax.axvline(0.0, color="#555555", linewidth=0.9, zorder=1)
    span = max(float(np.nanmax(np.abs(np.r_[lo, hi, mean, 0.0]))), 0.5)
    for yi, m, a, b in zip(y, mean, lo, hi):
        said = [_one_decimal(v) for v in (m, a, b)]
        interval = "" if said[1] == said[2] else f" (95 %: {said[1]} to {said[2]})"
        ax.text(max(b, m, 0.0) + 0.02 * span, float(yi), f"{said[0]} {short}{interval}", va="center", ha="left", fontsize=8,
                zorder=4)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{name}  ({_money(float(c))})" for name, c in zip(f["name"], f["cost_eur"])], fontsize=8)
    ax.set_ylim(n - 0.5 if n else 0.5, -0.6)  # best at the top
    ax.set_xlim(min(0.0, float(np.nanmin(np.r_[lo, 0.0]))) - 0.05 * span, span * 1.55)
    ax.set_xlabel(f"closure time saved against the baseline ({unit}; bar: mean, whisker: 95 % interval)")
    ax.set_ylabel("investment (cost)")
    ax.grid(axis="x", color="#e4e4e4", linewidth=0.6, zorder=0)
    handles: list[Artist] = [Patch(facecolor=OKABE_ITO["blue"], label="investment alone")]
    if port.any():
        handles.append(Patch(facecolor=OKABE_ITO["vermillion"], label="whole portfolio"))
    handles.append(Line2D([], [], color="#222222", marker="|", markersize=8, linewidth=1.1, label="95 % interval"))
    ax.legend(handles=handles, fontsize=8, loc="lower right", framealpha=0.9)
    reps = int(frame["replications"].iloc[0]) if "replications" in frame and len(frame) else 0
    ax.set_title(f"Investments ranked by closure {unit} saved\n({reps} replications each, common random numbers)",
                 fontsize=11)
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


def plot_situation(s: Situation) -> Figure:
    """The state at a time on the map: links coloured by the pieces on them then (`plot_map` at t), and at
    each node a circle sized by the pieces there, with the busiest nodes listed (pieces there, and how many
    of them wait); needs the situation's forecast run (it carries the network)."""
    if s.outcome is None:
        raise ValueError("the situation has no run to map (make it with forecast=True)")
    fig = plot_map(s.outcome, t=s.t_h, title=f"{s.outcome.scenario}: the deployment at {s.when}")
    fig.set_layout_engine("none")  # keep the map's layout: the circles and the list below are drawn inside it
    ax = fig.axes[0]
    nodes = s.outcome.network.nodes
    here = s.pieces[~s.pieces["status"].isin(["delivered", "not arrived"])]
    counts = here.groupby("node").size()
    waiting = here[here["status"].str.contains("waiting", regex=False)].groupby("node").size()
    counts = counts[counts.index.isin(nodes.index)]
    links = s.outcome.network.links
    for d in s.disrupted:  # what is closed or slowed at t: its links crossed, its facility ringed
        hit = links[(links["corridor"] == d["target"]) | (links.index == d["target"])]
        for _, r in hit.iterrows():
            if r["from"] in nodes.index and r["to"] in nodes.index:
                x = [float(nodes.at[r["from"], "lon"]), float(nodes.at[r["to"], "lon"])]
                y = [float(nodes.at[r["from"], "lat"]), float(nodes.at[r["to"], "lat"])]
                ax.plot(x, y, color="black", linewidth=1.4, linestyle=(0, (1, 1)), zorder=7)
                ax.plot(sum(x) / 2, sum(y) / 2, marker="x", color="black", markersize=9, mew=2.2, zorder=7)
        if d["target"] in nodes.index:
            ax.plot(float(nodes.at[d["target"], "lon"]), float(nodes.at[d["target"], "lat"]), marker="X",
                    color="black", markersize=11, zorder=8)
    if s.disrupted:
        ax.text(0.01, 0.99, "closed or slowed now (black crosses):\n" + "\n".join(d["name"] for d in s.disrupted),
                transform=ax.transAxes, ha="left", va="top", fontsize=7.5, zorder=8,
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9, "edgecolor": "black"}).set_in_layout(False)
    if len(counts):
        lon = nodes.loc[counts.index, "lon"].astype(float)
        lat = nodes.loc[counts.index, "lat"].astype(float)
        size = 40.0 + 1200.0 * counts / max(int(counts.max()), 1)
        ax.scatter(lon, lat, s=size, facecolors="none", edgecolors="#b2182b", linewidths=1.6, zorder=6).set_in_layout(False)
        top = counts.sort_values(ascending=False, kind="stable").head(8)
        lines = [f"{_short(str(nodes.at[n, 'name']), 28)}: {c:,}" + (f" ({int(waiting.get(n, 0)):,} wait)"
                                                                      if waiting.get(n, 0) else "")
                 for n, c in top.items()]
        ax.text(0.99, 0.99, "pieces at a node (red circles)\n" + "\n".join(lines), transform=ax.transAxes,
                ha="right", va="top", fontsize=7.5, color="#67001f", zorder=8,
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9, "edgecolor": "#b2182b"}).set_in_layout(False)
    return fig
