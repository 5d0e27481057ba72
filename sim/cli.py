"""The `rsom` command: run a scenario, or validate one and its network; describe the scenario file
(schema), list what a scenario can name (list) and write a starter scenario (init)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path
from typing import Any, Optional, cast

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import output, startup
from .dates import Calendar, format_hours
from .defaults import resolve_run
from .errors import InputError, Problem, fail
from .output import OutputError
from .paths import builtin_scenario
from .plan import NOTHING_RANDOM, Plan, load_plan
from .plancache import cached_bound, keep_routes
from .progress import bar, status, wanted
from .runner import aggregate, run_replication, run_summary
from .scenario import MAX_REPLICATIONS, SEED_MAX, read_scenario
from .story import bottleneck_story
from .tables_io import FORMATS, Format

startup.settled()  # the imports done: what they made frozen, the collector running again (sim/startup.py)

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Reception, staging and onward movement of allied forces through Belgium.")



@contextmanager
def _writing() -> Iterator[None]:
    """An output that cannot be written (a file where a folder should be, no permission, a full disk) ends the
    command with one line naming the path, and exit code 1."""
    try:
        yield
    except OutputError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None


def _compare_files(files: list[Path], investments: list[str], replications: int | None,
                   seed: int | None) -> Any:
    """Scenario files side by side (compare.compare_plans), each named by its file name, the first the baseline;
    investments go in the files, not on the command line."""
    from .compare import compare_plans

    if investments and investments != ["all"]:
        raise InputError([Problem("(command line)", "--investments", ",".join(investments),
                                  "comparing scenario files: give each file its investments")])
    stems = [f.stem for f in files]
    labels = [f.stem if stems.count(f.stem) == 1 else str(f) for f in files]
    if len(set(labels)) < len(labels):
        raise InputError([Problem("(command line)", "SCENARIO", str(f), "given twice") for f in files
                          if labels.count(str(f)) > 1][:1])
    problems: list[Problem] = []
    plans = {}
    for label, f in zip(labels, files, strict=True):
        try:
            plans[label] = load_plan(f)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    return compare_plans(plans, replications, seed)


def _date_option(option: str, text: str | None) -> date | None:
    """An ISO date given on the command line; one error line and exit 2 when it does not parse."""
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail([Problem("(command line)", option, text, "not a date: give YYYY-MM-DD")])


def _bounded(option: str, low: int, high: int) -> Callable[[Optional[int]], Optional[int]]:
    """A typer callback keeping an integer option within the scenario's own bounds for it (sim/scenario.py
    gives the reasons); outside them, one error line and exit 2, like every other input problem."""

    def check(value: Optional[int]) -> Optional[int]:
        if value is not None and not low <= value <= high:
            fail([Problem("(command line)", option, value, f"must lie between {low:,} and {high:,}")])
        return value

    return check


_check_seed = _bounded("--seed", 0, SEED_MAX)
_check_replications = _bounded("--replications", 1, MAX_REPLICATIONS)




def _scenario_path(scenario: Optional[Path]) -> Path:
    return scenario if scenario is not None else builtin_scenario()


def _load(path: Path, show: bool, cached: bool = False) -> Plan:
    """The compiled plan of a scenario file, with a spinner while it and its network are read (a few seconds
    for the built-in one); its problems end the command, printed once the spinner is gone. `cached`: read
    from the cache of compiled plans when the same inputs were compiled before (sim/plancache.py)."""
    from .plancache import load_cached

    try:
        with status(show, f"Reading {path.name} and its network ..."):
            return load_cached(path) if cached else load_plan(path)
    except InputError as exc:
        fail(exc.reported)


@app.command()
def run(
    scenario: Optional[Path] = typer.Argument(None, help="Scenario YAML (default: the built-in two-brigade scenario)"),
    seed: Optional[int] = typer.Option(None, callback=_check_seed, help="Seed (default: the scenario's)"),
    replications: Optional[int] = typer.Option(None, callback=_check_replications,
                                                help="Replications (default: the scenario's)"),
    out: Optional[Path] = typer.Option(None, help="Folder for the tables and summary.json"),
    fmt: str = typer.Option("parquet", "--format", help="Format of the tables in --out: parquet, csv (a file per "
                                                         "table) or xlsx (one Excel workbook)"),
    as_json: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout"),
    plots: bool = typer.Option(False, "--plots", help="Also write the plots as PNG files into --out"),
    precision: Optional[float] = typer.Option(None, "--precision", metavar="H", min=0.001, help=(
        "Run replications until the 95 % interval of mean closure is within +-H hours (instead of --replications)")),
    max_replications: int = typer.Option(100, "--max-replications", min=3, max=MAX_REPLICATIONS,
                                         help="Most replications --precision runs"),
) -> None:
    """Run a scenario and print its closure, throughput and bottlenecks."""
    path = _scenario_path(scenario)
    if plots and out is None:
        fail([Problem("(command line)", "--plots", "", "needs --out DIR for the PNG files")])
    if fmt not in FORMATS:
        fail([Problem("(command line)", "--format", fmt, f"unknown table format; use one of {', '.join(FORMATS)}")])
    show = wanted(as_json)
    plan = _load(path, show, cached=True)
    try:
        seed, n = resolve_run(plan.scenario, seed, replications)
    except InputError as exc:
        fail(exc.reported)
    if precision is not None and replications is not None:
        fail([Problem("(command line)", "--precision", precision, "give --precision or --replications, not both")])
    with _writing():
        if out is not None:
            output.folder(out)  # before the run: a bad --out is told at once
        if precision is not None:
            summary = _run_to_precision(plan, seed, precision, max_replications, out, plots, cast(Format, fmt), show)
        else:
            summary = _run(plan, seed, n, out, plots, cast(Format, fmt), show)
    keep_routes(plan)  # the next run of this plan finds its routes in the cache
    if plan.scenario_as_written is not None and plan.scenario_as_written.exercise is not None:
        from .tabletop import effects

        try:  # what each inject cost and each decision saved, against the same course without it
            found = effects(path, n, seed, course=plan)
        except InputError as exc:
            fail(exc.reported)
        summary["injects"] = [e for e in found if e["kind"] == "inject"]
        summary["decisions"] = [e for e in found if e["kind"] == "decision"]
    if as_json:
        typer.echo(json.dumps(summary))
        return
    _print_summary(summary, out)


def _run_to_precision(plan: Plan, seed: int, half_width_h: float, cap: int, out: Optional[Path], plots: bool,
                      fmt: Format, show: bool = False) -> dict:
    """Replications until closure is known to +-half_width_h (runner.run_to_precision), each saved to
    out/rep_NNN; the summary carries `precision` (target, half-width reached, replications, why it stopped)."""
    from .runner import run_to_precision

    def save(r: int, res: Any) -> None:
        if out is not None:
            res.save(out / f"rep_{r:03d}", fmt)
            if plots:
                res.plot.save_all(out / f"rep_{r:03d}")

    with Console(stderr=True).status(f"replications until closure is within +-{half_width_h:g} h",
                                     spinner="dots") if show else nullcontext():
        results, reached = run_to_precision(plan, half_width_h, cap, seed, save)
    summary = {**aggregate([r.summary() for r in results]), **cached_bound(plan), "precision": reached}
    if out is not None:
        output.write_text(output.folder(out) / "summary.json",
                          json.dumps({**summary, **results[0].provenance(), "replications": len(results)}, indent=2))
    return summary


def _run(plan: Plan, seed: int, n: int, out: Optional[Path], plots: bool, fmt: Format = "parquet",
         show: bool = False) -> dict:
    """Run the replications (with a progress bar in simulated hours when `show`); write each one's tables (and
    plots) and the summary. Without `out` no table is built: each summary comes straight from the run's records
    (runner.run_summary, equal to the tables' to the last digit), which is what keeps `rsom run` from importing
    pandas."""
    horizon = plan.scenario.horizon_h
    results = []
    summaries = []
    with bar(show, plan.scenario.name, n * horizon) as tell:
        for r in range(n):
            def shown(t: float, r: int = r) -> None:
                tell(r * horizon + t, n * horizon)

            if out is None:  # nothing to save: the summary straight from the run's records, without the tables
                summaries.append(run_summary(plan, seed, r, shown))
                tell((r + 1) * horizon, n * horizon)
                continue
            res = run_replication(plan, seed, r, shown)
            tell((r + 1) * horizon, n * horizon)
            results.append(res)
            summaries.append(res.summary())
            res.save(out if n == 1 else out / f"rep_{r:03d}", fmt)
            if plots:
                res.plot.save_all(out if n == 1 else out / f"rep_{r:03d}")
    summary = aggregate(summaries)
    summary.update(cached_bound(plan))
    if out is not None and n > 1:
        output.write_text(output.folder(out) / "summary.json", json.dumps({**summary, **results[0].provenance()}, indent=2))
        if plots:
            from .plots import plot_closure, plot_throughput, save_png

            save_png(plot_closure(results), out / "closure.png")
            save_png(plot_throughput(results), out / "throughput.png")
    return summary


def _print_summary(s: dict, out: Optional[Path]) -> None:
    con = Console(width=max(Console().width, 110))  # wide enough that no figure is clipped when piped
    reps = s.get("replications", 1)
    con.print(f"[bold]{s['scenario']}[/bold]  seed {s['seed']}, {reps} replication(s), version {s['version']}")
    cal = Calendar.of({"start": s.get("start_date"), "c_day": s.get("c_day")})
    when = f", {cal.words(s['closure_h'])}" if cal is not None and s["closure_h"] is not None else ""
    con.print(f"Closure: [bold]{format_hours(s['closure_h'])}[/bold]{when}" + (" (mean)" if reps > 1 else ""))
    if s.get("identical_replications"):
        con.print(f"warning: all {reps} replications gave the same figures: {NOTHING_RANDOM}", markup=False,
                  highlight=False)
    p = s.get("precision")
    if p:
        half = "-" if p["half_width_h"] is None else f"+-{p['half_width_h']:,.1f} h"
        con.print(f"Precision: closure known to {half} (95 %) after {p['replications']} replications, target "
                  f"+-{p['target_h']:g} h: {p['why']}", markup=False, highlight=False)
    if cal is not None:
        con.print(f"Start {cal.start:%a %d %b %Y %H:%M}, C-day {cal.c_day:%a %d %b %Y}")
    story = bottleneck_story(s, s) if s.get("bound_by") is not None else None  # the run's summary holds the bound
    if story is not None:  # bound_h is None when a cut has no capacity: shown as 'not closed'
        con.print(story.bound_line(), markup=False, highlight=False)
    t = Table(title="Closure by brigade", caption="50 % and 90 % of its pieces, its last piece; combat power: "
                                                  "all its units closed (critical equipment and personnel in)")
    for c in ("brigade", "50 %", "90 %", "closure", "combat power", "containers"):
        t.add_column(c, justify="right" if c != "brigade" else "left")
    for b, v in s["brigades"].items():
        t.add_row(b, format_hours(v["closure_50_h"]), format_hours(v["closure_90_h"]), format_hours(v["closure_h"]),
                  format_hours(v.get("combat_power_closure_h")), format_hours(v.get("containers_closure_h")))
    con.print(t)
    _print_units(con, s, cal)
    for kind in ("pieces", "personnel"):
        v = s[kind]
        con.print(f"{kind.capitalize()}: entered {v['entered']:,}, delivered {v['delivered']:,}, in system {v['in_system']:,}, not arrived {v['not_arrived']:,}")
    con.print("Throughput (pieces/day): " + ", ".join(f"{m} {x:,.1f}" for m, x in s["throughput_per_day"].items()))
    b = Table(title="Top bottlenecks", caption="waited: requests that waited for it; held: pieces it held back; mean: "
                                              "mean wait, piece-hours per piece held; waits of the last 10 % of each "
                                              "brigade's pieces (they set its closure), of all pieces and of persons; "
                                              "mean and peak use of capacity")
    for c in ("resource", "waited", "held", "mean", "last 10 %", "piece-h", "person-h", "use", "peak"):
        if c == "resource":
            b.add_column(c, min_width=28, overflow="fold")
        else:
            b.add_column(c, justify="right", no_wrap=True)
    for r in s["bottlenecks"]:
        said = Text(r.get("words") or r["resource"])
        if said.plain != r["resource"]:
            said.append("\n" + r["resource"], style="dim")
        waits = r.get("waits", 0)
        b.add_row(said, f"{_count(waits)} {r.get('waiters', '')}" if waits else "-", _count(r.get("pieces_held", 0)),
                  f"{r['mean_wait_h']:,.1f} h" if r.get("pieces_held") else "-", f"{r['closure_wait_h']:,.0f}", f"{r['wait_h']:,.0f}",
                  f"{r['person_wait_h']:,.0f}", f"{r['utilization']:.0%}", f"{r['peak_utilization']:.0%}")
    con.print(b)
    if story is not None:
        for line in story.lines()[1:]:
            con.print(line, markup=False, highlight=False)
    for w in s.get("waiting", []):
        since = f" since {format_hours(w['since_h'])}" if "since_h" in w else ""
        con.print(f"  still waiting: {w['count']:,} {w['kind']} at {w['node']}: {w['status']}{since}")
    _print_friction(con, s)
    if out is not None:
        con.print(f"Tables and summary.json written to {out}")


def _print_units(con: Console, s: dict, cal: Calendar | None = None) -> None:
    """The units, late ones first: when each closed (h, and C+day and date with a calendar), against its RDD,
    and what it waited for longest."""
    units = s.get("units")
    if not units:
        return
    dated = any(u["rdd_h"] is not None for u in units)
    t = Table(title=f"Units ({s.get('late_units', 0)} late)" if dated else "Units",
              caption="closed: critical equipment and personnel across the exit (h); waited longest for: the "
                      "resource its pieces waited for longest (piece-hours)")
    cols = ["brigade", "unit", "closed h", *(["closed"] if cal is not None else []),
            *(["RDD", "late h", ""] if dated else []), "waited longest for"]
    for c in cols:
        right = c in ("closed h", "late h")
        t.add_column(c, justify="right" if right else "left", no_wrap=c != "waited longest for",
                     overflow="fold" if c == "waited longest for" else "ellipsis")

    def hours(x: float | None) -> str:
        return "-" if x is None else f"{x:,.1f}"

    for u in units:
        row = [u["force"], u["unit"], hours(u["closed_h"])]
        if cal is not None:
            row.append(cal.words(u["closed_h"]) or "not closed")
        if dated:
            rdd = "-" if u["rdd_h"] is None else (f"{cal.at(u['rdd_h'] - 1e-6):%a %d %b}" if cal is not None
                                                  else hours(u["rdd_h"]))
            row += [rdd, hours(u["late_h"]) if u["late_h"] else "-", u["timing"]]
        row.append(f"{u['waited_longest_for']} ({u['waited_h']:,.0f})" if u["waited_longest_for"] else "-")
        t.add_row(*row)
    con.print(t)


def _count(x: float) -> str:
    """A count of a summary: whole in one replication, a mean with one decimal over several."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def _print_friction(con: Console, s: dict) -> None:
    """Disruptions and their cost, civil traffic displaced, sustainment per direction, accommodation shortfalls."""
    note = f" (replication {s['friction_from_replication']})" if "friction_from_replication" in s else ""
    if s.get("disruptions"):
        t = Table(title="Disruptions" + note, caption="delay: piece-hours waited because of it")
        for c in ("disruption", "target", "from", "to", "capacity", "delay", "last 10 %", "diverted", "re-routed"):
            t.add_column(c, justify="left" if c in ("disruption", "target") else "right")
        for d in s["disruptions"]:
            t.add_row(d["name"], d["target"], f"{d['start_h']:,.1f} h", f"{d['end_h']:,.1f} h", f"{d['capacity_factor']:.0%}",
                      f"{d['delay_piece_h']:,.0f}", f"{d['closure_delay_piece_h']:,.0f}", str(d["diverted"]), str(d["rerouted"]))
        con.print(t)
    if s.get("civil_displaced"):
        con.print("Civil traffic displaced" + note + ": " + ", ".join(f"{v:,.1f} {k}" for k, v in s["civil_displaced"].items()))
    for d, v in (s.get("sustainment") or {}).items():
        con.print(f"Sustainment {d}{note}: {v['delivered']:,} of {v['pieces']:,} pieces delivered ({v['pieces_per_day']:,.1f}/day), "
                  f"{v['persons_delivered']:,} persons ({v['persons_per_day']:,.1f}/day)")
    for site, v in (s.get("accommodation") or {}).items():
        con.print(f"Accommodation at {site}{note}: {v['required']:,} to house, short by up to {v['max_short']:,} "
                  f"on {v['days_short']} day(s)")
    if s.get("injects") or s.get("decisions"):
        t = Table(title="Exercise: each inject and decision against the same course without it",
                  caption="added: closure hours, units late and hours late it added (negative: it saved them)")
        for c in ("", "name", "when", "closure added (h)", "units late added", "hours late added"):
            t.add_column(c, justify="left" if c in ("", "name", "when") else "right")
        for e in [*s.get("injects", []), *s.get("decisions", [])]:
            def f(x: Any) -> str:
                return "-" if x is None else f"{x:+,.1f}"
            t.add_row(e["kind"], e["name"], e["when"] or f"{e['at_h']:,.1f} h", f(e["closure_h_added"]),
                      f(e["units_late_added"]), f(e["hours_late_added"]))
        con.print(t)


@app.command()
def replay(
    saved: Path = typer.Argument(..., help="Folder written by `rsom run --out` (or its summary.json)"),
    as_json: bool = typer.Option(False, "--json", help="Print the summary of the new run as one JSON object"),
) -> None:
    """Run a saved result again (its scenario as written, its seed and replications) and check that the
    summary is the same; exit 1 when it is not."""
    from .replay import differences, read_saved
    from .replay import replay as run_again

    try:
        before = json.loads(json.dumps(read_saved(saved)))
        again = json.loads(json.dumps(run_again(saved, progress=wanted(as_json))))
    except InputError as exc:
        fail(exc.reported)
    diff = differences(before, again)
    if as_json:
        typer.echo(json.dumps(again))
    elif not diff:
        typer.echo(f"same summary as saved: {saved}")
    if diff:
        typer.echo(f"differs from the saved summary in: {', '.join(diff)}", err=True)
        raise typer.Exit(1)


@app.command()
def report(
    scenario: Optional[Path] = typer.Argument(None, help="Scenario YAML (default: the built-in scenario)"),
    out: Path = typer.Option(Path("report"), help="Folder for report.html"),
    seed: Optional[int] = typer.Option(None, callback=_check_seed, help="Seed (default: the scenario's)"),
    replications: Optional[int] = typer.Option(None, callback=_check_replications,
                                                help="Replications (default: the scenario's)"),
    investments: str = typer.Option("", help="Compare these investments too (comma-separated, or all)"),
    sensitivity: bool = typer.Option(False, "--sensitivity", help="Open with what closure rests on: each assumption "
                                                                   "group moved low and high (rsom sensitivity)"),
) -> None:
    """Write an exercise report: one self-contained HTML file with key figures, map, bottlenecks and timeline."""
    from .report import write_report

    names = [i.strip() for i in investments.split(",") if i.strip()]
    with _writing():
        output.folder(out)  # before the runs: a bad --out is told at once
        try:
            path = write_report(_scenario_path(scenario), out, seed, replications, names or None, progress=wanted(),
                                sensitivity=sensitivity)
        except InputError as exc:
            fail(exc.reported)
    typer.echo(f"Report written to {path}")


@app.command()
def validate(scenario: Path = typer.Argument(..., help="Scenario YAML to check")) -> None:
    """List every problem in a scenario and its network (exit 2 if any is an error): those of the scenario
    file, the network tables, the deployment list, the names it uses and its investments together; a `note:`
    after them says what they kept from being checked."""
    show = wanted()
    plan = _load(scenario, show)
    with status(show, "Computing the bound from the capacities ..."):
        from .bound import closure_bound

        bound = closure_bound(plan)
    warnings = list(plan.warnings)
    if not bound.closes and bound.binding is not None:  # the capacities alone say it: no run needed to find out
        warnings.append(Problem(str(scenario), "(capacities)", ", ".join(bound.binding.cut),
                                f"nothing can cross this cut ({bound.binding.name}): the forces cannot close", "warning"))
    for w in warnings:
        typer.echo(str(w), err=True)
    typer.echo(f"ok: {scenario}: {len(plan.pieces):,} pieces, {plan.personnel_total:,} persons, "
               f"{len(plan.ships)} ship calls, {len(plan.flights)} flights"
               + (f", {len(plan.land)} arrivals inland" if plan.land else "") + f", {len(warnings)} warnings")
    if bound.binding is not None:
        typer.echo(bottleneck_story(None, bound.as_dict()).bound_line())


@app.command()
def compare(
    scenarios: Optional[list[Path]] = typer.Argument(None, help=(
        "Scenario YAML (default: the built-in scenario); two or more: the scenarios compared with each other (an "
        "operational option against the plan, say), the first as the baseline")),
    investments: str = typer.Option("all", help="Comma-separated investment names, or all"),
    replications: Optional[int] = typer.Option(None, callback=_check_replications,
                                                help="Replications per variant (default: the scenario's)"),
    seed: Optional[int] = typer.Option(None, callback=_check_seed, help="Seed (default: the scenario's)"),
    workers: Optional[int] = typer.Option(None, min=1, help="Local processes (default: one per core)"),
    scheduler: Optional[str] = typer.Option(None, help="Dask scheduler address, e.g. tcp://HOST:8786"),
    as_json: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout"),
    as_of: Optional[str] = typer.Option(None, "--as-of", metavar="DATE", help="Judge the investments in service on "
                                        "this date (ISO; default: the scenario's as_of, else all)"),
    precision: Optional[float] = typer.Option(None, "--precision", metavar="H", min=0.001, help=(
        "As many replications as the baseline needs for its mean closure to be within +-H hours (95 %)")),
    max_replications: int = typer.Option(100, "--max-replications", min=3, max=MAX_REPLICATIONS,
                                         help="Most replications --precision chooses"),
    scenario_set: Optional[str] = typer.Option(None, "--scenarios", metavar="all|FILE,FILE", help=(
        "Score every investment on each scenario of a set: all (the cases beside the built-in scenario, "
        "experiments/scenarios) or comma-separated files; one table per scenario and overall")),
) -> None:
    """Baseline, each investment alone and the portfolio: closure, hours saved, days saved per EUR 100 M."""
    from .compare import as_json as compare_json
    from .compare import available_investments, left_out
    from .compare import compare as run_compare

    names = [i.strip() for i in investments.split(",") if i.strip()]
    when = _date_option("--as-of", as_of)
    files = list(scenarios or [])
    path = _scenario_path(files[0] if files else None)
    out_of_service: list[tuple[str, int]] = []
    if precision is not None and replications is not None:
        fail([Problem("(command line)", "--precision", precision, "give --precision or --replications, not both")])
    try:
        if precision is not None:
            from .runner import run_to_precision

            _, reached = run_to_precision(load_plan(path), precision, max_replications, seed)
            replications = reached["replications"]
            typer.echo(f"{replications} replications: the baseline's closure is known to "
                       f"+-{reached['half_width_h'] if reached['half_width_h'] is not None else '-'} h ({reached['why']})",
                       err=True)
        if scenario_set is not None:
            from .compare import compare_set
            from .compare import scenario_set as the_set

            chosen = the_set() if scenario_set == "all" else [Path(x.strip()) for x in scenario_set.split(",") if x.strip()]
            frame = compare_set(chosen, names, replications, seed, workers, scheduler, progress=wanted(as_json),
                                as_of=when)
        elif len(files) > 1:
            frame = _compare_files(files, names, replications, seed)
        else:
            frame = run_compare(path, names, replications, seed, workers, scheduler,
                                progress=wanted(as_json), as_of=when)
            out_of_service = left_out(available_investments(path), when or read_scenario(path).as_of) \
                if not names or names == ["all"] else []
    except InputError as exc:
        fail(exc.reported)
    if out_of_service:
        typer.echo(f"Not in service on {when or read_scenario(path).as_of}: "
                   + ", ".join(f"{n} ({y})" for n, y in out_of_service), err=True)
    shared = frame.attrs.get("shared_runs", 0)
    if shared:  # variants whose plan is the same as an earlier one's: their figures are that variant's, exactly
        typer.echo(f"{shared:,} runs not made again: their figures are those of a variant with the same plan",
                   err=True)
    if as_json:
        typer.echo(json.dumps(compare_json(frame)))
        return
    con = Console()
    what = "Scenarios compared, against the first" if len(files) > 1 else "Investments compared"
    t = Table(title=f"{what} ({int(frame['replications'].iloc[0])} replications, seed {frame['seed'].iloc[0]}, "
                    "common random numbers)", caption="each figure over its 95 % interval; days saved per EUR 100 M",
              padding=(0, 1))

    def interval(lo: float, hi: float) -> str:
        return "" if math.isnan(lo) else f"{lo:,.1f}\N{EN DASH}{hi:,.1f}"

    if "scenario" in frame:  # each scenario's first row carries its name above the variant's
        first = frame["scenario"].ne(frame["scenario"].shift()).tolist()
        frame = frame.assign(name=[f"{sc.upper() if sc == 'overall' else sc}:\n{n}" if head else n
                                   for sc, n, head in zip(frame["scenario"], frame["name"], first, strict=True)])
    rows = [(r["name"], f"{r['cost_eur'] / 1e6:,.1f}",
             f"{r['closure_h_mean']:,.1f}\n{interval(r['closure_h_ci95_lo'], r['closure_h_ci95_hi'])}",
             f"{r['saved_h_mean']:,.1f}\n{interval(r['saved_h_ci95_lo'], r['saved_h_ci95_hi'])}",
             "" if r["cost_eur"] == 0 else f"{r['days_saved_per_100m_eur']:,.2f}",
             "" if r.get("scenario") == "overall" else "never" if math.isnan(r["bound_h"]) else f"{r['bound_h']:,.1f}",
             str(r.get("top_bottleneck_words") or r["top_bottleneck"]))
            for _, r in frame.iterrows()]
    heads = ("variant", "EUR M", "closure h", "saved h", "days", "bound h", "top bottleneck")
    for k, c in enumerate(heads):
        if c in ("variant", "top bottleneck"):  # text folds; a figure is never cut
            t.add_column(c, overflow="fold", min_width=8)
        else:
            widest = max([len(c)] + [len(line) for row in rows for line in row[k].splitlines()])
            t.add_column(c, justify="right", no_wrap=True, min_width=widest)
    for row in rows:
        t.add_row(*row)
    con.print(t)
    if "scenario" in frame:
        con.print(_metrics_table(frame))


def _metrics_table(frame: Any) -> Table:
    """What each variant saves beside closure, per scenario of a set: combat-power closure (h), units late,
    hours late, person-nights without a bed, person-hours waiting at airfields, piece-hours of cargo at
    airfields, piece-hours waiting for disruptions; each a mean saving over its 95 % interval."""
    from .sweep.tasks import METRICS

    heads = {"combat_power_closure_h": "combat power h", "late_units": "units late", "late_h_total": "hours late",
             "person_nights_without_bed": "nights no bed", "airfield_wait_person_h": "airfield person-h",
             "airfield_cargo_piece_h": "airfield cargo piece-h", "disruption_wait_piece_h": "disrupted piece-h"}
    t = Table(title="Saved beside closure", caption="mean saving over its 95 % interval; a negative saving is a loss",
              padding=(0, 1))
    t.add_column("variant", overflow="fold", min_width=8)
    cells: list[list[str]] = []
    for _, r in frame.iterrows():
        row: list[str] = [str(r["name"])]
        for k in METRICS:
            m, lo, hi = (r.get(f"{k}_saved_mean"), r.get(f"{k}_saved_ci95_lo"), r.get(f"{k}_saved_ci95_hi"))
            if m is None or math.isnan(m):
                row.append("")
                continue
            row.append(f"{m:,.1f}" + ("" if lo is None or math.isnan(lo) else f"\n{lo:,.1f}\N{EN DASH}{hi:,.1f}"))
        cells.append(row)
    for col, key in enumerate(METRICS, start=1):
        widest = max([len(heads[key])] + [len(x) for cell in cells for x in cell[col].splitlines()])
        t.add_column(heads[key], justify="right", no_wrap=True, min_width=widest)
    for row in cells:
        t.add_row(*row)
    return t


@app.command()
def sweep(
    scenario: Optional[Path] = typer.Argument(None, help="Scenario YAML (default: the built-in scenario)"),
    param: list[str] = typer.Option([], "--param", "-p", help="NAME=V1,V2,... (repeat for a grid), e.g. pools.wagons.heavy_flat=60,120"),
    investments: str = typer.Option("", help="Investments applied to every run (comma-separated)"),
    replications: Optional[int] = typer.Option(None, callback=_check_replications,
                                                help="Replications per grid point (default: the scenario's)"),
    seed: Optional[int] = typer.Option(None, callback=_check_seed, help="Seed (default: the scenario's)"),
    out: Path = typer.Option(Path("sweep_out"), help="Folder for runs/*.json and sweep.parquet"),
    workers: Optional[int] = typer.Option(None, min=1, help="Local processes (default: one per core)"),
    scheduler: Optional[str] = typer.Option(None, help="Dask scheduler address, e.g. tcp://HOST:8786"),
) -> None:
    """Run a grid of parameter values x replications; results in one long table (Parquet)."""
    from .sweep import cli_sweep

    with _writing():
        output.folder(out)  # before the runs: a bad --out is told at once
        try:
            cli_sweep(_scenario_path(scenario), param, [i for i in investments.split(",") if i], replications, seed,
                      out, workers, scheduler, progress=wanted())
        except InputError as exc:
            fail(exc.reported)


@app.command()
def schema(
    out: Optional[Path] = typer.Option(None, "--out", help="Write the JSON Schema to this file (default: print it)"),
    markdown: Optional[Path] = typer.Option(None, "--markdown",
                                            help="Write the field reference as Markdown to this file "
                                                 "(one table per section: key, type, allowed, default, unit, meaning)"),
) -> None:
    """Print or write the JSON Schema of a scenario file: every key with its description, unit and default (from
    the typed models); with --markdown, the same as a field reference."""
    from .reference import json_text
    from .reference import markdown as reference

    with _writing():
        if out is not None:
            output.write_text(out, json_text())
            typer.echo(f"JSON Schema written to {out}")
        if markdown is not None:
            output.write_text(markdown, reference())
            typer.echo(f"Field reference written to {markdown}")
    if out is None and markdown is None:
        typer.echo(json_text(), nl=False)


@app.command("list")
def list_(
    kind: str = typer.Argument(..., metavar="KIND", help="ports, airfields, railheads, exits, corridors, templates, "
                                                         "investments, equipment or aircraft"),
    network: Optional[str] = typer.Option(None, help="Network: a folder under networks/ or a path (default: the "
                                                     "built-in scenario's network)"),
) -> None:
    """List the ids a scenario can name, with names and key capacities, as the model reads them."""
    from .listing import listing

    try:
        with status(wanted(), f"Reading the {kind} ..."):
            table = listing(kind, network, builtin_scenario())
    except InputError as exc:
        fail(exc.reported)
    Console(highlight=False).print(table)


@app.command()
def sensitivity(
    scenario: Optional[Path] = typer.Argument(None, help="Scenario YAML (default: the built-in scenario)"),
    replications: Optional[int] = typer.Option(None, callback=_check_replications,
                                                help="Replications per setting (default: the scenario's)"),
    seed: Optional[int] = typer.Option(None, callback=_check_seed, help="Seed (default: the scenario's)"),
    group: Optional[list[str]] = typer.Option(None, "--group", metavar="NAME:PARAMETER=LOW,HIGH",
                                              help="A group of your own, e.g. 'heavy flats:pools.wagons.heavy_flat=60,240' "
                                                   "(repeat for more)"),
    only_mine: bool = typer.Option(False, "--only-mine", help="Only the groups given with --group"),
    plot: Optional[Path] = typer.Option(None, help="Write the tornado chart to this PNG file"),
    as_json: bool = typer.Option(False, "--json", help="Print exactly one JSON object on stdout"),
) -> None:
    """Which assumptions decide the answer: each group moved low and high, ranked by its effect on closure."""
    from .sensitivity import GROUPS, plot_tornado, user_group
    from .sensitivity import sensitivity as run_sensitivity

    try:
        mine = [user_group(g) for g in group or []]
        plan = load_plan(_scenario_path(scenario))
        groups = mine if only_mine else [*GROUPS, *mine]
        if wanted(as_json):
            with Console(stderr=True).status("moving the assumption groups") as status:
                base, ranked = run_sensitivity(plan, groups, replications, seed,
                                               progress=lambda g: status.update(f"running {g} low and high"))
        else:
            base, ranked = run_sensitivity(plan, groups, replications, seed)
    except InputError as exc:
        fail(exc.problems)
    if plot is not None:
        from .plots import save_png

        with _writing():
            save_png(plot_tornado(base, ranked), plot)
    if as_json:
        typer.echo(json.dumps({"scenario": plan.scenario.name, "baseline_closure_h": round(base, 4),
                               "assumptions": [a.as_dict() for a in ranked]}))
        return
    t = Table(title=f"What closure rests on ({plan.scenario.name}; baseline {format_hours(base)})",
              caption="each group moved low and high, the others kept; closure h over its 95 % interval (\N{GREATER-THAN OR EQUAL TO}: "
                      "some runs did not close by the horizon); effect: high minus low, paired by replication",
              padding=(0, 1))
    for c in ("group", "low", "high", "closure low h", "closure high h", "effect h"):
        t.add_column(c, overflow="fold", justify="left" if c in ("group", "low", "high") else "right")

    def fig(m: float, ci: tuple[float, float], open_: int = 0) -> str:
        return ("\N{GREATER-THAN OR EQUAL TO}" if open_ else "") + f"{m:,.1f}" + (
            "" if math.isnan(ci[0]) else f"\n{ci[0]:,.1f}\N{EN DASH}{ci[1]:,.1f}")
    for a in ranked:
        t.add_row(a.group, a.low, a.high, fig(a.closure_low_h, a.closure_low_ci95, a.not_closed_low),
                  fig(a.closure_high_h, a.closure_high_ci95, a.not_closed_high), fig(a.effect_h, a.effect_ci95))
    Console().print(t)


@app.command("deployment-list")
def deployment_list(
    scenario: Path = typer.Argument(..., help="Scenario YAML whose forces to write as a deployment list"),
    out: Path = typer.Option(..., "--out", "-o", help="List file to write: .csv, or .xlsx for Excel"),
    force: bool = typer.Option(False, "--force", help="Overwrite OUT if it exists"),
) -> None:
    """Write a scenario's forces as a deployment list (one row per unit line) to start a plan from: per unit,
    a line per sea port and per airfield, with the days its ships and flights arrive as EAD and LAD."""
    from .deployment import lines_of, write_list

    show = wanted()
    plan = _load(scenario, show)
    if plan.scenario.start is None:
        fail([Problem(str(scenario), "start", None, "a deployment list has dates: give the scenario's start "
                                                     "(start: YYYY-MM-DDTHH:MM) to write one")])
    with _writing():
        if out.exists() and not force:
            raise output.OutputError(out, "a file of that name exists (use --force to overwrite it)")
        with status(show, f"Writing {out.name} ..."):
            lines = lines_of(plan)
            try:
                write_list(lines, out)
            except OSError as exc:
                raise output.OutputError(out, str(exc)) from None
    typer.echo(f"{len(lines)} unit lines written to {out}; name it in a scenario with `deployment_list: {out.name}` "
               "and take `template` out of its forces")


@app.command()
def init(
    file: Path = typer.Argument(Path("scenario.yaml"), help="Where to write the starter scenario"),
    force: bool = typer.Option(False, "--force", help="Overwrite FILE if it exists"),
) -> None:
    """Write a starter scenario to edit: one force, commented, valid and runnable."""
    from .reference import starter_text

    with _writing():
        if file.exists() and not force:
            raise output.OutputError(file, "a file of that name exists (use --force to overwrite it)")
        output.write_text(file, starter_text())
    typer.echo(f"Starter scenario written to {file}; check it with `rsom validate {file}`, "
               f"run it with `rsom run {file}`")


def _exercise_commands() -> None:
    from .cli_exercise import app as exercise_app

    app.add_typer(exercise_app, name="exercise")


_exercise_commands()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
