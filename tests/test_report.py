"""The exercise report: one self-contained HTML file, rendered in headless Chromium, not blank, showing its
key figures. Under CI (CI set) Chromium must be there; elsewhere the browser tests skip without it."""

import os
import re
import shutil
import subprocess
import tempfile
from html import unescape

import matplotlib

matplotlib.use("Agg")
import matplotlib.image as mpimg
import numpy as np
import pytest
from netkit import scenario, tiny_network, write_scenario
from typer.testing import CliRunner

from sim import aggregate, load_plan, run
from sim.bound import closure_bound
from sim.cli import app
from sim.report import render
from sim.results import format_hours as fmt_h

INVESTMENTS = [{"name": "second_berth", "cost_eur": 50e6,
                "changes": [{"table": "seaports", "key": "port", "attribute": "berths", "op": "add", "value": 1}]}]


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


BROWSER = chromium()
needs_browser = pytest.mark.skipif(
    BROWSER is None and not os.environ.get("CI"),
    reason="Chromium is not installed (apt-get install -y chromium); .ci/run installs it, and under CI this test runs",
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    """The report of a small scenario with two replications and one investment compared, via the CLI."""
    d = tmp_path_factory.mktemp("report")
    net = tiny_network(d / "net")
    data = scenario(net, templates={"t": [{"unit": "a", "personnel": 20, "wheeled": 120, "tracked": 20}]},
                    custom_investments=INVESTMENTS, times={"discharge": "exponential"})
    data["forces"][0]["ships"] = [{"port": "port", "at_h": 0}] * 2
    path = write_scenario(d / "s.yaml", data)
    r = CliRunner().invoke(app, ["report", str(path), "--out", str(d / "out"), "--replications", "2",
                                 "--investments", "second_berth"])
    assert r.exit_code == 0, r.output
    html = d / "out" / "report.html"
    assert html.exists()
    assert str(html) in r.output.replace("\n", "")
    plan = load_plan(path)
    summary = aggregate([x.summary() for x in run(plan, replications=2)])
    return html, summary, closure_bound(plan).as_dict()


def browser(*args: str) -> subprocess.CompletedProcess:
    assert BROWSER is not None, "CI is set but Chromium is not installed (.ci/run installs it with apt)"
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=180,
                              check=False)


def text_of(dom: str) -> str:
    body = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", dom, flags=re.S | re.I)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body)))


def test_report_is_self_contained(report):
    html = report[0].read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "<iframe" not in html.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//|file:)""", html, re.I)
    assert "url(" not in html  # no external fonts or images from CSS either
    imgs = re.findall(r'<img[^>]+src="data:image/png;base64,', html)
    assert len(imgs) >= 7  # two maps, congestion, timeline, closure, throughput, investments
    for section in ("Key figures", "Scenario", "Map", "Top bottlenecks", "Timeline", "Investments"):
        assert f"<h2>{section}</h2>" in html


def test_render_without_investments_leaves_the_section_out(report):
    html_path, _, _ = report
    folder = html_path.parent.parent
    res = run(load_plan(folder / "s.yaml"), replications=1)
    html = render(res, {"bound_h": None})
    assert "<h2>Investments</h2>" not in html
    assert "<h2>Map</h2>" in html
    assert fmt_h(res[0].summary()["closure_h"]) in html
    assert fmt_h(None) == "not closed"
    assert fmt_h(49.0) == "49.0 h (2.0 d)"


@needs_browser
def test_report_renders_in_chromium_with_its_key_figures(report):
    html, summary, bound = report
    r = browser("--dump-dom", html.resolve().as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    text = text_of(r.stdout)
    assert "Exercise report: tiny" in text
    assert fmt_h(summary["closure_h"]) in text  # overall closure (mean of the replications)
    assert fmt_h(bound["bound_h"]) in text  # the analytic bound
    b = summary["brigades"]["f"]
    assert fmt_h(b["closure_50_h"]) in text
    assert fmt_h(b["closure_90_h"]) in text
    p = summary["pieces"]
    assert f"{p['delivered']:,.0f} / {p['planned']:,.0f}" in text  # pieces accounting
    assert summary["bottlenecks"][0]["resource"] in text  # the top bottleneck
    assert "second_berth" in text
    assert "pieces/day" in text


@needs_browser
def test_report_screenshot_is_not_blank(report, tmp_path):
    html = report[0]
    shot = tmp_path / "shot.png"
    r = browser(f"--screenshot={shot}", "--window-size=1280,2000", "--hide-scrollbars", html.resolve().as_uri())
    assert r.returncode == 0, r.stderr[-2000:]
    assert shot.exists(), r.stderr[-2000:]
    img = mpimg.imread(shot)[..., :3]
    assert img.shape[:2] == (2000, 1280)
    colours = np.unique((img[::5, ::5] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert len(colours) > 50  # text, the header bar, cards, tables and plots
    non_white = (img.min(axis=2) < 0.95).mean()
    assert non_white > 0.10, f"only {non_white:.1%} of the page is not white"
    assert (img[:40, :, 2] > img[:40, :, 0]).mean() > 0.9  # the dark blue header bar is at the top
