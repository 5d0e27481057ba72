"""`rsom exercise`: a table-top exercise played from the command line. Every step writes the exercise file,
which is the exercise's record: `rsom run FILE` replays it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from .errors import InputError, Problem, fail

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Play a table-top exercise: start, advance, state, inject, decide, compare, log, console.")

INJECT_KINDS = "sabotage, drone, cyber, strike, weather, accident or custom"



def _state_words(path: Path, at: Optional[str], branch: Optional[str]) -> Any:
    """The situation of the exercise at `at` (default: its clock) on its course or `branch`."""
    from .exercise import at_h
    from .plan import compile_plan, resolve_network
    from .scenario import read_scenario
    from .situation import situation

    s = read_scenario(path)
    if s.exercise is None:
        raise InputError([Problem(str(path), "exercise", None, "not an exercise: start one with `rsom exercise start`")])
    if branch is not None:
        if branch not in s.exercise.branches:
            raise InputError([Problem("(command line)", "--branch", branch,
                                      f"no such branch; the exercise has: {', '.join(sorted(s.exercise.branches)) or 'none'}")])
        s = s.model_copy(update={"exercise": s.exercise.model_copy(update={"branch": branch})})
    try:
        t = at_h(at if at is not None else s.exercise.now if s.exercise else "0", s)
    except ValueError as exc:
        raise InputError([Problem("(command line)", "--at", at, str(exc))]) from None
    plan = compile_plan(s, str(path), resolve_network(s, path))
    return situation(plan, t)


@app.command()
def start(
    scenario: Path = typer.Argument(..., help="Scenario YAML the exercise is played on"),
    out: Path = typer.Option(..., "-o", "--out", help="Exercise file to write (YAML)"),
    name: Optional[str] = typer.Option(None, help="Name of the exercise (default: the scenario's, with 'exercise')"),
) -> None:
    """Start an exercise: write an exercise file that extends the scenario, its clock at C+0."""
    from .tabletop import start as begin

    try:
        begin(scenario, out, name)
    except InputError as exc:
        fail(exc.reported)
    typer.echo(f"exercise written to {out}; its clock stands at C+0")


@app.command()
def advance(
    exercise: Path = typer.Argument(..., help="Exercise file"),
    to: str = typer.Argument(..., metavar="TO", help="Where the clock goes: hours, C+day (C+3, 'C+3 06:00') or a date"),
) -> None:
    """Move the exercise clock forward and tell the state of the deployment then."""
    from .tabletop import advance as move

    try:
        move(exercise, to)
        s = _state_words(exercise, None, None)
    except InputError as exc:
        fail(exc.reported)
    for line in s.words:
        typer.echo(line)


@app.command()
def state(
    exercise: Path = typer.Argument(..., help="Exercise file"),
    at: Optional[str] = typer.Option(None, help="Time (default: the exercise clock): hours, C+day or a date"),
    branch: Optional[str] = typer.Option(None, help="Branch (default: the course played, without branches)"),
    as_json: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout"),
    out: Optional[Path] = typer.Option(None, help="Folder for the tables (pieces, persons, queues, trains, units) "
                                                  "as CSV, and the map as map.png"),
) -> None:
    """Where every unit and piece is at a time and why it waits, the queues, the trains, and the units'
    forecast against their RDD: in words, as tables and as a map."""
    from . import output

    try:
        s = _state_words(exercise, at, branch)
    except InputError as exc:
        fail(exc.reported)
    if out is not None:
        folder = output.folder(out)
        for name in ("pieces", "persons", "queues", "trains", "units"):
            output.write_text(folder / f"{name}.csv", getattr(s, name).to_csv(index=False))
        from .plots import plot_situation, save_png

        save_png(plot_situation(s), folder / "map.png")
    if as_json:
        typer.echo(json.dumps(s.as_dict()))
        return
    for line in s.words:
        typer.echo(line)
    if out is not None:
        typer.echo(f"tables and map written to {out}")


@app.command()
def inject(
    exercise: Path = typer.Argument(..., help="Exercise file"),
    kind: str = typer.Argument(..., help=f"What happens: {INJECT_KINDS}"),
    target: str = typer.Argument(..., help="What it hits: a node with a facility, a corridor or a link"),
    duration: float = typer.Option(..., "--duration", metavar="H", help="Hours closed or slowed, repair included"),
    factor: float = typer.Option(0.0, "--factor", help="Share of capacity kept meanwhile (0 = closed)"),
    at: Optional[str] = typer.Option(None, help="When (default: the exercise clock): hours, C+day or a date"),
    name: Optional[str] = typer.Option(None, help="Name in the results and the log"),
    note: str = typer.Option("", help="What the players are told"),
) -> None:
    """Inject an incident: it is written into the exercise file and played from its time."""
    from .tabletop import inject as add

    try:
        i = add(exercise, {"kind": kind, "target": target, "duration_h": duration, "capacity_factor": factor,
                           "at": at, "name": name, "note": note or None})
    except InputError as exc:
        fail(exc.reported)
    typer.echo(f"injected {i.name or i.kind} at {i.at}")


@app.command()
def decide(
    exercise: Path = typer.Argument(..., help="Exercise file"),
    kind: str = typer.Argument(..., help="priority (--unit, --priority), close (--target, --duration), reserve "
                                         "(--pool, --count, --lead), paths (--target, --count), discharge "
                                         "(--target, --factor, --lead) or mode (--unit FORCE, --class)"),
    branch: Optional[str] = typer.Option(None, help="Branch the decision is taken on (default: every branch)"),
    at: Optional[str] = typer.Option(None, help="When (default: the exercise clock): hours, C+day or a date"),
    unit: Optional[str] = typer.Option(None, help="priority: FORCE/UNIT or a force id; mode: a force id"),
    piece_class: Optional[str] = typer.Option(None, "--class", help="mode: the class of piece that leaves the railway"),
    priority: Optional[int] = typer.Option(None, help="priority: the new priority (1 first)"),
    target: Optional[str] = typer.Option(None, help="close: a corridor, link or node with a facility; paths: a rail "
                                                     "corridor or link; discharge: a sea port"),
    duration: Optional[float] = typer.Option(None, "--duration", metavar="H", help="close: hours (default: to the end)"),
    pool: Optional[str] = typer.Option(None, help="reserve: hets, buses, barges, train_sets, trucks or wagons.TYPE"),
    factor: Optional[float] = typer.Option(None, help="discharge: what the port's discharge rates are multiplied by"),
    count: Optional[int] = typer.Option(None, help="reserve: how many; paths: train paths a day added each way"),
    lead: float = typer.Option(0.0, "--lead", metavar="H", help="reserve, discharge: hours until the assets are there"),
    name: Optional[str] = typer.Option(None, help="Name in the results and the log"),
    note: str = typer.Option("", help="The staff's reasoning"),
) -> None:
    """Take a decision, on every branch or on one: it is written into the exercise file and acts from its time."""
    from .tabletop import decide as add

    try:
        d = add(exercise, {"kind": kind, "at": at, "unit": unit, "priority": priority, "target": target,
                           "duration_h": duration, "pool": pool, "count": count, "factor": factor,
                           "piece_class": piece_class,
                           "lead_h": lead if kind in ("reserve", "discharge") else None, "name": name, "note": note or None}, branch)
    except InputError as exc:
        fail(exc.reported)
    typer.echo(f"decided {d.name or d.kind} at {d.at}" + (f" on branch {branch}" if branch else ""))


@app.command()
def compare(
    exercise: Path = typer.Argument(..., help="Exercise file"),
    replications: Optional[int] = typer.Option(None, min=1, max=10_000, help="Replications (default: the scenario's)"),
    seed: Optional[int] = typer.Option(None, min=0, help="Seed (default: the scenario's)"),
    as_json: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout"),
) -> None:
    """The courses side by side: as planned, as played and each branch, on common random numbers: closure,
    days lost and hours saved against the plan with 95 % intervals, units late, hours late, disruption waits."""
    from .compare import as_json as to_json
    from .tabletop import compare_branches

    try:
        frame = compare_branches(exercise, replications, seed)
    except InputError as exc:
        fail(exc.reported)
    if as_json:
        typer.echo(json.dumps(to_json(frame)))
        return
    table = Table(title=f"{exercise.name}: the courses against the plan")
    for col in ("course", "closure (h)", "days lost", "saved (h)", "95 % interval", "units late", "hours late",
                "disruption waits (piece-h)", "top bottleneck"):
        table.add_column(col, justify="left" if col in ("course", "top bottleneck") else "right")

    def f(x: Any, d: int = 1) -> str:
        return "-" if x is None or math.isnan(float(x)) else f"{x:,.{d}f}"
    for _, r in frame.iterrows():
        table.add_row(r["name"], f(r["closure_h_mean"]), f(max(0.0, -float(r["saved_h_mean"])) / 24.0),
                      f(r["saved_h_mean"]),
                      f"{f(r['saved_h_ci95_lo'])} to {f(r['saved_h_ci95_hi'])}",
                      f(r.get("late_units_mean"), 1), f(r.get("late_h_total_mean")),
                      f(r.get("disruption_wait_piece_h_mean"), 0), str(r["top_bottleneck_words"]))
    Console(width=140).print(table)


@app.command()
def log(
    exercise: Path = typer.Argument(..., help="Exercise file"),
    out: Path = typer.Option(..., "-o", "--out", help="Log file: .csv or .xlsx"),
    replications: Optional[int] = typer.Option(None, min=1, max=10_000, help="Replications (default: the scenario's)"),
    seed: Optional[int] = typer.Option(None, min=0, help="Seed (default: the scenario's)"),
) -> None:
    """Export the exercise log: every inject and decision, its time and date, what it did, the note given, and
    what it cost or saved against its course without it."""
    from .output import OutputError
    from .tabletop import exercise_log, write_log

    if out.suffix.lower() not in (".csv", ".xlsx"):
        fail([Problem("(command line)", "--out", str(out), "the log is written as .csv or .xlsx")])
    try:
        write_log(exercise_log(exercise, replications, seed), out)
    except InputError as exc:
        fail(exc.reported)
    except OutputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    typer.echo(f"exercise log written to {out}")


@app.command()
def console(
    exercise: Path = typer.Argument(..., help="Exercise file"),
    port: int = typer.Option(8050, min=1024, max=65535, help="Port on 127.0.0.1"),
) -> None:
    """Serve the exercise console on 127.0.0.1: the map at a time, units against RDD, queues, inject and
    decide, and the branches side by side. Works offline."""
    from .console import serve

    try:
        serve(exercise, port)
    except InputError as exc:
        fail(exc.reported)
