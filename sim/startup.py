"""What the command line's own process (`rsom ...`, `python -m sim.cli ...`) does while it starts, and nothing
else does: the cyclic collector is paused while the package imports, and what the imports made is then frozen
(gc.freeze: never scanned again, as before a fork). The imports (networkx, pydantic models, rich...) make a few
hundred thousand objects that live as long as the process; the collector would scan them again and again while
they are made and in every later full collection. This takes about 0.1 s off every command's start-up.

A program that imports the package (a notebook, a test, a script) keeps its collector as it is: freezing would
keep its own garbage of that moment for good."""

from __future__ import annotations

import gc
import os
import sys

_state = {"paused": False}  # whether begin() paused the collector


def is_command() -> bool:
    """Whether this process is the command line (the `rsom` script, or `python -m sim.cli`), whose module calls
    settled() once its imports are done."""
    argv = list(getattr(sys, "orig_argv", None) or [])
    if "-m" in argv[:-1]:
        return argv[argv.index("-m") + 1] == "sim.cli"
    return bool(getattr(sys, "argv", None)) and os.path.basename(sys.argv[0]) == "rsom"


def begin() -> None:
    """At the package's import: in the command line's process, pause the collector."""
    if is_command() and gc.isenabled():
        gc.disable()
        _state["paused"] = True


def settled() -> None:
    """Once the command line's module has imported what it needs: freeze what the imports made and resume the
    collector (only when begin() paused it)."""
    if _state["paused"]:
        gc.freeze()
        gc.enable()
        _state["paused"] = False
