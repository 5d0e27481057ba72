"""Progress on the commands that take a while (sim/progress.py): shown to a person at a terminal, never in
output that is piped, captured or asked for as JSON."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from netkit import scenario, tiny_network, write_scenario
from rich.console import Console
from typer.testing import CliRunner

from sim.cli import app
from sim.progress import bar, status, wanted

ROOT = Path(__file__).resolve().parent.parent
# what rich draws for a bar and a spinner: the bar's lines, its percentage, the spinner's frames
DRAWN = ("━", "╸", "╺", "%", "⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏")

runner = CliRunner()


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return self.tty


def test_progress_is_wanted_only_at_a_terminal_and_never_for_json() -> None:
    tty, pipe = _Stream(True), _Stream(False)
    assert wanted(streams=(tty, tty))
    assert not wanted(as_json=True, streams=(tty, tty))  # --json: one object on stdout, nothing else drawn
    assert not wanted(streams=(pipe, tty))  # stdout piped or redirected
    assert not wanted(streams=(tty, pipe))  # stderr redirected
    closed = _Stream(True)
    closed.close()
    assert not wanted(streams=(closed, tty))  # a closed stream is no terminal
    assert not wanted(streams=(object(), tty))  # nor is a stream without isatty


def test_the_helpers_draw_only_when_shown() -> None:
    shown = io.StringIO()
    con = Console(file=shown, force_terminal=True, width=80)
    with bar(True, "replications", 10, console=con) as tell:
        for k in range(10):
            tell(k + 1, 10)
    with status(True, "reading", console=con):
        time.sleep(0.2)
    assert "replications" in shown.getvalue()
    hidden = io.StringIO()
    con = Console(file=hidden, force_terminal=True, width=80)
    with bar(False, "replications", 10, console=con) as tell:
        tell(5, 10)  # a Tell that does nothing
    with status(False, "reading", console=con):
        pass
    assert hidden.getvalue() == ""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("progress")
    return write_scenario(folder / "s.yaml", scenario(tiny_network(folder / "net"), start="2027-02-01T00:00",
                                                        horizon_h=500, replications=2))


def _invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def _undrawn(text: str) -> None:
    assert not [c for c in DRAWN if c in text], text


def test_commands_print_no_progress_when_not_at_a_terminal(tiny: Path, tmp_path: Path) -> None:
    code, out, err = _invoke("run", str(tiny), "--json")
    assert code == 0, err
    summary = json.loads(out)  # exactly one JSON object
    assert summary["replications"] == 2
    _undrawn(err)
    for args in (["run", str(tiny), "--out", str(tmp_path / "out")], ["validate", str(tiny)],
                 ["deployment-list", str(tiny), "-o", str(tmp_path / "list.csv")], ["replay", str(tmp_path / "out")],
                 ["list", "ports"]):
        code, out, err = _invoke(*args)
        assert code == 0, (args, out, err)
        _undrawn(err)  # (progress is drawn on stderr only; stdout's tables have lines of their own)
    code, out, err = _invoke("replay", str(tmp_path / "out"), "--json")
    assert code == 0, err
    assert json.loads(out)["replications"] == 2
    _undrawn(err)


def _at_a_terminal(args: list[str], stdout_tty: bool = True) -> tuple[str, str]:
    """Run `rsom ARGS` with standard error (and standard output unless `stdout_tty` is false) on a
    pseudo-terminal; what the terminal showed, and standard output when it was a pipe."""
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", *args], cwd=ROOT, stdin=child, stderr=child,
                            stdout=child if stdout_tty else subprocess.PIPE, env=env)
    os.close(child)
    shown = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        elif proc.poll() is not None:
            break
    piped = ""
    if proc.stdout is not None:
        with proc.stdout:
            piped = proc.stdout.read().decode()
    assert proc.wait(timeout=60) == 0, shown.decode(errors="replace")
    os.close(main)
    return shown.decode(errors="replace"), piped


def test_a_terminal_sees_progress_and_json_stays_clean(tiny: Path) -> None:
    shown, _ = _at_a_terminal(["run", str(tiny)])
    assert "Reading s.yaml and its network" in shown
    assert "━" in shown  # the bar over the replications
    shown, _ = _at_a_terminal(["run", str(tiny), "--json"])
    _undrawn(shown)
    assert json.loads(shown)["replications"] == 2
    shown, piped = _at_a_terminal(["run", str(tiny)], stdout_tty=False)  # stdout redirected: no bar on stderr
    _undrawn(shown)
    assert "Closure" in piped
