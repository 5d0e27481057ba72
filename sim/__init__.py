"""Allied troop enablement through Belgium: reception, staging and onward movement (RSOM) as a SimPy model
driven by a networkx graph of the Belgian network.

One import for notebooks and scripts, `import sim as rsom`:

    plan = rsom.load("belgium_two_brigades")           # a built-in scenario by name, or a scenario file
    runs = rsom.run(plan, replications=5)               # Replications: a list of Results, one line as repr
    runs.summary_frame()                                # one row per replication (DataFrame, h)
    more = rsom.variant(plan, add={"pools.wagons.heavy_flat": 40}, name="40 more heavy flats")
    rsom.compare_plans({"baseline": plan, "more wagons": more}, replications=5)
    rsom.compare(plan, ["rail_wagons"])                 # investments against the baseline, per euro
    rsom.bound(plan)                                    # the analytic lower bound on closure
    base, ranked = rsom.sensitivity(plan)               # assumption groups ranked by their effect on closure
    rsom.plot_tornado(base, ranked)
    rsom.plot_closure({"baseline": runs, "more wagons": rsom.run(more, replications=5)})

`compare` and `bound` are functions here; their modules stay importable as `from sim.compare import ...` and
`from sim.bound import ...`. The plot functions load matplotlib on first use."""

from __future__ import annotations

import gc
import os
import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any

# The package's imports (pandas, networkx, pydantic models...) make a few hundred thousand objects that live as
# long as the process; the cyclic collector scans them again and again while they are made, and again in every
# later full collection. In a command's own process (`rsom`, `python -m sim.cli`) the collector is paused for
# the imports and what they made is then frozen (gc.freeze: never scanned again, as before a fork), which takes
# about 0.1-0.2 s off every command's start-up. A program that imports the package (a notebook, a test) keeps
# its collector as it is: freezing would keep its own garbage of that moment for good.
_collecting = gc.isenabled()
_command = bool(getattr(sys, "argv", None)) and os.path.basename(sys.argv[0]) in ("rsom", "-m")
if _command:
    gc.disable()
try:
    from .bound import BoundReport
    from .bound import closure_bound as bound
    from .compare import available_investments, compare, compare_plans
    from .errors import InputError, Problem
    from .paths import builtin_scenarios
    from .plan import Plan, load, load_plan
    from .results import Replications, Results
    from .runner import aggregate, run, run_replication, run_to_precision
    from .sensitivity import sensitivity
    from .variants import variant
    from .version import __version__
finally:
    if _command and _collecting:
        gc.freeze()
        gc.enable()

if TYPE_CHECKING:
    from .plots import plot_closure, plot_congestion, plot_gantt, plot_investments, plot_map, plot_throughput
    from .sensitivity import plot_tornado

_PLOTS = ("plot_closure", "plot_congestion", "plot_gantt", "plot_investments", "plot_map", "plot_throughput")
_SENSITIVITY_PLOTS = ("plot_tornado",)

__all__ = ["BoundReport", "InputError", "Plan", "Problem", "Replications", "Results", "__version__", "aggregate",
           "available_investments", "bound", "builtin_scenarios", "compare", "compare_plans", "load", "load_plan", "plot_closure",
           "plot_congestion", "plot_gantt", "plot_investments", "plot_map", "plot_throughput", "plot_tornado", "run",
           "run_replication", "run_to_precision", "sensitivity", "variant"]


def __getattr__(name: str) -> Any:
    """The plot functions, from sim.plots when first asked for (importing matplotlib costs start-up time that
    the command line's runs without plots need not pay)."""
    if name in _PLOTS:
        return getattr(import_module(".plots", __name__), name)
    if name in _SENSITIVITY_PLOTS:
        return getattr(import_module(".sensitivity", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PLOTS) | set(_SENSITIVITY_PLOTS))
