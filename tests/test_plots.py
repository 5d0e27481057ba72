"""Every plot from a small run: produced without warnings, with a title, axis labels with units and a legend,
and closed after each test. Plus the numbers behind the pictures (link loads, throughput, phases, what pieces
waited for), and what a planner reads off them: colour-blind-safe scales in %, every entry and exit used
labelled with no two labels overlapping, queues counted in trains or serials, a legend naming only the
colours drawn, investments ranked with their intervals."""

import itertools
import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from netkit import node, scenario, tiny_network, tiny_nodes, write_scenario
from typer.testing import CliRunner

from sim import causes, load_plan, run
from sim import plots as P
from sim.cli import app
from sim.ids import Res

pytestmark = pytest.mark.filterwarnings("error")  # any warning while plotting fails the test
UNIT = re.compile(r"\(.+\)")
COUNTED = re.compile(r"^(trains|serials|pieces|persons|ship calls|bus loads|flights|barge loads|helicopters|requests) waiting$")
RED_GREEN = ("RdYlGn", "RdYlGn_r", "RdGy", "PiYG", "PRGn", "RdBu", "brg", "jet", "rainbow", "hsv", "gist_rainbow")


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    d = tmp_path_factory.mktemp("plots")
    net = tiny_network(d / "net")
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 40, "tracked": 30, "wheeled": 60},
                                          {"unit": "b", "personnel": 30, "tracked": 10, "wheeled": 40, "container": 8}]})
    return write_scenario(d / "s.yaml", data)


@pytest.fixture(scope="module")
def runs(scenario_file):
    return run(load_plan(scenario_file), replications=3)


@pytest.fixture(scope="module")
def res(runs):
    return runs[0]


@pytest.fixture(scope="module")
def scarce(tmp_path_factory):
    """The same force with 8 heavy flat wagons and one locomotive: trains wait for wagons and locomotives."""
    d = tmp_path_factory.mktemp("scarce")
    data = scenario(tiny_network(d / "net"),
                    templates={"t": [{"unit": "a", "personnel": 40, "tracked": 30, "wheeled": 60},
                                     {"unit": "b", "personnel": 30, "tracked": 10, "wheeled": 40, "container": 8}]},
                    pools={"wagons": {"heavy_flat": 8, "flat": 160, "container_flat": 60}, "train_sets": 1})
    return run(load_plan(write_scenario(d / "s.yaml", data)), replications=1)[0]


@pytest.fixture(scope="module")
def crowded(tmp_path_factory):
    """The tiny scenario on nodes a few kilometres apart: their labels start on top of each other."""
    d = tmp_path_factory.mktemp("crowded")
    net = tiny_network(d / "net", nodes=[
        node("port", "seaport", 51.200, 4.30), node("apod", "airfield", 51.190, 4.31),
        node("stage", "staging", 51.210, 4.32), node("exit_road", "exit", 51.195, 4.335),
        node("exit_rail", "exit", 51.205, 4.34)])
    return run(load_plan(write_scenario(d / "s.yaml", scenario(net))), replications=1)[0]


@pytest.fixture
def figs():
    """Figures made in a test; closed afterwards."""
    made: list[Figure] = []
    yield made
    for f in made:
        plt.close(f)


def check(fig, figs, *, legend=True) -> Figure:
    """A Figure with a title, axis labels with units on every data axes, and a legend."""
    figs.append(fig)
    assert isinstance(fig, Figure)
    axes = [ax for ax in fig.axes if not hasattr(ax, "_colorbar")]
    assert axes
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    for ax in axes:
        assert suptitle or ax.get_title() or ax.get_title(loc="left"), "axes without a title"
        if ax.get_ylabel():
            assert UNIT.search(ax.get_ylabel()) or COUNTED.match(ax.get_ylabel()), \
                f"y label without a unit: {ax.get_ylabel()!r}"
        else:
            assert ax.get_shared_x_axes().get_siblings(ax), "axes without a y label"
        if ax.get_xlabel():
            assert UNIT.search(ax.get_xlabel()), f"x label without a unit: {ax.get_xlabel()!r}"
    assert any(ax.get_ylabel() for ax in axes)
    assert any(ax.get_xlabel() for ax in axes)
    for cb in (ax for ax in fig.axes if hasattr(ax, "_colorbar")):
        label = cb.get_ylabel() or cb.get_xlabel()
        assert UNIT.search(label), f"colour bar without a unit: {label!r}"
    if legend:
        legends = [ax.get_legend() for ax in axes if ax.get_legend() is not None] + list(fig.legends)
        assert legends, "no legend"
        assert all(lg.get_texts() for lg in legends), "an empty legend"
    fig.canvas.draw()  # renders without error or warning
    return fig


def labels(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def test_map_by_load_draws_the_links_with_pieces(res, figs):
    fig = check(P.plot_map(res), figs)
    ax = fig.axes[0]
    assert "pieces carried" in ax.get_title()
    assert ax.get_xlabel() == "longitude (° E)"
    assert ax.get_ylabel() == "latitude (° N)"
    assert {"sea port", "staging area", "exit (border)", "road link", "rail link"} <= set(labels(fig))
    assert len(ax.patches) >= 5  # the basemap's country polygons
    names = {t.get_text() for t in ax.texts}
    assert {"port", "stage", "exit_road", "exit_rail"} <= names  # key nodes labelled
    cbar = next(a for a in fig.axes if hasattr(a, "_colorbar"))
    assert "pieces" in cbar.get_ylabel()


def test_map_by_utilisation_and_at_a_time(res, figs):
    check(P.plot_map(res, by="utilization"), figs)
    trains = P._rail_trains(res)
    t = float(trains["t"].iloc[0]) + 0.01  # a loaded train is on the rail link just after its slot
    loads = P.link_loads(res, t=t).set_index("link")
    assert loads.at["l_port_exit", "pieces"] > 0
    fig = check(res.plot.map(t=t), figs)
    assert f"t = {t:,.0f} h" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="by must be"):
        P.plot_map(res, by="colour")


def colour_bar(fig):
    return next(a for a in fig.axes if hasattr(a, "_colorbar"))


def inside(box, frame) -> bool:
    """Whether a display box lies wholly within another."""
    return frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1


def node_labels(ax):
    """The map's node labels (texts on a white box; the basemap's country names have none)."""
    return [t for t in ax.texts if t.get_bbox_patch() is not None]


def test_utilisation_map_is_colour_blind_safe_and_in_percent(res, figs):
    fig = check(P.plot_map(res, by="utilization"), figs)
    cbar = colour_bar(fig)
    mappable = cbar._colorbar.mappable
    cmap = mappable.get_cmap()
    assert cmap.name not in RED_GREEN
    rgb = cmap(np.linspace(0, 1, 64))[:, :3]
    assert np.all(np.diff(rgb @ [0.2126, 0.7152, 0.0722]) < 0)  # one dark-to-light ramp: lighter for less use
    assert (mappable.norm.vmin, mappable.norm.vmax) == (0, 100)  # 0-100 %, not 0-1
    assert cbar.get_ylabel().endswith("(%)")
    ticks = [t.get_text() for t in cbar.get_yticklabels() if t.get_text()]
    assert ticks
    assert all(t.endswith("%") for t in ticks)
    assert "100 %" in ticks
    drawn = [ln for ln in fig.axes[0].lines if ln.get_linewidth() > 1.6]  # links whose paths were used
    used = P.link_loads(res)["utilization"].fillna(0)
    assert len(drawn) == int((used > 0).sum())
    for ln in drawn:  # each used link's colour is on the colour map
        c = np.array(to_rgba(ln.get_color()))[:3]
        assert np.abs(rgb - c).sum(axis=1).min() < 0.05


@pytest.mark.parametrize(("case", "by"), [("res", "load"), ("res", "utilization"), ("crowded", "load")])
def test_every_entry_and_exit_used_is_labelled_and_no_labels_overlap(request, figs, case, by):
    res = request.getfixturevalue(case)
    fig = check(P.plot_map(res, by=by), figs)
    ax = fig.axes[0]
    nodes = res.network.nodes
    used = P.used_nodes(res)
    wanted = {n for n in used if n in nodes.index and nodes.at[n, "kind"] in ("seaport", "airfield", "railhead", "exit")}
    assert {"port", "apod", "exit_road", "exit_rail"} <= wanted  # the ship's port, the flight's airfield, both exits
    texts = node_labels(ax)
    assert wanted <= {t.get_text() for t in texts}
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    for (a, ta), (b, tb) in itertools.combinations(zip(boxes, texts), 2):
        assert not a.overlaps(b), f"labels {ta.get_text()!r} and {tb.get_text()!r} overlap"
    frame = ax.get_window_extent(renderer)
    for box, t in zip(boxes, texts):
        assert inside(box, frame), t.get_text()


def test_map_labels_in_a_subfigure_without_a_warning(res, figs):
    fig = P._figure(14, 6)
    figs.append(fig)
    sub = fig.subfigures(1, 2)[0]
    assert P.plot_map(res, ax=sub.add_subplot()) is fig  # adjustText lays out a subfigure too, quietly
    assert {"port", "apod", "exit_road", "exit_rail"} <= {t.get_text() for t in node_labels(sub.axes[0])}


def test_crowded_labels_are_pushed_apart_the_same_way_every_time(figs):
    def placed():
        fig = P._figure(6, 4)
        figs.append(fig)
        ax = fig.add_subplot()
        ax.set_xlim(0, 10)
        ax.set_ylim(0, 10)
        fig.canvas.draw()
        texts = P._place_labels(ax, [(5 + 0.01 * i, 5.0, f"railhead {i}") for i in range(12)])
        renderer = fig.canvas.get_renderer()
        return texts, [t.get_window_extent(renderer) for t in texts]

    texts, boxes = placed()
    assert len(texts) == 12
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))
    again = placed()[1]
    assert [tuple(b.bounds) for b in again] == [tuple(b.bounds) for b in boxes]  # counted iterations, not timed


def test_unused_ports_airfields_and_exits_are_drawn_pale(res, tmp_path, figs):
    net = tiny_network(tmp_path / "net", nodes=[*tiny_nodes(), node("idle_port", "seaport", 51.3, 3.2)])
    r = run(load_plan(write_scenario(tmp_path / "s.yaml", scenario(net))), replications=1)[0]
    fig = check(P.plot_map(r), figs)
    ax = fig.axes[0]
    assert "idle_port" not in P.used_nodes(r)
    assert "idle_port" not in {t.get_text() for t in ax.texts}
    pale = [c for c in ax.collections if c.get_alpha() is not None and c.get_alpha() < 1]
    assert [tuple(np.round(c.get_offsets()[0], 3)) for c in pale] == [(3.2, 51.3)]
    assert any("not used" in t for t in labels(fig))
    assert not any("not used" in t for t in labels(check(P.plot_map(res), figs)))  # the tiny run used every one


def test_link_loads_count_every_piece_on_its_route(res):
    loads = P.link_loads(res).set_index("link")
    p = res.pieces
    rail = int((p["mode"] == "rail").sum())
    road = int((p["mode"] == "road").sum())
    assert loads.at["l_port_exit", "pieces"] == rail  # every rail piece rode the only rail link
    assert loads.at["r_stage_exit", "pieces"] == road  # every road piece drove from staging to the road exit
    assert loads.at["r_port_stage", "pieces"] == road  # ... after driving from the port to staging
    assert loads.at["r_apod_stage", "pieces"] == 0  # only people (buses) used the airfield road
    assert 0 < loads.at["l_port_exit", "utilization"] <= 1
    late = P.link_loads(res, t=res.end_h + 100)
    assert late["pieces"].sum() == 0


def test_congestion_shows_the_busiest_first(res, figs):
    fig = check(P.plot_congestion(res, top=3), figs)
    stats = res.resource_stats()
    busiest = stats.loc[stats["uses"] > 0].head(3)
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    assert len(panels) == 3
    for i, (ax, (_, st)) in enumerate(zip(panels, busiest.iterrows())):
        title = ax.get_title(loc="left")
        assert title.startswith(f"{i + 1}. {st['words']}")  # the planner's words first ...
        assert f"[{st['resource']}]" in title  # ... and the id beside them
    assert "waiting (left axis, count)" in labels(fig)
    assert all(ax.get_ylabel() for ax in fig.axes)  # what waits (left) and utilisation (right) on every panel


def test_congestion_counts_what_waits_in_the_planners_unit(scarce, figs):
    fig = check(P.plot_congestion(scarce, top=4), figs)
    stats = scarce.resource_stats().set_index("resource")
    panels = [ax for ax in fig.axes if ax.get_title(loc="left")]
    waiters = [stats.at[re.search(r"\[(.+?)\]", ax.get_title(loc="left")).group(1), "waiters"] for ax in panels]
    assert [ax.get_ylabel() for ax in panels] == [f"{w} waiting" for w in waiters]
    assert panels[0].get_ylabel() == "trains waiting"  # heavy flat wagons: trains wait for them
    assert "trains" in panels[0].get_title(loc="left").split("\n")[1]  # "longest queue 2 trains"
    for ax in panels:
        assert "queue (requests)" not in ax.get_ylabel()
        assert COUNTED.match(ax.get_ylabel())
    right = [ax for ax in fig.axes if ax not in panels]
    assert right
    for ax in right:  # utilisation in % of capacity, 0-100
        assert ax.get_ylabel() == "in use (% of capacity)"
        assert [t.get_text() for t in ax.get_yticklabels()] == ["0 %", "50 %", "100 %"]


def test_throughput_bars_add_up_to_the_pieces_delivered(runs, res, figs):
    fig = check(res.plot.throughput(), figs)
    heights = sum(p.get_height() for p in fig.axes[0].patches)
    assert heights == pytest.approx(res.pieces["delivered_h"].notna().sum())
    assert set(labels(fig)) == set(res.pieces["mode"])
    tab = P.throughput_table(runs)  # mean over replications
    assert tab.to_numpy().sum() == pytest.approx(np.mean([r.pieces["delivered_h"].notna().sum() for r in runs]))
    check(P.plot_throughput(runs), figs)


def test_closure_curves_one_run_and_a_band_over_replications(runs, res, figs):
    fig = check(res.plot.closure(), figs)
    ax = fig.axes[0]
    assert [ln.get_ydata()[-1] for ln in ax.lines if ln.get_label() == "f"] == [1.0]  # everything closed
    fig = check(P.plot_closure(runs), figs)
    assert any("median" in t for t in labels(fig))
    assert any("min-max" in t for t in labels(fig))
    assert len(fig.axes[0].collections) == 1  # one band per brigade
    fig = check(P.plot_closure(runs, band="10-90"), figs)
    assert any("10-90" in t for t in labels(fig))
    cur = P.closure_curves(runs)
    assert set(cur["replication"]) == {0, 1, 2}
    assert cur["share"].between(0, 1).all()


def legend_colours(ax) -> dict[str, tuple]:
    lg = ax.get_legend()
    return {t.get_text(): tuple(np.round(h.get_facecolor()[:3], 4)) for t, h in zip(lg.get_texts(), lg.legend_handles)}


def image_colours(ax) -> set[tuple]:
    img = np.asarray(ax.images[0].get_array())[..., :3]
    return {tuple(c) for c in np.round(img.reshape(-1, 3), 4)} - {(1.0, 1.0, 1.0)}


def test_gantt_rows_are_units_coloured_by_phase(res, figs):
    fig = check(res.plot.gantt(), figs)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["f / a", "f / b"]
    img = ax.images[0].get_array()
    assert img.shape[0] == 2 * P.GANTT_SUBROWS
    assert (np.asarray(img)[..., :3] < 0.99).any()
    assert set(legend_colours(ax).values()) == image_colours(ax)  # the legend names exactly the colours drawn


def test_gantt_says_what_units_waited_for(scarce, figs):
    fig = check(P.plot_gantt(scarce), figs)
    ax = fig.axes[0]
    named = legend_colours(ax)
    assert "waiting for wagons" in named  # trains waited for heavy flat wagons
    assert "waiting" not in named  # no undivided "waiting" colour
    assert set(named.values()) == image_colours(ax)  # no legend colour that is not drawn, no colour unnamed
    assert named["waiting for wagons"] == tuple(np.round(to_rgba(P.CAUSE_COLORS["wagons"])[:3], 4))
    assert len(set(named.values())) == len(named)  # one colour per entry
    _, _, cells = P.gantt_cells(scarce)
    assert cells["share"].between(0, 1).all()
    assert set(cells["category"]) >= {"waiting: wagons"}


def test_waiting_splits_by_cause_from_the_blame_table(scarce):
    caused = causes.resource_causes(scarce)
    assert caused["wagons:heavy_flat"] == "wagons"
    assert caused["train_sets"] == "locomotives and crews"
    assert caused["paths@l_port_exit>"] == "train paths"
    assert caused["staging_spaces@stage"] == "staging space and beds"
    iv = P.phase_intervals(scarce)
    w = iv[iv["phase"] == "waiting"]
    per_piece = (w["t1"] - w["t0"]).groupby(w["id"]).sum()
    shares = causes.piece_causes(scarce, per_piece)
    assert shares.groupby("pid")["share"].sum().to_numpy() == pytest.approx(1.0)  # every piece's waiting, whole
    assert set(shares["pid"]) == set(per_piece[per_piece > 0].index)
    blamed = scarce.blame.groupby("pid")["wait_h"].sum()
    pid = int(blamed.idxmax())  # the piece that waited longest for wagons and locomotives
    mine = shares[shares["pid"] == pid].set_index("cause")["share"]
    booked = scarce.blame[scarce.blame["pid"] == pid].groupby("resource")["wait_h"].sum()
    whole = max(per_piece[pid], booked.sum())
    assert mine["wagons"] == pytest.approx(booked.get("wagons:heavy_flat", 0.0) / whole)
    assert mine.get("locomotives and crews", 0.0) == pytest.approx(booked.get("train_sets", 0.0) / whole)
    _, long = P.sync_matrix(scarce)
    waited = long[long["phase"] == "waiting"]["hours"].sum()
    assert waited == pytest.approx(per_piece.sum())  # splitting by cause keeps every piece-hour of waiting


def test_every_kind_of_resource_has_a_cause_and_every_cause_a_colour():
    assert set(causes.CAUSE_OF) == set(Res)
    assert set(P.CAUSE_COLORS) == set(causes.CAUSES)
    work = {P.PHASE_COLORS[p] for p in P.PHASES[:-1]}
    assert not work & set(P.CAUSE_COLORS.values())  # waiting never looks like work
    assert len(set(P.CAUSE_COLORS.values())) == len(P.CAUSE_COLORS)


def test_phases_cover_every_stage_and_gaps_are_waiting(res):
    assert set(res.moves["stage"]) <= set(P.STAGE_PHASE)
    iv = P.phase_intervals(res)
    assert set(iv["phase"]) <= set(P.PHASES)
    assert (iv["t1"] > iv["t0"]).all()
    pid = int(res.pieces.loc[res.pieces["mode"] == "rail", "pid"].iloc[0])
    mine = iv[iv["id"] == pid].sort_values("t0")
    mv = res.moves[(res.moves["kind"] == "piece") & (res.moves["id"] == pid)]
    busy = (mine["t1"] - mine["t0"]).sum()
    assert busy == pytest.approx(mv["t_end"].max() - mv["t_in"].min())  # work plus waiting spans the piece's time
    assert (mine["phase"] == "onward movement").any()
    assert (mine["phase"] == "reception").any()


def test_investments_days_saved_against_cost(figs):
    frame = pd.DataFrame({
        "name": ["baseline", "berth", "wagons", "portfolio"], "cost_eur": [0, 50e6, 20e6, 70e6],
        "saved_h_mean": [0.0, 48.0, 12.0, 60.0], "saved_h_ci95_lo": [np.nan, 24.0, -6.0, 40.0],
        "saved_h_ci95_hi": [np.nan, 72.0, 30.0, 80.0], "replications": [2] * 4,
    })
    fig = check(P.plot_investments(frame), figs)
    ax = fig.axes[0]
    assert "days" in ax.get_xlabel()
    assert "cost" in ax.get_ylabel()
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == ["portfolio  (EUR 70.0 M)", "berth  (EUR 50.0 M)", "wagons  (EUR 20.0 M)"]  # best first, cost beside
    assert {"2.5 d (95 %: 1.7 to 3.3)", "2.0 d (95 %: 1.0 to 3.0)", "0.5 d (95 %: -0.2 to 1.2)"} <= {t.get_text() for t in ax.texts}
    assert any("95 % interval" in t for t in labels(fig))


def test_investments_are_ranked_bars_with_intervals_readable_with_many(figs):
    n = 12
    rng = np.random.default_rng(3)
    saved = rng.uniform(-10, 200, n)
    frame = pd.DataFrame({
        "name": ["baseline", *(f"investment_with_a_long_name_{i}" for i in range(n)), "portfolio"],
        "cost_eur": [0.0, *rng.uniform(5e6, 9e8, n), 2e9],
        "saved_h_mean": [0.0, *saved, 260.0], "saved_h_ci95_lo": [0.0, *(saved - 20), 200.0],
        "saved_h_ci95_hi": [0.0, *(saved + 25), 320.0], "replications": [3] * (n + 2),
    })
    fig = check(P.plot_investments(frame), figs)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_height() > 0]
    assert len(bars) == n + 1  # one bar per investment and the portfolio; not the baseline
    order = sorted(bars, key=lambda p: p.get_y())  # top to bottom (the y axis runs downwards)
    widths = [p.get_width() for p in order]
    assert widths == sorted(widths, reverse=True)  # best first
    assert widths[0] == pytest.approx(260 / 24)  # in days
    (errs,) = [c for c in ax.containers if type(c).__name__ == "ErrorbarContainer"]
    segs = errs.lines[2][0].get_segments()
    assert len(segs) == n + 1  # one whisker per bar
    spans = sorted((round(s[0][1], 6), s[0][0], s[1][0]) for s in segs)  # (y, lo, hi) top to bottom
    ranked = P.investment_ranking(frame)
    assert np.array([(lo, hi) for _, lo, hi in spans]) == pytest.approx(ranked[["lo", "hi"]].to_numpy() / 24)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ticks = [t.get_window_extent(renderer) for t in ax.get_yticklabels()]
    assert not any(a.overlaps(b) for a, b in itertools.combinations(ticks, 2))  # names do not pile up
    whole = fig.bbox
    for t in [*ax.texts, *ax.get_yticklabels(), ax.title]:  # nothing cut at the figure's edge
        box = t.get_window_extent(renderer)
        assert inside(box, whole), t.get_text()


def test_accessor_one_call_each_and_nothing_left_in_pyplot(res, figs):
    before = set(plt.get_fignums())
    for name in ("map", "congestion", "throughput", "closure", "gantt"):
        figs.append(getattr(res.plot, name)())
        assert isinstance(figs[-1], Figure)
    assert set(plt.get_fignums()) == before  # no GUI backend, no figures kept open by pyplot
    assert "map" in repr(res.plot)


def test_save_all_and_cli_plots(res, scenario_file, tmp_path):
    written = P.save_all(res, tmp_path / "pngs")
    assert {p.name for p in written} == {"map_load.png", "map_utilization.png", "congestion.png", "throughput.png",
                                         "closure.png", "gantt.png"}
    for p in written:
        img = plt.imread(p)[::4, ::4, :3]
        assert img.shape[0] > 50
        assert img.std() > 0.05
        assert (img.min(axis=2) < 0.9).mean() > 0.01
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the CLI's progress bar and runner may warn about terminals
        r = CliRunner().invoke(app, ["run", str(scenario_file), "--out", str(tmp_path / "cli"), "--plots",
                                     "--replications", "2"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "cli" / "rep_000" / "gantt.png").exists()
    assert (tmp_path / "cli" / "closure.png").exists()
    r = CliRunner().invoke(app, ["run", str(scenario_file), "--plots"])
    assert r.exit_code == 2
    assert "--out" in r.output
