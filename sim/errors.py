"""Input problems: each names the file, the field and the value, so a user can fix it in one go."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

LIST_UP_TO = 12  # a field with at most this many valid values lists them all in its message


def suggest(value: object, choices: Iterable[str], listed_by: str = "") -> str:
    """What to write instead of an unknown name: the closest valid ones ("did you mean 'ghent_kluizendok'?"),
    or all of them when there are few, or the command that lists them ('' when nothing helps)."""
    names = sorted({str(c) for c in choices})
    close = difflib.get_close_matches(str(value), names, n=3, cutoff=0.6)
    if not close:  # a prefix or part of a name ("ghent" for "ghent_kluizendok")
        close = [n for n in names if str(value).lower() in n.lower()][:3]
    if close:
        return "did you mean " + " or ".join(repr(c) for c in close) + "?"
    if names and len(names) <= LIST_UP_TO:
        return "valid: " + ", ".join(names)
    return f"`{listed_by}` lists them" if listed_by else ""


def _shown(value: Any) -> str:
    """A value as the user wrote it: dates in ISO form, not as Python reprs."""
    if isinstance(value, date):
        return value.isoformat()
    return repr(value)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file."""

    file: str
    field: str
    value: Any
    message: str
    severity: str = "error"  # "error" blocks a run; "warning" is reported by `rsom validate`

    def __str__(self) -> str:
        """One line, whatever the message (a YAML parser's message may span lines): the command line prints
        one line per problem, each starting with its severity."""
        text = f"{self.severity}: {self.file}: {self.field} = {_shown(self.value)}: {self.message}"
        return " ".join(part.strip() for part in text.splitlines())


class InputError(Exception):
    """Raised with every problem found in one input, so they can be fixed together."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.severity == "error"] or list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
