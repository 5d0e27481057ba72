"""The exercise report: one self-contained HTML file (inline CSS, plots as base64 PNG, no scripts, no links)
to put on the table: scenario summary, key figures, the map, the top bottlenecks, the timeline, closure
curves, congestion, throughput and, when asked for, the investments compared.

    rsom report [SCENARIO] --out DIR [--seed N] [--replications N] [--investments NAME,...]
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lazy_loader
from matplotlib.figure import Figure

from . import output, plots
from .bound import closure_bound
from .dates import Calendar, format_hours
from .defaults import resolve_run
from .plan import Plan, load_plan
from .progress import bar, status, wanted
from .results import Results
from .runner import aggregate, run
from .story import bottleneck_story

if TYPE_CHECKING:
    import pandas as pd
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

REPORT_FILE = "report.html"

CSS = """
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: #1d2733; background: #ffffff;
       margin: 0; padding: 0 0 40px 0; font-size: 14px; line-height: 1.45; }
header { background: #1f3a5f; color: #ffffff; padding: 22px 36px 18px 36px; }
header h1 { margin: 0 0 4px 0; font-size: 26px; }
header .meta { color: #cfdcec; font-size: 13px; }
main { padding: 0 36px; max-width: 1240px; }
h2 { border-bottom: 2px solid #1f3a5f; padding-bottom: 4px; margin-top: 32px; color: #1f3a5f; font-size: 20px; }
h3 { margin: 18px 0 6px 0; font-size: 15px; color: #1f3a5f; }
.cards { display: flex; flex-wrap: wrap; gap: 14px; margin: 12px 0; }
.card { border: 1px solid #c9d6e6; border-left: 6px solid #1f3a5f; border-radius: 4px; padding: 10px 16px;
        min-width: 210px; background: #f5f8fc; }
.card .label { font-size: 12px; color: #4a5a6c; text-transform: uppercase; letter-spacing: 0.04em; }
.card .value { font-size: 24px; font-weight: bold; color: #10223a; }
.card .sub { font-size: 12px; color: #4a5a6c; }
.card.warn { border-left-color: #c0392b; }
table { border-collapse: collapse; margin: 8px 0 14px 0; font-size: 13px; }
th, td { border: 1px solid #c9d6e6; padding: 4px 10px; text-align: right; }
th { background: #e6eef7; }
td.l, th.l { text-align: left; }
figure { margin: 10px 0 22px 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #dde4ec; }
figcaption { font-size: 12px; color: #4a5a6c; margin-top: 4px; }
p.note { font-size: 12px; color: #4a5a6c; }
.story { border-left: 6px solid #1f3a5f; background: #f5f8fc; padding: 4px 16px; margin: 10px 0; max-width: 1000px; }
.story p { margin: 6px 0; }
td.n { white-space: nowrap; }
span.id { font-size: 11px; color: #4a5a6c; font-family: "DejaVu Sans Mono", monospace; }
footer { padding: 20px 36px 0 36px; font-size: 12px; color: #4a5a6c; }
.brief { font-size: 15px; max-width: 1000px; }
@media print {
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  table, figure, .card, .story { break-inside: avoid; page-break-inside: avoid; }
  table { font-size: 10px; max-width: 100%; }
  th, td { padding: 2px 5px; overflow-wrap: break-word; }
  td.n { overflow-wrap: normal; }
  main { padding: 0; max-width: none; }
}
"""


# ---- formatting --------------------------------------------------------------------------------------
def _n(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def _img(fig: Figure, alt: str, dpi: int = 100) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{data}">'


def _figure(fig: Figure, caption: str, dpi: int = 100) -> str:
    return f"<figure>{_img(fig, caption, dpi)}<figcaption>{escape(caption)}</figcaption></figure>"


def _table(header: list[str], rows: list[list[Any]], left: int | set[int] = 1, nowrap: set[int] | None = None) -> str:
    """An HTML table: columns left-aligned (the first `left`, or those in the set `left`), the others right;
    columns in `nowrap` never wrap (dates and figures)."""
    lefts = set(range(left)) if isinstance(left, int) else left
    keep = nowrap or set()

    def cls(i: int) -> str:
        names = [n for n, on in (("l", i in lefts), ("n", i in keep)) if on]
        return f' class="{" ".join(names)}"' if names else ""
    h = "".join(f"<th{cls(i)}>{escape(c)}</th>" for i, c in enumerate(header))
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{escape(str(c))}</td>" for i, c in enumerate(r)) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def _card(label: str, value: str, sub: str = "", cls: str = "card") -> str:
    return (f'<div class="{cls}"><div class="label">{escape(label)}</div><div class="value">{escape(value)}</div>'
            f'<div class="sub">{escape(sub)}</div></div>')


# ---- sections ----------------------------------------------------------------------------------------
def _scenario_section(results: list[Results], plan: Plan | None) -> str:
    sd = results[0].scenario_data or {}
    out = ["<h2>Scenario</h2>"]
    if sd.get("description"):
        out.append(f"<p>{escape(str(sd['description']).strip())}</p>")
    pieces = results[0].pieces
    pax = results[0].personnel.groupby("force")["persons"].sum()
    rows = []
    for f in sd.get("forces", []):
        ships = f.get("ships") or []
        flights = f.get("flights") or []
        ports = sorted({s.get("port", "") for s in ships})
        fields = sorted({fl.get("airfield", "") for fl in flights})
        n_flights = sum(int(fl.get("count", 1) or 1) for fl in flights)
        lines = sum(1 for line in sd.get("deployment") or [] if line.get("force") == f.get("id"))
        units = f.get("template") or (f"deployment list, {lines} unit lines" if lines else "(own units)")
        rows.append([f.get("id", ""), units, f.get("staging") or "-",
                     ", ".join(f.get("exits") or []), f"{len(ships)} at {', '.join(ports)}" if ships else "-",
                     f"{n_flights} at {', '.join(fields)}" if flights else "-",
                     f"{int((pieces['force'] == f.get('id')).sum()):,}", f"{int(pax.get(f.get('id'), 0)):,}"])
    out.append("<h3>Forces</h3>")
    out.append(_table(["force", "units from", "staging", "exits", "ship calls", "flights", "pieces", "personnel"], rows,
                      left=6))
    cor = sd.get("corridors") or {}
    facts = [["network", sd.get("network", "")], ["horizon", format_hours(float(sd.get("horizon_h", 0) or 0))],
             ["investments applied", ", ".join(sd.get("investments") or []) or "none"],
             ["corridors out of service", ", ".join(cor.get("out_of_service") or []) or "none"],
             ["corridors put in service", ", ".join(cor.get("in_service") or []) or "none"],
             ["nodes out of service", ", ".join(sd.get("nodes_out_of_service") or []) or "none"]]
    out.append(_table(["setting", "value"], facts, left=2))
    if plan is not None and plan.warnings:
        out.append(f'<p class="note">{len(plan.warnings)} network value(s) carry no source; run '
                   "<code>rsom validate</code> for the list.</p>")
    return "\n".join(out)


def _when(cal: Calendar | None, h: float | None) -> str:
    """Hours with the date and C+day beside them when the scenario has a calendar."""
    return format_hours(h) + (f", {cal.words(h)}" if cal is not None and h is not None else "")


def _key_figures(summary: dict, bound: dict, n: int) -> str:
    mean = " (mean)" if n > 1 else ""
    closed = summary["closure_h"] is not None
    cal = Calendar.of({"start": summary.get("start_date"), "c_day": summary.get("c_day")})
    cards = [_card("Closure" + mean, format_hours(summary["closure_h"]),
                   "last piece or person across its exit" + (f"; {cal.words(summary['closure_h'])}"
                                                             if cal is not None and closed else ""),
                   "card" if closed else "card warn")]
    if bound.get("bound_by"):
        cards.append(_card("Lower bound (capacities)", format_hours(bound["bound_h"]),
                           bottleneck_story(summary, bound).set_by(ids=False),
                           "card" if bound.get("bound_h") is not None else "card warn"))
    p, q = summary["pieces"], summary["personnel"]
    cards.append(_card("Pieces delivered" + mean, f"{_n(p['delivered'])} / {_n(p['planned'])}",
                       f"in system {_n(p['in_system'])}, not arrived {_n(p['not_arrived'])}"))
    cards.append(_card("Personnel delivered" + mean, f"{_n(q['delivered'])} / {_n(q['planned'])}",
                       f"in system {_n(q['in_system'])}, not arrived {_n(q['not_arrived'])}"))
    total = sum(summary["throughput_per_day"].values())
    cards.append(_card("Throughput" + mean, f"{total:,.1f} pieces/day",
                       ", ".join(f"{m} {x:,.1f}" for m, x in summary["throughput_per_day"].items())))
    out = ["<h2>Key figures</h2>", '<div class="cards">' + "".join(cards) + "</div>"]
    rows = [[b, format_hours(v["closure_50_h"]), format_hours(v["closure_90_h"]), _when(cal, v["closure_h"]),
             _when(cal, v.get("combat_power_closure_h"))]
            for b, v in summary["brigades"].items()]
    out.append("<h3>Closure by brigade" + escape(mean) + "</h3>")
    out.append(_table(["brigade", "50 % closure", "90 % closure", "closure (last piece)",
                       "combat power (all units closed)"], rows))
    units = summary.get("units") or []
    if units and n == 1:
        late = sum(1 for u in units if u.get("timing") == "late")
        rows = [[u["force"], u["unit"], _when(cal, u["closed_h"]) if u["closed_h"] is not None else "not closed",
                 u.get("rdd") or ("" if u["rdd_h"] is None else format_hours(u["rdd_h"])),
                 "" if not u.get("late_h") else f"{u['late_h']:,.1f} h", u["timing"], u["waited_longest_for"]]
                for u in units]
        out.append(f"<h3>Units ({late} late)</h3>")
        out.append(_table(["brigade", "unit", "closed", "RDD", "late", "", "waited longest for"], rows,
                          left={0, 1, 5, 6}, nowrap={2, 3, 4}))
    acc = [[kind] + [_n(summary[kind][k]) for k in ("planned", "entered", "delivered", "in_system", "not_arrived")]
           for kind in ("pieces", "personnel")]
    out.append("<h3>Accounting" + escape(mean) + "</h3>")
    out.append(_table(["", "planned", "entered", "delivered", "in system", "not arrived"], acc))
    spread = summary.get("spread", {}).get("closure_h")
    if spread and spread.get("n"):
        out.append(f'<p class="note">Closure over {n} replications: sd {spread["sd"]:,.1f} h, min {format_hours(spread["min"])}, '
                   f'max {format_hours(spread["max"])}; {spread["incomplete"]} replication(s) did not close.</p>')
    waiting = summary.get("waiting") or []
    if waiting:
        rows = [[w["kind"], w["node"], w["status"], f"{w['count']:,}"] for w in waiting]
        out.append("<h3>Still in the system at the end</h3>")
        out.append(_table(["kind", "where", "why", "count"], rows, left=3))
    return "\n".join(out)


def _brief(summary: dict, bound: dict, exercise: dict | None, cal: Calendar | None) -> str:
    """The report's opening: a few sentences on when the force closes, what sets it, the units late, and for an
    exercise what its injects cost and what each branch changed."""
    story = bottleneck_story(summary, bound)
    h = summary.get("closure_h")
    out = [f"The force closes at {format_hours(h)}" + (f" ({cal.words(h)})" if cal is not None and h is not None else "")
           + "." if h is not None else "The force does not close within the horizon."]
    top = story.top
    if top is not None and (top.get("wait_h") or top.get("person_wait_h")):
        out.append(f"What sets it: the pieces that close last waited longest for {top.get('words') or top['resource']}"
                   + (f"; the capacities bound closure at {format_hours(story.bound_h)}, {story.set_by(ids=False)}."
                      if story.bound_by is not None and story.bound_h is not None else "."))
    units = summary.get("units") or []
    late = [u for u in units if u.get("timing") == "late"]
    if units:
        out.append(f"{len(late)} of {len(units)} units close after their RDD"
                   + (": " + ", ".join(f"{u['force']}/{u['unit']} by {u['late_h']:,.0f} h" for u in late[:4]) if late else "")
                   + ".")
    if exercise:
        out += [_inject_sentence(e) for e in exercise.get("effects", [])
                if e["kind"] == "inject" and e["closure_h_added"] is not None]
        frame = exercise.get("branches")
        if frame is not None and len(frame) > 2:
            played = frame.iloc[1]
            for _, b in frame.iloc[2:].iterrows():
                d = float(b["closure_h_mean"]) - float(played["closure_h_mean"])
                late_d = float(b.get("late_units_mean", math.nan)) - float(played.get("late_units_mean", math.nan))
                out.append(f"Branch {b['name']} " + (f"shortens closure by {-d:,.1f} h" if d < 0 else
                                                      f"lengthens closure by {d:,.1f} h" if d > 0 else
                                                      "leaves closure as played")
                           + ("" if math.isnan(late_d) else f", with {late_d:+,.0f} units late") + ".")
    return '<div class="story brief">' + "".join(f"<p>{escape(x)}</p>" for x in out) + "</div>"


def _inject_sentence(e: dict) -> str:
    """What an inject cost, in a sentence (tabletop.effects' row)."""
    added = e["closure_h_added"]
    cost = (f"costs {added:,.1f} h of closure" if added > 0 else "costs no closure time" if added == 0 else
            f"shortens closure by {-added:,.1f} h")
    return (f"The inject {e['name']} ({e['when'] or format_hours(e['at_h'])}) {cost} and adds "
            f"{e['hours_late_added'] or 0:,.0f} unit-hours late.")


def _exercise(exercise: dict, cal: Calendar | None) -> str:
    """The exercise: its injects and decisions with their time and effect against the same course without
    each, and the courses side by side."""
    out = ["<h2>Exercise</h2>"]
    effects = exercise.get("effects") or []
    if effects:
        def signed(x: float | None, d: int = 1) -> str:
            return "-" if x is None else f"{x:+,.{d}f}"
        rows = [[e["kind"], e["name"], e["when"] or format_hours(e["at_h"]), signed(e["closure_h_added"]),
                 signed(e["units_late_added"], 0), signed(e["hours_late_added"])] for e in effects]
        out.append("<h3>Injects and decisions played</h3>")
        out.append('<p class="note">Each against the same course without it, same seed and replications: hours of '
                   "closure, units late and unit-hours late it added (negative: it saved them).</p>")
        out.append(_table(["", "name", "when", "closure (h)", "units late", "hours late"], rows, left=2, nowrap={2}))
    frame = exercise.get("branches")
    if frame is not None and len(frame):
        rows = [[b["name"], format_hours(b["closure_h_mean"]),
                 f"{b['saved_h_mean']:+,.1f} h" if pd.notna(b["saved_h_mean"]) else "-",
                 (f"{b['saved_h_ci95_lo']:+,.1f} to {b['saved_h_ci95_hi']:+,.1f} h"
                  if pd.notna(b["saved_h_ci95_lo"]) else "-"),
                 f"{b.get('late_units_mean', math.nan):,.1f}", f"{b.get('late_h_total_mean', math.nan):,.1f}",
                 str(b["top_bottleneck_words"])] for _, b in frame.iterrows()]
        reps = int(frame["replications"].iloc[0])
        out.append("<h3>The courses side by side</h3>")
        out.append(f'<p class="note">As planned (no inject, no decision), as played (the injects and the decisions on '
                   f"every branch) and each branch; saved against the plan, {reps} replication(s) on common random "
                   "numbers.</p>")
        out.append(_table(["course", "closure", "saved", "95 % interval", "units late", "hours late",
                           "top bottleneck"], rows, left={0, 6}, nowrap={1, 2, 3}))
    return "\n".join(out)


def _friction(first: Results, cal: Calendar | None) -> str:
    """What friction did to the run (replication 1): each disruption (what was hit, when, what it cost in
    waiting, what was diverted or re-routed), civil traffic displaced, flows per direction and accommodation
    shortfalls; empty when the scenario has none."""
    f = first.friction_summary()
    if not f:
        return ""
    out = ["<h2>Friction</h2>"]
    if f.get("disruptions"):
        rows = [[d["name"], d["kind"], d["target"], _when(cal, d["start_h"]), f"{d['end_h'] - d['start_h']:,.1f} h",
                 "closed" if d["capacity_factor"] == 0 else f"{d['capacity_factor']:.0%} left",
                 f"{d['delay_piece_h']:,.0f}", f"{d['closure_delay_piece_h']:,.0f}", str(d["diverted"]), str(d["rerouted"])]
                for d in f["disruptions"]]
        total = sum(d["delay_piece_h"] for d in f["disruptions"])
        out.append(f"<h3>Disruptions ({len(rows)})</h3>")
        out.append(f'<p>The disruptions held pieces back for {total:,.0f} piece-hours in all; "last 10 %" counts the '
                   "waiting of the pieces that set closure. Diverted: pieces that changed mode; re-routed: movements "
                   "and flights that took another way.</p>")
        out.append(_table(["disruption", "kind", "target", "from", "for", "capacity", "waiting (piece-h)",
                           "last 10 % (piece-h)", "diverted", "re-routed"], rows, left=3, nowrap={3, 4}))
    if f.get("civil_displaced"):
        rows = [[unit, f"{v:,.1f}"] for unit, v in f["civil_displaced"].items()]
        out.append("<h3>Civil traffic displaced by military priority</h3>")
        out.append(_table(["what", "displaced"], rows))
    if f.get("sustainment"):
        rows = [[d, _n(v["pieces"]), _n(v["delivered"]), f"{v['pieces_per_day']:,.1f}", _n(v["persons_delivered"])]
                for d, v in f["sustainment"].items()]
        out.append("<h3>Regular flows</h3>")
        out.append(_table(["direction", "pieces", "delivered", "pieces/day", "persons delivered"], rows))
    if f.get("accommodation"):
        rows = [[site, _n(v["required"]), _n(v["max_short"]), str(v["days_short"])] for site, v in f["accommodation"].items()]
        out.append("<h3>Host-nation accommodation</h3>")
        out.append(_table(["site", "persons to house", "most short of a bed", "days short"], rows))
    return "\n".join(out)


def _bottlenecks(summary: dict, bound: dict) -> str:
    """The bottleneck story (bound and ranking together, sim/story.py) and the ranking: each resource in a
    planner's words with its id, what waited at it, and whether it lies on the bound's cut."""
    story = bottleneck_story(summary, bound)
    header = ["resource", "on the bound's cut", "waited", "pieces held", "mean wait (h)", "last 10 % wait (piece-h)",
              "piece wait (piece-h)", "person wait (person-h)", "mean use", "peak use"]
    head = "".join(f'<th class="l">{escape(c)}</th>' if i < 2 else f"<th>{escape(c)}</th>" for i, c in enumerate(header))
    body = []
    for b in summary["bottlenecks"]:
        words = b.get("words") or b["resource"]
        name = escape(words) + ("" if words == b["resource"] else f'<br><span class="id">{escape(b["resource"])}</span>')
        waits = b.get("waits", 0)
        cells = [f"{_n(waits)} {b.get('waiters', '')}" if waits else "-", _n(b.get("pieces_held", 0)),
                 f"{b['mean_wait_h']:,.1f}" if b.get("pieces_held") else "-", f"{b['closure_wait_h']:,.0f}", f"{b['wait_h']:,.0f}",
                 f"{b['person_wait_h']:,.0f}", f"{b['utilization']:.0%}", f"{b['peak_utilization']:.0%}"]
        on = "yes" if b["resource"] in story.cut_ids else ""
        body.append(f'<tr><td class="l">{name}</td><td class="l">{on}</td>'
                    + "".join(f'<td class="n">{escape(c)}</td>' for c in cells) + "</tr>")
    told = "".join(f"<p>{escape(line)}</p>" for line in story.lines())
    return "\n".join([
        "<h2>Top bottlenecks</h2>",
        f'<div class="story">{told}</div>' if told else "",
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>",
        '<p class="note">Ranked by the waiting they caused to the pieces that set closure (the last 10 % of each '
        "brigade's pieces), then by all piece waiting. Waited: the requests (trains, serials, ship calls...) that "
        "had to wait for the resource; pieces held: the pieces that waited for it; mean wait: piece-hours per piece "
        "held. On the bound's cut: the resource is one of those that set the lower bound from capacities.</p>",
    ])


def _investments(frame: pd.DataFrame) -> str:
    rows = []
    for _, r in frame.iterrows():
        def rng(lo: float, hi: float) -> str:
            return "-" if math.isnan(lo) or math.isnan(hi) else f"{lo:,.1f} to {hi:,.1f}"

        rows.append([r["name"], f"{r['cost_eur'] / 1e6:,.1f}", f"{r['closure_h_mean']:,.1f}",
                     rng(r["closure_h_ci95_lo"], r["closure_h_ci95_hi"]), f"{r['saved_h_mean']:,.1f}",
                     rng(r["saved_h_ci95_lo"], r["saved_h_ci95_hi"]),
                     "" if r["cost_eur"] == 0 else f"{r['days_saved_per_100m_eur']:,.2f}",
                     "never" if math.isnan(r["bound_h"]) else f"{r['bound_h']:,.1f}",
                     r["top_bottleneck"]])
    reps = int(frame["replications"].iloc[0]) if len(frame) else 0
    fig = plots.plot_investments(frame)
    return "\n".join([
        "<h2>Investments</h2>",
        f'<p class="note">Baseline, each investment alone and the portfolio, {reps} replications each with common '
        "random numbers; savings paired by replication, 95 % intervals.</p>",
        _table(["variant", "cost (EUR M)", "closure (h)", "95 % CI", "saved (h)", "95 % CI", "days / EUR 100 M",
                "bound (h)", "top bottleneck"], rows),
        _figure(fig, "Investments ranked by closure time saved against the baseline, best first, with 95 % intervals "
                     "and each one's cost"),
    ])


def _sensitivity(baseline_h: float, ranked: list[Any]) -> str:
    """What the answer rests on, first: the assumption groups ranked by their effect on closure (tornado and
    table)."""
    from .sensitivity import plot_tornado

    def fig(m: float, ci: tuple[float, float], open_: int = 0) -> str:
        return ("\N{GREATER-THAN OR EQUAL TO}" if open_ else "") + f"{m:,.1f}" + (
            "" if math.isnan(ci[0]) else f" ({ci[0]:,.1f}\N{EN DASH}{ci[1]:,.1f})")
    rows = [[a.group, a.low, a.high, fig(a.closure_low_h, a.closure_low_ci95, a.not_closed_low),
             fig(a.closure_high_h, a.closure_high_ci95, a.not_closed_high), fig(a.effect_h, a.effect_ci95)]
            for a in ranked]
    top = [a.group for a in ranked[:3] if abs(a.effect_h) > 0]
    words = (f"Closure rests most on {', '.join(top)}: moving one of them between its low and high setting moves "
             f"closure by up to {abs(ranked[0].effect_h):,.0f} h ({abs(ranked[0].effect_h) / 24:,.1f} days). "
             "\N{GREATER-THAN OR EQUAL TO}: some runs did not close by the horizon.") if top else \
        "No assumption group moves closure."
    return "\n".join(["<h2>What the answer rests on</h2>", f"<p>{escape(words)}</p>",
                      _figure(plot_tornado(baseline_h, ranked), "Closure with each assumption group at its low and "
                                                                "high setting, the others kept"),
                      _table(["group", "low", "high", "closure low h", "closure high h", "effect h"], rows, left=3,
                             nowrap={3, 4, 5})])


def render(results: list[Results], bound: dict, comparison: pd.DataFrame | None = None, plan: Plan | None = None,
           scenario_file: str = "", sensitivity: tuple[float, list[Any]] | None = None,
           exercise: dict | None = None) -> str:
    """The report as one HTML string; with `sensitivity` (baseline closure, ranked assumption groups) it opens
    with what the answer rests on."""
    first = results[0]
    n = len(results)
    summary = aggregate([r.summary() for r in results])
    if n > 1:
        summary["waiting"] = []
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    meta = (f"{escape(Path(scenario_file).name or first.scenario)} &middot; seed {first.seed} &middot; {n} replication(s) "
            f"&middot; belgium-rsom {escape(first.version)} &middot; generated {now}")
    cal = Calendar.of({"start": summary.get("start_date"), "c_day": summary.get("c_day")})
    body = [
        f"<header><h1>Exercise report: {escape(first.scenario)}</h1><div class=\"meta\">{meta}</div></header>",
        "<main>",
        _brief(summary, bound, exercise, cal),
        *([_exercise(exercise, cal)] if exercise else []),
        *([_sensitivity(*sensitivity)] if sensitivity is not None else []),
        _key_figures(summary, bound, n),
        _scenario_section(results, plan),
        "<h2>Map</h2>",
    ]
    if first.network is not None:
        body.append(_figure(plots.plot_map(first, by="load"), "Pieces carried per link over the run (replication 1)"))
        body.append(_figure(plots.plot_map(first, by="utilization"),
                            "Utilisation of train paths and march slots over the run, in % of the busier direction's "
                            "capacity (replication 1)"))
    body += [
        _friction(first, cal),
        _bottlenecks(summary, bound),
        _figure(plots.plot_congestion(first), "What waited at the busiest resources over time (trains, serials, pieces "
                                              "...) and the share of their capacity in use (replication 1)"),
        "<h2>Timeline</h2>",
        _figure(plots.plot_gantt(first), "Synchronisation matrix: what each unit's pieces were doing over time, "
                                         "and what they waited for (replication 1)"),
        _figure(plots.plot_closure(results), "Share of each brigade across its exit over time"
                + (f" (median and band over {n} replications)" if n > 1 else "")),
        _figure(plots.plot_throughput(results), "Pieces delivered across the exits per day, by mode"),
    ]
    if comparison is not None and len(comparison):
        body.append(_investments(comparison))
    body.append("</main>")
    body.append("<footer>Basemap made with Natural Earth (public domain), via the world-atlas package (ISC licence). "
                "Times are hours since scenario start.</footer>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Exercise report: {escape(first.scenario)}</title><style>{CSS}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")


def write_report(scenario_file: Path | str, out: Path | str, seed: int | None = None, replications: int | None = None,
                 investments: list[str] | None = None, workers: int | None = 1, progress: bool = False,
                 sensitivity: bool = False) -> Path:
    """Run the scenario (and the investment comparison when investments are named, and the sensitivity of
    closure to each assumption group when asked) and write DIR/report.html. `progress`: show each step
    (reading, the replications, the comparison's runs, the figures) as it goes, at a terminal (sim.progress)."""
    progress = progress and wanted()
    path = Path(scenario_file)
    with status(progress, f"Reading {path.name} and its network ..."):
        plan = load_plan(path)
    seed, n = resolve_run(plan.scenario, seed, replications)
    horizon = plan.scenario.horizon_h
    with bar(progress, f"running {plan.scenario.name}", n * horizon) as tell:
        results = run(plan, seed=seed, replications=n, progress=lambda r, t: tell(r * horizon + t, n * horizon))
    bound = closure_bound(plan).as_dict()
    comparison = None
    if investments:
        from .compare import compare

        comparison = compare(path, investments, replications=max(2, n), seed=seed, workers=workers,
                             progress=progress)
    ranked = None
    if sensitivity:
        from .sensitivity import sensitivity as assumptions

        with status(progress, "Moving each assumption group low and high ..."):
            ranked = assumptions(plan, replications=n, seed=seed)
    exercise = None
    if plan.scenario_as_written is not None and plan.scenario_as_written.exercise is not None:
        from .tabletop import compare_branches, effects

        with status(progress, "Running the exercise's courses ..."):
            exercise = {"effects": effects(path, n, seed, course=plan),
                        "branches": compare_branches(path, n, seed)}
    with status(progress, "Drawing the figures and writing the report ..."):
        html = render(results, bound, comparison, plan, str(path), ranked, exercise)
    target = output.folder(out) / REPORT_FILE
    output.write_text(target, html)
    return target
