"""Pickling some of an object's attributes as one nested pickle, read back when one of them is first used.

A compiled plan read back from the cache of compiled plans (sim/plancache.py) holds the network's tables
(pandas) and its graphs (networkx), but a run reads neither: it reads the tables' plain rows (Network.rows),
the routes found when the plan was compiled (Router), and which nodes the graph has (Plan.nodes). Nesting the
tables and graphs keeps pandas and networkx, about half of `rsom run`'s start-up, from being imported only to
unpickle objects nobody reads. The first access to a nested attribute unpickles them all, so nothing differs
for a caller but the moment of that import."""

from __future__ import annotations

import pickle
from typing import Any, ClassVar


class Nested:
    """Mixin: the attributes named in NESTED are pickled as one nested pickle and read back on first access.
    Subclasses may override prepare() to compute, before pickling, what a reader needs without them."""

    NESTED: ClassVar[tuple[str, ...]] = ()

    def prepare(self) -> None:
        """Called before the object is pickled (nothing here)."""

    def __getstate__(self) -> dict[str, Any]:
        self.prepare()
        state = dict(self.__dict__)
        nested = {k: state.pop(k) for k in self.NESTED if k in state}
        if "_nested" in state:  # read back and never opened: pickled as it came
            return state
        state["_nested"] = pickle.dumps(nested, protocol=pickle.HIGHEST_PROTOCOL)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __getattr__(self, name: str) -> Any:
        """A nested attribute of an object read back from a pickle: all of them, unpickled now."""
        nested = self.__dict__.get("_nested") if name in self.NESTED else None
        if nested is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        del self.__dict__["_nested"]
        self.__dict__.update(pickle.loads(nested))
        return self.__dict__[name]


class SortedFieldsSet:
    """Mixin for pydantic models: pickled with the names of the fields set in sorted order. pydantic keeps them
    as a set, whose order follows the process's string hashes; sorted, a pickled plan's bytes (the cache's
    entries, the twins' fingerprints) are the same in every process."""

    def __getstate__(self) -> dict[Any, Any]:
        state: dict[Any, Any] = super().__getstate__()  # type: ignore[assignment]
        state = dict(state)
        state["__pydantic_fields_set__"] = sorted(state["__pydantic_fields_set__"])
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__({**state, "__pydantic_fields_set__": set(state["__pydantic_fields_set__"])})  # type: ignore[misc]
