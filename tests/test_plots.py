"""Every plot from a small run: produced without warnings, with a title, axis labels with units and a legend,
and closed after each test. Plus the numbers behind the pictures (link loads, throughput, phases)."""

import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from netkit import scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim import load_plan, run
from sim import plots as P
from sim.cli import app

pytestmark = pytest.mark.filterwarnings("error")  # any warning while plotting fails the test
UNIT = re.compile(r"\(.+\)")


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
            assert UNIT.search(ax.get_ylabel()), f"y label without a unit: {ax.get_ylabel()!r}"
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
    assert "load" in ax.get_title()
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
    busiest = stats.loc[stats["uses"] > 0, "resource"].head(3).tolist()
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_title(loc="left")]
    assert len(titles) == 3
    for i, name in enumerate(busiest):
        assert titles[i].startswith(f"{i + 1}. {name}")
    assert "queue length (requests waiting)" in labels(fig)
    assert all(ax.get_ylabel() for ax in fig.axes)  # queue (left) and utilisation (right) on every panel


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


def test_gantt_rows_are_units_coloured_by_phase(res, figs):
    fig = check(res.plot.gantt(), figs)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["f / a", "f / b"]
    assert labels(fig) == list(P.PHASES)
    img = ax.images[0].get_array()
    assert img.shape[0] == 2
    assert (np.asarray(img)[..., :3] < 0.99).any()


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
    assert ax.get_xlabel() == "cost (EUR M)"
    assert "days" in ax.get_ylabel()
    assert {"berth", "wagons", "portfolio"} <= {t.get_text() for t in ax.texts}
    assert any("95 % CI" in t for t in labels(fig))


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
