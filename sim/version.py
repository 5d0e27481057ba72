"""The package version: one constant, which pyproject.toml reads for the package's metadata (hatch's version
source), so the installed metadata and this module cannot disagree. A constant rather than a read of the
installed metadata through importlib.metadata, which costs every command about 20 ms of start-up."""

from __future__ import annotations

__version__ = "0.1.0"
