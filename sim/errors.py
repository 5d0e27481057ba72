"""Input problems: each names the file, the field and the value, so a user can fix it in one go."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
        text = f"{self.severity}: {self.file}: {self.field} = {self.value!r}: {self.message}"
        return " ".join(part.strip() for part in text.splitlines())


class InputError(Exception):
    """Raised with every problem found in one input, so they can be fixed together."""

    def __init__(self, problems: list[Problem]):
        self.problems = [p for p in problems if p.severity == "error"] or list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
