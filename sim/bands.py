"""Military train paths by time band of the day, as a rail link's `path_bands` give them:
"22:00-06:00=6;06:00-22:00=2" offers 6 paths a day (in each direction) between 22:00 and 06:00 and 2 between
06:00 and 22:00. A train enters a band only when the band has paths, at least the band's length / N from any
other train (resources.BandedPathBook). Bands are the same every day (N is paths a day), so a band naming a day
of the week is refused; a scenario window by day of the week on the line (`windows.py`) still applies.

The bands as read (`parse_bands`) keep their N; what the scenario leaves of the line's paths (investments,
a sweep's parameters, civil traffic: all change `paths_per_day`) is shared among the bands in proportion to
their N by `band_paths`, the one place where band paths are scaled."""

from __future__ import annotations

import math
import re

from .windows import DAYS, AnyWindow, Weekly, Window, _merged, _segments, parse_window, week_spells

Bands = tuple[tuple[float, float, int], ...]  # (start_h, end_h, paths a day) within a day; end may be < start (wraps)
ScaledBands = tuple[tuple[float, float, float], ...]  # (start_h, end_h, paths a day after scaling)

_BAND = re.compile(r"^([^=]*)=(.*)$")
_COUNT = re.compile(r"^\d+$")
_DAY_NAMES = {d.lower() for d in DAYS}


def parse_bands(text: str | None) -> Bands:
    """Parse "HH:MM-HH:MM=N[;HH:MM-HH:MM=N]" (N paths a day in that band; a band may wrap midnight); empty
    text means no bands. Raises ValueError naming the band at fault: one that is not HH:MM-HH:MM=N, an N that is
    not a whole number of paths (0 or more), or two bands that overlap."""
    if text is None or str(text).strip() == "":
        return ()
    out: list[tuple[float, float, int]] = []
    shown: list[str] = []
    for piece in str(text).split(";"):
        part = piece.strip()
        m = _BAND.match(part)
        if not m:
            raise ValueError(f"path band {part!r} is not HH:MM-HH:MM=N")
        span, count = m.group(1).strip(), m.group(2).strip()
        if {w.lower() for w in re.findall(r"[A-Za-z]+", span)} & _DAY_NAMES:  # N is paths a day: every day alike
            raise ValueError(f"path band {part!r} names a day: path bands follow the time of day only "
                             "(HH:MM-HH:MM=N, the same every day); give the days in a scenario window instead")
        try:
            window = parse_window(span)
        except ValueError as exc:
            raise ValueError(f"path band {part!r} is not HH:MM-HH:MM=N: {exc}") from None
        if isinstance(window, Weekly) or len(window) != 1:  # empty text before "=" reads as always open
            raise ValueError(f"path band {part!r} is not HH:MM-HH:MM=N")
        if not _COUNT.match(count):
            raise ValueError(f"path band {part!r}: N must be a whole number of paths a day, 0 or more")
        [(start, end)] = window
        out.append((start, end, int(count)))
        shown.append(part)
    for i, (s1, e1, _) in enumerate(out):
        for j in range(i):
            s2, e2, _ = out[j]
            if _overlap(((s1, e1),), ((s2, e2),)) > 0:
                raise ValueError(f"path bands {shown[j]!r} and {shown[i]!r} overlap")
    return tuple(out)


def band_length(start: float, end: float) -> float:
    """Hours a band lasts each day (a band that wraps midnight counts both parts)."""
    return end - start if start < end else 24.0 - start + end


def band_paths(bands: Bands, paths_per_day: float) -> ScaledBands:
    """The bands with the line's military paths a day shared in proportion to their N: the N as read when
    `paths_per_day` is their sum (as the network requires), scaled when investments, parameters or civil traffic
    changed it (all bands none when no path is left)."""
    total = sum(n for _, _, n in bands)
    if total <= 0:
        return tuple((s, e, 0.0) for s, e, _ in bands)
    return tuple((s, e, paths_per_day * (n / total)) for s, e, n in bands)  # n / total is 1.0 for a single band


def band_intervals(bands: Bands, paths_per_day: float) -> ScaledBands:
    """(start_h, end_h, least hours between two entries) of each band: its length over its paths (inf when it
    has none). A single band over the whole day gives 24 / paths_per_day, exactly the interval without bands."""
    return tuple((s, e, band_length(s, e) / p if p > 0 else math.inf) for s, e, p in band_paths(bands, paths_per_day))


def open_hours(spans: Window, window: AnyWindow = ()) -> float:
    """Hours a day in which one of the spans (daily start-end pairs, e.g. the bands with paths) and the window
    (empty: always open) are both open; hours a week when the window is weekly."""
    if isinstance(window, Weekly):
        return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in week_spells(spans) for s2, e2 in window.spells)
    return _overlap(spans, window or ((0.0, 24.0),))


def _overlap(a: Window, b: Window) -> float:
    """Hours a day both daily windows are open (each given as start-end pairs that may wrap midnight)."""
    return sum(max(0.0, min(e1, e2) - max(s1, s2)) for s1, e1 in _merged(_segments(a)) for s2, e2 in _merged(_segments(b)))
