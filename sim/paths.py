"""Where the built-in networks and scenarios live, in a source checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError, Problem, suggest

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


def builtin_scenarios() -> dict[str, Path]:
    """The scenarios that come with the package, by name: every file in the built-in scenarios folder by its
    stem (belgium_two_brigades), and `starter`, the commented one-force scenario `rsom init` writes."""
    out = {p.stem: p for p in sorted(scenarios_dir().glob("*.yaml"))}
    out.setdefault("starter", _PKG / "data" / "starter.yaml")
    return out


def find_scenario(scenario: Path | str | None = None) -> Path:
    """The scenario file a user means, as an absolute path: a file (relative to the current folder, or
    absolute), else the name of a built-in scenario (with or without .yaml), else the built-in scenario when
    none is given. Raises InputError naming the built-in scenarios when it is neither, so that a notebook
    started outside the repository gets a name it can use instead of a path that only works there."""
    if scenario is None:
        return builtin_scenario()
    path = Path(scenario).expanduser()
    if path.is_file():
        return path.resolve()
    named = builtin_scenarios()
    stem = path.name.removesuffix(".yaml").removesuffix(".yml")
    if str(scenario) in (stem, path.name) and stem in named:
        return named[stem]
    hint = suggest(stem, named) or f"valid: {', '.join(sorted(named))}"
    raise InputError([Problem(str(scenario), "(file)", str(scenario),
                              f"scenario file not found (looked in {Path.cwd()}) and no built-in scenario of that name; "
                              f"built-in scenarios by name: {hint}")])
