"""Allied troop enablement through Belgium: reception, staging and onward movement (RSOM) as a SimPy model
driven by a networkx graph of the Belgian network."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("belgium-rsom")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.1.0"

from .errors import InputError, Problem  # noqa: E402
from .plan import Plan, load_plan  # noqa: E402
from .runner import aggregate, run, run_replication  # noqa: E402

__all__ = ["InputError", "Problem", "Plan", "load_plan", "run", "run_replication", "aggregate", "__version__"]
