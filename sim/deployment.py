"""Deployment lists: a force's units as unit lines (as in NATO and US deployment plans), read from and written
to CSV or Excel, checked against the network, and a built-in force written out as a list so planners start
from something.

A list has one row per unit line; its columns are the fields of `scenario.UnitLine` (uln, force, unit, nation,
personnel, equipment, pod, mode, ead, lad, rdd, destination, priority, critical). Equipment is written
"type=count;type=count" with the types of `rsom list equipment`. Dates are ISO (YYYY-MM-DD). A scenario names
a list with `deployment_list: FILE`; reading the scenario reads the list into `deployment`, so a saved result
carries its list and replays without the file."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

if TYPE_CHECKING:
    from .plan import Plan

from .errors import Problem, suggest
from .ids import PIECE_CLASSES
from .scenario import Scenario, UnitLine, parse_equipment

COLUMNS = tuple(name for name in UnitLine.model_fields if name != "row")  # a list file's columns, in order
REQUIRED = tuple(name for name in COLUMNS if UnitLine.model_fields[name].is_required())
__all__ = ["COLUMNS", "check_lines", "parse_equipment", "read_list", "write_list"]
NONE = "none"  # `critical`: nothing of the line is critical (a personnel line, say)


def format_equipment(pieces: Iterable[tuple[str, int]]) -> str:
    """The list's equipment text of (type, count) pairs, in their order; types with no piece are left out."""
    return ";".join(f"{name}={n}" for name, n in pieces if n)


def critical_tokens(text: str) -> list[str]:
    """The names in a line's `critical` cell ("type;class"), in order; [] when empty."""
    return [t.strip() for t in str(text or "").split(";") if t.strip()]


# ---- reading and writing ---------------------------------------------------------------------------------
def _rows(path: Path, label: str, problems: list[Problem]) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """Header and (line number, cells) of a CSV or Excel (.xlsx, first sheet) file, cells as text."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            sheet = book.worksheets[0]
            raw = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
            book.close()
        else:
            with path.open(newline="", encoding="utf-8-sig") as fh:
                raw = list(csv.reader(fh))
    except FileNotFoundError:
        problems.append(Problem(label, "(file)", str(path), "deployment list not found"))
        return None
    except IsADirectoryError:
        problems.append(Problem(label, "(file)", str(path), "deployment list is a folder, not a file"))
        return None
    except Exception as exc:  # openpyxl raises its own errors on a file that is not a workbook
        problems.append(Problem(label, "(file)", str(path), f"cannot read the deployment list: {exc}"))
        return None
    if not raw:
        problems.append(Problem(label, "(header)", "", "file is empty"))
        return None
    header = [h.strip() for h in raw[0]]
    while header and not header[-1]:  # Excel sheets often end in empty columns
        header.pop()
    return header, [(k, cells) for k, cells in enumerate(raw[1:], start=2)]


def _cell_text(value: Any) -> str:
    """An Excel cell as the text a CSV cell would hold: dates as ISO dates, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_list(path: Path, label: str | None = None) -> tuple[list[UnitLine], list[Problem]]:
    """The unit lines of a list file and every problem with its header, rows and cells (each naming the file,
    the line and the column). Rows with a problem are left out of the lines, so any problem must stop a run."""
    name = label or str(path)
    problems: list[Problem] = []
    read = _rows(path, name, problems)
    if read is None:
        return [], problems
    header, rows = read
    problems += [Problem(name, "(header)", h, f"column appears {header.count(h)} times; keep one")
                 for h in sorted(set(header)) if header.count(h) > 1]
    problems += [Problem(name, "(header)", h, "unknown column; " + (suggest(h, COLUMNS) or f"columns: {list(COLUMNS)}"))
                 for h in header if h not in COLUMNS]
    problems += [Problem(name, "(header)", c, "required column is missing") for c in REQUIRED if c not in header]
    if problems:
        return [], problems
    lines: list[UnitLine] = []
    for lineno, raw in rows:
        cells = [c.strip() for c in raw[:len(header)]] + [""] * max(0, len(header) - len(raw))
        if not any(cells) and not any(c.strip() for c in raw[len(header):]):
            continue
        extra = [c for c in raw[len(header):] if c.strip()]
        if extra:
            problems.append(Problem(name, f"line {lineno}", ",".join(raw), f"has {len(raw)} cells, header has "
                                                                           f"{len(header)}"))
            continue
        data = {h: c for h, c in zip(header, cells, strict=True) if c != ""}
        uln = data.get("uln", "")
        try:
            lines.append(UnitLine.model_validate({**data, "row": lineno}))
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(x) for x in err["loc"]) or "(row)"
                value = data.get(field) if err["type"] != "missing" else None
                msg = "required value is empty" if err["type"] == "missing" else err["msg"]
                problems.append(Problem(name, f"line {lineno} ({uln}) {field}", value, msg.removeprefix("Value error, ")))
    return lines, problems


def inline(s: Scenario, file: str) -> tuple[Scenario, list[Problem]]:
    """The scenario with its deployment list file (relative to the scenario file) read into `deployment`, so
    that the scenario as written, and a saved result, hold the lines themselves; with the problems of the file
    (its good lines are kept, so that their own problems are found in the same pass)."""
    if s.deployment_list is None:
        return s, []
    if s.deployment:
        return s, [Problem(file, "deployment", f"{len(s.deployment)} lines",
                           "give the unit lines in a file (deployment_list) or in the scenario, not both")]
    path = Path(file).parent / s.deployment_list
    lines, problems = read_list(path, str(path))
    return s.model_copy(update={"deployment": lines, "deployment_list": None, "deployment_from": str(path)}), problems


def _cells(line: UnitLine) -> list[object]:
    """A line's cells in COLUMNS order: dates as dates, empty values as None."""
    out: list[object] = []
    for c in COLUMNS:
        v = getattr(line, c)
        out.append(None if v is None or v == "" else v)
    return out


def write_list(lines: list[UnitLine], path: Path) -> None:
    """Write unit lines as a list file: CSV, or Excel (.xlsx) with dates as dates. Reading it back gives the
    same lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "deployment_list"
        sheet.append(list(COLUMNS))
        for line in lines:
            sheet.append(_cells(line))
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
        book.save(path)
        return
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        for line in lines:
            w.writerow(["" if v is None else (v.isoformat() if isinstance(v, date) else v) for v in _cells(line)])


# ---- checks against the scenario and the network ----------------------------------------------------------
def where(s: Scenario, i: int, line: UnitLine, field: str) -> tuple[str, str]:
    """(file, field) naming a line's cell: the list file's line and column, or `deployment[i].field` in the
    scenario."""
    if s.deployment_from and line.row is not None:
        return s.deployment_from, f"line {line.row} ({line.uln}) {field}"
    return "", f"deployment[{i}].{field}"


Finding = tuple[str, object, str]  # (field, value, message) of one line's problem


def mode_of(pod: str, ports: Iterable[str], fields: Iterable[str]) -> str:
    """A line's lift mode from its pod: sea at a sea port, air at an airfield, land elsewhere (a railhead or a
    staging area: a unit at its home station or a prepositioned stock)."""
    return "sea" if pod in set(ports) else "air" if pod in set(fields) else "land"


_KIND = {"sea": "a sea port", "air": "an airfield", "land": "a railhead or staging area"}


def _line_findings(line: UnitLine, ports: set[str], fields: set[str], depots: set[str], nodes: set[str],
                   exits: Iterable[str], types: set[str]) -> list[Finding]:
    """What is wrong with one line on its own: its pod, mode, personnel by sea, equipment and critical names,
    dates, destination, or a line that moves nothing."""
    out: list[Finding] = []
    pods = ports | fields | depots
    if line.pod not in pods:
        out.append(("pod", line.pod, "unknown sea port, airfield, railhead or staging area; "
                    + (suggest(line.pod, pods) or "`rsom list ports` and `rsom list airfields` list them")))
    else:
        mode = mode_of(line.pod, ports, fields)
        if line.mode is not None and line.mode != mode:
            out.append(("mode", line.mode, f"pod {line.pod} is {_KIND[mode]}: mode {mode}"))
        if mode == "sea" and line.personnel:
            out.append(("personnel", line.personnel, "personnel come by air: give them a line with an airfield as "
                                                     f"pod (pod {line.pod} is a sea port)"))
    pieces = parse_equipment(line.equipment)  # its syntax was checked when the line was read
    out += [("equipment", name, "unknown equipment type; " + (suggest(name, types) or "`rsom list equipment` lists them"))
            for name, _ in pieces if name not in types]
    out += [("critical", name, "not an equipment type, a piece class or 'none'; "
             + (suggest(name, types | {NONE}) or "`rsom list equipment` lists them"))
            for name in critical_tokens(line.critical) if name not in types | {NONE}]
    if not line.personnel and not any(n for _, n in pieces):
        out.append(("equipment", line.equipment, "the line moves nothing: give personnel or equipment"))
    if line.lad is not None and line.lad < line.ead:
        out.append(("lad", line.lad, f"latest arrival date before the earliest ({line.ead.isoformat()})"))
    if line.rdd is not None and line.rdd < line.ead:
        out.append(("rdd", line.rdd, f"required delivery date before the earliest arrival date ({line.ead.isoformat()})"))
    if line.destination and line.destination not in nodes:
        out.append(("destination", line.destination, "unknown node; "
                    + (suggest(line.destination, exits) or "`rsom list exits` lists them")))
    return out


def check_lines(s: Scenario, file: str, seaports: Iterable[str], airfields: Iterable[str], nodes: Iterable[str],
                exits: Iterable[str], equipment: Mapping[str, Any], depots: Iterable[str] = ()) -> list[Problem]:
    """Every problem of the scenario's unit lines at once: a ULN twice, an unknown force, pod, destination or
    equipment type, a mode that does not match the pod, personnel by sea, LAD or RDD before the EAD, a unit
    sent to two destinations, a line that moves nothing; a force without a template must have lines, and a
    force with one must not."""
    ports, fields, known = set(seaports), set(airfields), set(nodes)
    types = set(equipment) | set(PIECE_CLASSES)
    exits = list(exits)
    forces = {f.id: f for f in s.forces}
    out: list[Problem] = []
    if s.deployment and s.start is None:
        out.append(Problem(file, "start", None, "a deployment list has dates: give the scenario's start "
                                                "(start: YYYY-MM-DDTHH:MM)"))
    first: dict[str, tuple[int, UnitLine]] = {}
    destination: dict[tuple[str, str], UnitLine] = {}  # (force, unit) -> the first line naming its destination
    for i, line in enumerate(s.deployment):
        found = _line_findings(line, ports, fields, set(depots), known, exits, types)
        if line.uln in first:
            j, earlier = first[line.uln]
            found.append(("uln", line.uln, f"unit line given twice (first at {where(s, j, earlier, 'uln')[1]})"))
        first.setdefault(line.uln, (i, line))
        force = forces.get(line.force)
        if force is None:
            found.append(("force", line.force, "unknown force; " + (suggest(line.force, forces) or "no force in the scenario")))
        elif force.template is not None:
            found.append(("force", line.force, f"force {line.force} has a template ({force.template}); its units come "
                                               "from the template: take `template` out of the force to use the list"))
        seen = destination.setdefault((line.force, line.unit), line) if line.destination else line
        if seen.destination != line.destination:
            found.append(("destination", line.destination, f"unit {line.unit} goes to {seen.destination} on line "
                          f"{seen.uln}: a unit has one destination (make two units to send parts to two places)"))
        for field, value, message in found:
            f, at = where(s, i, line, field)
            out.append(Problem(f or file, at, value, message))
    listed = {line.force for line in s.deployment}
    out += [Problem(file, f"forces[{j}].template", None, f"force {f.id} has no template and no lines in the deployment "
                                                       "list: give it a template or lines")
            for j, f in enumerate(s.forces) if f.template is None and f.id not in listed]
    return out


def start_of(s: Scenario) -> datetime:
    """The scenario's start (t = 0); a list is only compiled once check_lines found a start."""
    if s.start is None:
        raise ValueError("a deployment list needs the scenario's start")
    return s.start


def day_start_h(d: date, start: datetime) -> float:
    """Hours from the start to the beginning of a day (negative for a day before the start)."""
    t = datetime.combine(d, datetime.min.time(), tzinfo=start.tzinfo)
    return (t - start).total_seconds() / 3600.0


def day_end_h(d: date, start: datetime) -> float:
    """Hours from the start to the end of a day (the next midnight)."""
    return day_start_h(d + timedelta(days=1), start)


# ---- a scenario's forces as a list ------------------------------------------------------------------------
def lines_of(plan: Plan) -> list[UnitLine]:
    """The scenario's forces as deployment list lines: a force given by template becomes, per unit, one line
    per sea port its pieces arrive at and one per airfield its persons (and airlifted pieces) land at, with
    EAD and LAD the days of the first and last call or flight that brings them, and the force's RDD (the
    priority is left to the force's); a listed force keeps its lines. Reading the list back into a scenario whose forces keep their
    ship calls and flights gives the same pieces on the same calls, in the same order."""
    s = plan.scenario
    start = start_of(s)
    out: list[UnitLine] = []
    by_pid = {pid: (sp.port, sp.at_h) for sp in plan.ships for pid in sp.pids}
    by_pid |= {pid: (fp.airfield, fp.at_h) for fp in plan.flights for pid in fp.pids}
    persons: dict[tuple[str, str, str], list[tuple[float, int]]] = {}
    for fp in plan.flights:
        for unit, n in fp.parties:
            persons.setdefault((fp.force, unit, fp.airfield), []).append((fp.at_h, n))
    for f in s.forces:
        if f.template is None:
            out += [line for line in s.deployment if line.force == f.id]
            continue
        rdd = f.rdd or (None if f.rdd_h is None else (start + timedelta(hours=f.rdd_h - 1e-6)).date())
        pieces: dict[tuple[str, str], list[tuple[float, str]]] = {}  # (unit, pod) -> (arrival h, equipment)
        for p in plan.pieces:
            if p.force == f.id and not p.flow:
                pod, t = by_pid[p.pid]
                pieces.setdefault((p.unit, pod), []).append((t, p.equipment))
        units = list(dict.fromkeys(p.unit for p in plan.pieces if p.force == f.id and not p.flow))
        units += [u for (force, u) in plan.units if force == f.id and u not in units]
        for n, unit in enumerate(units, start=1):
            pods = sorted({pod for (u, pod) in pieces if u == unit} | {a for (force, u, a) in persons
                                                                       if force == f.id and u == unit},
                          key=lambda pod: (pod not in plan.network.seaports.index, pod))
            for pod in pods:
                arr = pieces.get((unit, pod), [])
                pax = persons.get((f.id, unit, pod), [])
                times = [t for t, _ in arr] + [t for t, _ in pax]
                counts: dict[str, int] = {}
                for _, eq in arr:
                    counts[eq] = counts.get(eq, 0) + 1
                sea = pod in plan.network.seaports.index
                out.append(UnitLine(
                    uln=f"{f.id}-{n:02d}-{'sea' if sea else 'air'}", force=f.id, unit=unit,
                    personnel=sum(k for _, k in pax), equipment=format_equipment(counts.items()),
                    pod=pod, mode="sea" if sea else "air", ead=(start + timedelta(hours=min(times))).date(),
                    lad=(start + timedelta(hours=max(times))).date(), rdd=rdd))  # priority: the force's
    return out

