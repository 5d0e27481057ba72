"""The modes a piece may take: a scenario's mode rules per class, with a force's own, and the modes a rail piece
may take instead of its train."""

from __future__ import annotations

from .scenario import Force, Scenario

__all__ = ["after_rail", "mode_rules"]


def mode_rules(s: Scenario, force: Force | None = None) -> dict[str, list[str]]:
    """The modes each piece class may take, in order of preference: the scenario's, with the force's own
    rules for the classes it names."""
    out: dict[str, list[str]] = {str(c): [str(m) for m in modes] for c, modes in s.modes.items()}
    if force is not None and force.modes:
        out.update({str(c): [str(m) for m in modes] for c, modes in force.modes.items()})
    return out


def after_rail(modes: list[str]) -> list[str]:
    """The modes a rail piece may take instead of its train, in the order its rules list them: HET or road,
    after rail (a diversion around closures, or a switch after a long wait)."""
    return [m for m in modes[modes.index("rail") + 1:] if m in ("het", "road")] if "rail" in modes else []
