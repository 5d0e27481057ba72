"""Allied troop enablement through Belgium: reception, staging and onward movement (RSOM) as a SimPy model
driven by a networkx graph of the Belgian network."""

from __future__ import annotations

from .errors import InputError, Problem
from .plan import Plan, load_plan
from .runner import aggregate, run, run_replication
from .version import __version__

__all__ = ["InputError", "Plan", "Problem", "__version__", "aggregate", "load_plan", "run", "run_replication"]
