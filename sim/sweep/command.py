"""`rsom sweep`: run the grid and print one line per grid point (closure statistics from sim.statistics)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..defaults import resolve_run
from .executors import execute
from .store import finished
from .tasks import grid, parse_params

if TYPE_CHECKING:
    import pandas as pd


def summarize(df: pd.DataFrame, params: Sequence[str] = ()) -> pd.DataFrame:
    """Per grid point (in grid order): its parameter values, runs, mean / min / max closure (h) over replications
    (NaN when none closed), runs not closed, and the most frequent top bottleneck."""
    import pandas as pd

    from ..statistics import closure_stats

    closure = closure_stats(df.assign(closure_h=pd.to_numeric(df["closure_h"], errors="coerce")), by=["variant"])
    recs = []
    for (variant, g), c in zip(df.groupby("variant", sort=False), closure.to_dict("records")):
        top = g["top_bottleneck"].fillna("").astype(str)
        counts = top[top != ""].value_counts()
        recs.append({"variant": variant, **{p: g[p].iloc[0] for p in params if p in g}, "runs": len(g),
                     "closure_mean_h": c["mean"], "closure_min_h": c["min"], "closure_max_h": c["max"],
                     "not_closed": int(c["incomplete"]), "top_bottleneck": counts.index[0] if len(counts) else ""})
    return pd.DataFrame.from_records(recs)


def cli_sweep(scenario_path: Path | str, params: list[str], investments: list[str], replications: int | None,
              seed: int | None, out: Path, workers: int | None, scheduler: str | None,
              progress: bool = False) -> pd.DataFrame:
    """`rsom sweep`: run the grid, print one line per grid point and where the table is; `progress`: show the
    checks and the runs as they go (sim.progress)."""
    from rich.console import Console
    from rich.table import Table

    from ..scenario import read_scenario

    grid_params = parse_params(params)
    sc = read_scenario(scenario_path)
    seed, replications = resolve_run(sc, seed, replications)
    tasks = grid(scenario_path, grid_params, investments, replications, seed)
    out = Path(out)
    before = len(finished(tasks, out))
    df = execute(tasks, out=out, workers=workers, scheduler=scheduler, progress=progress)

    con = Console()
    names = list(grid_params)
    t = Table(title=f"{sc.name}: {len(tasks)} runs ({len(tasks) - before} run now, {before} from earlier); closure in h "
                    "over replications")
    for c in names or ["variant"]:
        t.add_column(c, justify="right", overflow="fold")
    for c in ("runs", "mean", "min", "max", "top bottleneck"):
        t.add_column(c, justify="left" if c == "top bottleneck" else "right", no_wrap=c != "top bottleneck")

    def h(x: float) -> str:
        return "-" if math.isnan(x) else f"{x:,.1f}"

    for r in summarize(df, names).to_dict("records"):
        mean = h(r["closure_mean_h"]) + (f" ({r['not_closed']} not closed)" if r["not_closed"] else "")
        t.add_row(*[str(r[c]) for c in names or ["variant"]], str(r["runs"]), mean, h(r["closure_min_h"]),
                  h(r["closure_max_h"]), str(r["top_bottleneck"]))
    con.print(t)
    con.print(f"Rows: {out / 'sweep.parquet'}")
    return df
