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

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from . import startup

startup.begin()  # in the command line's own process only: the collector paused while it imports

# Every public name is read from its module when first asked for (PEP 562): `rsom run` imports only what a run
# needs, not the comparison, the sensitivity study, the sweep or the plots. `import sim as rsom` stays one import.
_LAZY: dict[str, tuple[str, str]] = {
    "BoundReport": (".bound", "BoundReport"),
    "bound": (".bound", "closure_bound"),
    "available_investments": (".compare", "available_investments"),
    "compare": (".compare", "compare"),
    "compare_plans": (".compare", "compare_plans"),
    "InputError": (".errors", "InputError"),
    "Problem": (".errors", "Problem"),
    "builtin_scenarios": (".paths", "builtin_scenarios"),
    "Plan": (".plan", "Plan"),
    "load": (".plan", "load"),
    "load_plan": (".plan", "load_plan"),
    "Replications": (".results", "Replications"),
    "Results": (".results", "Results"),
    "aggregate": (".runner", "aggregate"),
    "run": (".runner", "run"),
    "run_replication": (".runner", "run_replication"),
    "run_to_precision": (".runner", "run_to_precision"),
    "sensitivity": (".sensitivity", "sensitivity"),
    "variant": (".variants", "variant"),
    "__version__": (".version", "__version__"),
    **{name: (".plots", name) for name in
       ("plot_closure", "plot_congestion", "plot_gantt", "plot_investments", "plot_map", "plot_throughput")},
    "plot_tornado": (".sensitivity", "plot_tornado"),
}

if TYPE_CHECKING:
    from .bound import BoundReport
    from .bound import closure_bound as bound
    from .compare import available_investments, compare, compare_plans
    from .errors import InputError, Problem
    from .paths import builtin_scenarios
    from .plan import Plan, load, load_plan
    from .plots import plot_closure, plot_congestion, plot_gantt, plot_investments, plot_map, plot_throughput
    from .results import Replications, Results
    from .runner import aggregate, run, run_replication, run_to_precision
    from .sensitivity import plot_tornado, sensitivity
    from .variants import variant
    from .version import __version__

__all__ = ["BoundReport", "InputError", "Plan", "Problem", "Replications", "Results", "__version__", "aggregate",
           "available_investments", "bound", "builtin_scenarios", "compare", "compare_plans", "load", "load_plan",
           "plot_closure", "plot_congestion", "plot_gantt", "plot_investments", "plot_map", "plot_throughput",
           "plot_tornado", "run", "run_replication", "run_to_precision", "sensitivity", "variant"]


def __getattr__(name: str) -> Any:
    """A public name, from its module when first asked for (importing the comparison, the sweep or matplotlib
    costs start-up time that a command which does not use them need not pay)."""
    found = _LAZY.get(name)
    if found is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(found[0], __name__), found[1])
    if found[0] != ".plots":  # kept once read; the plots stay behind the call (matplotlib loads on first use)
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(ModuleType):
    """The package's module: `bound`, `compare` and `sensitivity` are functions here, though modules of the same
    names exist. Importing such a module sets the package's attribute of that name to the module (the import
    system does so once it has run the module); here that attribute is left to the function, which __getattr__
    then reads. The modules stay importable (`from sim.compare import ...`)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and _LAZY.get(name, ("",))[0] == "." + name:
            return  # the module `sim.<name>` was imported: the package's `<name>` stays the function
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
