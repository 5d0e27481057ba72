"""The exercise console in headless Chromium: load the page, move the time slider, inject, decide on a
branch, and see the branch appear in the comparison; the page loads nothing from the internet."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
from netkit import scenario, tiny_network, write_scenario
from test_report import BROWSER

playwright = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.skipif(
    BROWSER is None and not os.environ.get("CI"),
    reason="Chromium is not installed (apt-get install -y chromium); .ci/run installs it, and under CI this test runs",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def console(tmp_path):
    from werkzeug.serving import make_server

    from sim.console import make_app

    net = tiny_network(tmp_path / "net")
    ex = write_scenario(tmp_path / "ex.yaml", scenario(net, start="2027-02-01T00:00", horizon_h=400,
                                                         exercise={"now": "C+0"}))
    port = _free_port()
    server = make_server("127.0.0.1", port, make_app(ex))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/", ex
    server.shutdown()


def test_console_advance_inject_decide_and_compare_branches(console, tmp_path):
    url, ex = console
    browser_path = BROWSER or shutil.which("chromium")
    outside: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(url) else None)
        page.goto(url)
        page.wait_for_function("document.querySelectorAll('#words li').length > 0")
        assert "C+0" in page.inner_text("#when")
        page.wait_for_function("document.getElementById('map').complete && document.getElementById('map').naturalWidth > 0")
        # move the clock to 6 h and see the situation then
        page.eval_on_selector("#slider", "s => { s.value = 6; s.dispatchEvent(new Event('change')); }")
        page.wait_for_function("document.getElementById('when').textContent.includes('06:00')")
        page.click("#advance")
        page.wait_for_function("document.getElementById('title').textContent.includes('clock 6')")
        # inject an incident at the clock, then a decision on a new branch
        page.fill("#inject [name=target]", "l_port_exit")
        page.fill("#inject [name=duration_h]", "48")
        page.click("#inject button")
        page.wait_for_function("document.getElementById('log').textContent.includes('sabotage:l_port_exit@6')")
        page.select_option("#decide [name=kind]", "reserve")
        page.fill("#decide [name=branch]", "more_hets")
        page.fill("#decide [name=pool]", "hets")
        page.fill("#decide [name=count]", "10")
        page.click("#decide button")
        page.wait_for_function("[...document.querySelectorAll('#branch option')].some(o => o.value === 'more_hets')")
        # a bad inject is refused with the field named, and the file keeps what it had
        page.fill("#inject [name=target]", "nowhere")
        page.click("#inject button")
        page.wait_for_function("document.getElementById('error').textContent.includes('exercise.injects[1].target')")
        page.click("#compare")
        page.wait_for_function("document.getElementById('branches').textContent.includes('more_hets')", timeout=60_000)
        text = page.inner_text("#branches")
        page.screenshot(path=str(tmp_path / "console.png"), full_page=True)
        browser.close()
    for course in ("as planned", "as played", "more_hets"):
        assert course in text
    assert "nowhere" not in Path(ex).read_text()
    assert outside == []
    if os.environ.get("RSOM_KEEP_SCREENSHOTS"):
        shutil.copy(tmp_path / "console.png", Path(os.environ["RSOM_KEEP_SCREENSHOTS"]) / "console.png")
