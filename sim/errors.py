"""Input problems: each names the file, the field and the value, so a user can fix it in one go."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn

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
    severity: str = "error"  # "error" blocks a run; "warning" is reported by `rsom validate`; "note" (see skipped)

    def __str__(self) -> str:
        """One line, whatever the message (a YAML parser's message may span lines): the command line prints
        one line per problem, each starting with its severity (a note names no field: it says what was not
        checked)."""
        if self.severity == "note":
            text = f"note: {self.file}: {self.message}"  # what was not checked (see skipped)
        else:
            text = f"{self.severity}: {self.file}: {self.field} = {_shown(self.value)}: {self.message}"
        return " ".join(part.strip() for part in text.splitlines())


def skipped(file: str, *what: str) -> Problem:
    """A note that checks were not run because the errors reported with it stop them (a later stage needs what
    the failed one makes): the user then knows that more problems may show once those are fixed."""
    return Problem(file, "", what, f"not checked: {'; '.join(what)}. Fix the errors above first, then check again",
                   "note")


class InputError(Exception):
    """Raised with every problem found in one input, so they can be fixed together; `notes` say which checks
    those problems kept from running (they are not problems themselves, and `problems` holds none)."""

    def __init__(self, problems: list[Problem], notes: list[Problem] | None = None):
        given = [p for p in problems if p.severity != "note"]  # notes among them (e.g. `reported` sent back
        self.problems = [p for p in given if p.severity == "error"] or given  # by a worker) stay notes
        self.notes = _merged([*(notes or []), *(p for p in problems if p.severity == "note")])
        super().__init__("\n".join(str(p) for p in self.reported))

    @property
    def reported(self) -> list[Problem]:
        """What the command line prints: every problem, then the notes on what was not checked."""
        return [*self.problems, *self.notes]


def fail(problems: list[Problem]) -> NoReturn:
    """End a command on bad input: each problem on its own line on stderr (file, field and value), exit code 2.
    Shared by `rsom` and `rsom exercise`."""
    import typer  # the command line's; the model never calls this

    for p in problems:
        typer.echo(str(p), err=True)
    raise typer.Exit(2)


def _merged(notes: list[Problem]) -> list[Problem]:
    """One note per file: the checks that several stages could not run, in the order the stages stopped."""
    what: dict[str, list[str]] = {}
    for n in notes:
        what.setdefault(n.file, []).extend(n.value if isinstance(n.value, tuple) else [n.message])
    return [skipped(file, *parts) for file, parts in what.items()]
