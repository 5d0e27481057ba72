"""What pieces waited for, in the few causes a movement planner recognises: wagons, locomotives, train paths,
loading ramps, march slots, staging space, port and airfield handling, buses, HETs, trucks, barges...

The blame table books every wait of a piece to the resource it waited for (piece-hours); a resource's type
(`Res`, whose `kind` is the resources table's column) says which cause it belongs to, so the mapping holds
for any network and scenario. Waiting that no resource was booked for (a piece waiting for its train or
serial to fill, for its turn at a handling step) is `OTHER`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import lazy_loader
import numpy as np

from .ids import Res

if TYPE_CHECKING:
    import pandas as pd

    from .results import Results
else:
    pd = lazy_loader.load("pandas")  # loaded on first use: `rsom run` from a cached plan never needs it

OTHER = "forming trains and serials, handling"
WATER_HEADWAY = "barges and locks"  # a headway on a waterway is a barge passage, not a march slot

CAUSE_OF: dict[Res, str] = {
    Res.WAGONS: "wagons",
    Res.TRAIN_SETS: "locomotives and crews",
    Res.PATHS: "train paths",
    Res.RAMPS: "loading ramps",
    Res.ENTRY: "march slots and road windows",
    Res.CSC: "convoy support centre space",
    Res.STAGING_SPACES: "staging space and beds",
    Res.BEDS: "staging space and beds",
    Res.BERTHS: "berths and discharge",
    Res.MARSHALLING: "berths and discharge",
    Res.MOG: "aircraft parking and air terminals",
    Res.PAX_TERMINAL: "aircraft parking and air terminals",
    Res.CARGO_TERMINAL: "aircraft parking and air terminals",
    Res.BUSES: "buses",
    Res.HETS: "heavy equipment transporters",
    Res.TRUCKS: "trucks for containers",
    Res.BARGES: WATER_HEADWAY,
    Res.REASSEMBLY: "helicopter reassembly",
    Res.DISRUPTION: "disruptions",
}
CAUSES: tuple[str, ...] = (*dict.fromkeys(CAUSE_OF.values()), OTHER)  # in the order the legend lists them
_BY_KIND = {r.kind: CAUSE_OF[r] for r in Res}  # types that share a kind (the terminals) share a cause


def resource_causes(results: Results) -> pd.Series:
    """The cause of each resource (by name), from its kind in the resources table; a headway on a waterway
    (a link of mode water in the network) is a barge passage. A kind the model does not know is `OTHER`."""
    r = results.resources
    if r.empty:
        return pd.Series(dtype=object)
    cause = r["kind"].map(_BY_KIND).fillna(OTHER)
    net = results.network
    if net is not None and "link" in r:
        mode = r["link"].map(net.links["mode"]) if len(net.links) else pd.Series(np.nan, index=r.index)
        cause = cause.where(~((r["kind"] == Res.ENTRY.kind) & (mode == "water")), WATER_HEADWAY)
    return pd.Series(cause.to_numpy(), index=r["name"].to_numpy(), dtype=object)


def piece_causes(results: Results, waiting: pd.Series) -> pd.DataFrame:
    """Each piece's waiting split by cause: `waiting` gives the hours each piece (pid) spent waiting between
    its stages; returns one row per piece and cause with its `share` of that waiting. The blame table's
    piece-hours by cause set the shares; when they add up to less than the piece's waiting, the rest is
    `OTHER` (no resource was booked for it), and a piece without blame waited wholly for `OTHER`."""
    waiting = waiting[waiting > 0]
    cols = ["pid", "cause", "share"]
    if waiting.empty:
        return pd.DataFrame(columns=cols)
    b = results.blame
    booked = pd.DataFrame(columns=["pid", "cause", "wait_h"])
    if len(b):
        b = b.assign(cause=b["resource"].map(resource_causes(results)).fillna(OTHER))
        booked = b.groupby(["pid", "cause"], as_index=False)["wait_h"].sum()
        booked = booked[booked["pid"].isin(waiting.index)]
    total = booked.groupby("pid")["wait_h"].sum()
    whole = np.maximum(waiting.to_numpy(dtype=float), total.reindex(waiting.index).fillna(0.0).to_numpy())
    whole_of = pd.Series(whole, index=waiting.index)
    shares = booked.assign(share=booked["wait_h"].to_numpy(dtype=float) / booked["pid"].map(whole_of).to_numpy(dtype=float))
    rest = 1.0 - shares.groupby("pid")["share"].sum().reindex(waiting.index).fillna(0.0)
    rest = rest[rest > 1e-9]
    other = pd.DataFrame({"pid": rest.index, "cause": OTHER, "share": rest.to_numpy()})
    out = pd.concat([shares[cols], other], ignore_index=True)
    return out.groupby(["pid", "cause"], as_index=False)["share"].sum().sort_values(["pid", "cause"], ignore_index=True)
