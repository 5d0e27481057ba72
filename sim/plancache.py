"""Compiled plans kept on disk for the command line, so that `rsom run` does not compile the same scenario again.

Compiling the built-in scenario (reading its network and tables, checking and building the plan) costs about
0.2 s of a 1.4 s run; reading the compiled plan back costs about 0.02 s. A plan is stored under a key that is
the SHA-256 of everything it is compiled from: the scenario file's YAML with every scenario it extends (as
read_data merges them), its path as given (with the working folder when that path is relative: the plan keeps
the path), the deployment list it names, every file of its network folder, the package's data tables and its
source code, the package version and the Python version. A change to any of them gives another key, so a stale
plan is never read; the least recently used entries beyond MAX_ENTRIES are removed.

The cache is the folder named by the environment variable RSOM_PLAN_CACHE, by default rsom/plans under
XDG_CACHE_HOME (~/.cache); RSOM_PLAN_CACHE=off (or 0, no, false, or empty) turns it off. Anything that goes
wrong with it (an unreadable entry, a folder that cannot be written) falls back to compiling, silently: the
cache only ever saves time. A scenario with problems is never stored (compiling it raises them each time).
Beside an entry, KEY.bound keeps the plan's analytic bound once computed (cached_bound), and KEY.routes the
routes its runs found (keep_routes)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .plan import Plan

CACHE_ENV = "RSOM_PLAN_CACHE"
OFF = ("", "0", "off", "no", "false")
MAX_ENTRIES = 32  # plans kept (about 1.5 MB each for the built-in scenario); the least recently used go first
_PKG = Path(__file__).resolve().parent


def cache_dir() -> Path | None:
    """The folder of the cache, or None when RSOM_PLAN_CACHE turns it off."""
    value = os.environ.get(CACHE_ENV)
    if value is not None:
        return None if value.strip().lower() in OFF else Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rsom" / "plans"


def _files(folder: Path, pattern: str = "*") -> list[Path]:
    return sorted(p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts)


def plan_key(path: Path) -> str | None:
    """The key of a scenario file's compiled plan: the hash of every input it is compiled from (see the module);
    None when the scenario cannot be read as a mapping (compiling it reports why)."""
    from .errors import InputError
    from .plan import network_path
    from .scenario import read_data

    try:
        data = read_data(path)
    except InputError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("network", "belgium"), str):
        return None
    h = hashlib.sha256()

    def add(label: str, content: bytes) -> None:
        h.update(f"{label}\0{len(content)}\0".encode())
        h.update(content)

    add("version", f"{__version__} {sys.version}".encode())
    add("scenario", json.dumps(data, sort_keys=True, default=str).encode())
    # the path as given, and where from when it is relative: the plan keeps it (a deployment list's `deployment_from`)
    add("file", f"{path}\0{path.resolve()}\0{'' if path.is_absolute() else os.getcwd()}".encode())
    listed = data.get("deployment_list")
    if listed:
        listing = path.parent / str(listed)
        add("deployment_list", listing.read_bytes() if listing.is_file() else b"(missing)")
    network = network_path(str(data.get("network", "belgium")), path.parent)
    add("network", str(network).encode())
    if network.is_dir():
        for f in _files(network):
            add(f"network/{f.relative_to(network)}", f.read_bytes())
    for f in [*_files(_PKG / "data"), *_files(_PKG, "*.py")]:
        add(str(f.relative_to(_PKG)), f.read_bytes())
    return h.hexdigest()


def _store(folder: Path, key: str, plan: Plan) -> None:
    """Write an entry atomically (a reader never sees half of one), then drop the oldest beyond MAX_ENTRIES."""
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder, folder / f"{key}.pickle", plan)
    entries = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in entries[MAX_ENTRIES:]:
        for f in (old, _bound_file(old), _routes_file(old)):
            with contextlib.suppress(OSError):
                f.unlink()


_KEYS: dict[int, tuple[Plan, Path]] = {}  # the cache entry each plan this process read or stored came from, by id


def _remember(plan: Plan, entry: Path) -> Plan:
    _KEYS[id(plan)] = (plan, entry)
    return plan


def _bound_file(entry: Path) -> Path:
    return entry.with_suffix(".bound")


def _routes_file(entry: Path) -> Path:
    return entry.with_suffix(".routes")


_HELD: dict[int, int] = {}  # answers each plan's router held when read from the cache, by id of the plan


def _learn_routes(plan: Plan, entry: Path) -> None:
    """Give a plan read from the cache the routes its runs found before (KEY.routes, keep_routes)."""
    try:
        with _routes_file(entry).open("rb") as fh:
            found = pickle.load(fh)
        if isinstance(found, dict):
            plan.router.learn(found)
    except Exception:  # none yet, or one that cannot be read: found again as without a cache
        pass
    _HELD[id(plan)] = plan.router.answers()


def keep_routes(plan: Plan) -> None:
    """After a run of a plan load_cached returned: keep the routes its router found beside the cache entry
    (KEY.routes), so that the next run of the same plan finds them there instead of asking networkx (which
    then need not even be imported). A route depends on the plan's graph alone, so this changes no result."""
    kept = _KEYS.get(id(plan))
    if kept is None or kept[0] is not plan or plan.router.answers() <= _HELD.get(id(plan), 0):
        return
    with contextlib.suppress(Exception):
        _write(kept[1].parent, _routes_file(kept[1]), plan.router.learned())
        _HELD[id(plan)] = plan.router.answers()


def cached_bound(plan: Plan) -> dict[str, Any]:
    """closure_bound(plan).as_dict(), for a plan load_cached returned: read from its cache entry when the bound
    was computed there before, else computed and stored beside the entry (a plan's bound depends on the plan
    alone, and computing it costs a tenth of `rsom run` on the built-in scenario)."""
    from .bound import closure_bound

    kept = _KEYS.get(id(plan))
    entry = kept[1] if kept is not None and kept[0] is plan else None
    if entry is not None:
        try:
            with _bound_file(entry).open("rb") as fh:
                found = pickle.load(fh)
            if isinstance(found, dict):
                return found
        except Exception:  # none yet, or one that cannot be read: computed as without a cache
            pass
    bound = closure_bound(plan).as_dict()
    if entry is not None:
        with contextlib.suppress(Exception):
            _write(entry.parent, _bound_file(entry), bound)
    return bound


def _write(folder: Path, target: Path, obj: object) -> None:
    """Pickle `obj` to `target` atomically (a reader never sees half of it)."""
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def load_cached(path: Path | str) -> Plan:
    """plan.load_plan(path), read from the cache when the same inputs were compiled before, and stored there
    when not. Raises InputError as load_plan does."""
    from .plan import load_plan

    path = Path(path)
    folder = cache_dir()
    try:
        key = plan_key(path) if folder is not None else None
    except OSError:
        key = None
    if folder is None or key is None:
        return load_plan(path)
    entry = folder / f"{key}.pickle"
    try:
        with entry.open("rb") as fh:
            plan = pickle.load(fh)
        with contextlib.suppress(OSError):
            os.utime(entry)  # recently used: kept longest
        _learn_routes(plan, entry)
        return _remember(plan, entry)
    except Exception:  # no entry, or one that cannot be read: compiled as without a cache
        pass
    plan = load_plan(path)
    try:
        _store(folder, key, plan)
    except Exception:  # a cache that cannot be written only costs the time it would save
        return plan
    return _remember(plan, entry)
