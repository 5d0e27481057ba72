"""Where the built-in networks and scenarios live, in a source checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def _first(*candidates: Path) -> Path:
    for c in candidates:
        if c.exists():
            return c
    return candidates[0]


def networks_dir() -> Path:
    """Folder holding one sub-folder per network (e.g. belgium)."""
    return _first(_PKG / "_bundled" / "networks", _PKG.parent / "networks")


def scenarios_dir() -> Path:
    """Folder holding the built-in scenario files."""
    return _first(_PKG / "_bundled" / "scenarios", _PKG.parent / "experiments" / "scenarios")


def builtin_scenario() -> Path:
    """The built-in two-brigade Belgian scenario."""
    return scenarios_dir() / "belgium_two_brigades.yaml"
