"""Daily time windows such as "21:00-05:00;12:00-13:00" and the next time a window is open."""

from __future__ import annotations

import math
import re
from functools import cache

_PART = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

Window = tuple[tuple[float, float], ...]  # (start_h, end_h) within a day; end may be < start (wraps)


def parse_window(text: str | None) -> Window:
    """Parse "HH:MM-HH:MM[;HH:MM-HH:MM]" into hour pairs; empty text means always open. Raises ValueError."""
    if text is None or str(text).strip() == "" or str(text).strip().lower() == "always":
        return ()
    parts = []
    for piece in str(text).split(";"):
        m = _PART.match(piece)
        if not m:
            raise ValueError(f"time window {piece.strip()!r} is not HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
            raise ValueError(f"time window {piece.strip()!r} has an hour or minute out of range")
        start, end = h1 + m1 / 60, h2 + m2 / 60
        if start == end:
            raise ValueError(f"time window {piece.strip()!r} is empty")
        parts.append((start, end))
    return tuple(parts)


def next_open(window: Window, t: float, start_clock_h: float = 0.0) -> float:
    """Earliest time >= t (hours since scenario start) at which the window is open."""
    if not window:
        return t
    clock = (t + start_clock_h) % 24.0
    best = math.inf
    for start, end in window:
        inside = start <= clock < end if start < end else (clock >= start or clock < end)
        if inside:
            return t
        best = min(best, (start - clock) % 24.0)
    return t + best


def work_end(window: Window, t: float, work_h: float, start_clock_h: float = 0.0) -> float:
    """Time (hours since scenario start) at which `work_h` hours of work, begun at t (h) and done only while
    the daily window is open, are finished: work stops when the window closes and resumes when it next opens.
    An empty window is always open (t + work_h)."""
    if not window or work_h <= 0:
        return t + work_h
    return work_end_in(_spells(window), t, work_h, start_clock_h)


def work_end_in(spells: list[tuple[float, float]], t: float, work_h: float, start_clock_h: float = 0.0) -> float:
    """work_end on a window's open spells (window_spells), for a caller that asks many times of one window."""
    if work_h <= 0 or spells == [(0.0, 24.0)]:
        return t + work_h
    day0 = t - (t + start_clock_h) % 24.0  # scenario time of the last clock midnight at or before t
    left = work_h
    day = 0
    while True:
        for a, b in spells:
            start, end = max(day0 + 24.0 * day + a, t), day0 + 24.0 * day + b
            if end <= start:
                continue
            if left <= end - start:
                return start + left
            left -= end - start
        day += 1


@cache
def _spells(window: Window) -> list[tuple[float, float]]:
    """The window's open spells within a day, sorted and joined (made once per window)."""
    return _merged(_segments(window))


def window_spells(window: Window) -> list[tuple[float, float]]:
    """The open spells of a daily window (always open when it is empty), for work_end_in."""
    return _spells(window) if window else [(0.0, 24.0)]


def _merged(segments: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted segments with the overlapping and touching ones joined."""
    out: list[tuple[float, float]] = []
    for a, b in segments:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _segments(window: Window) -> list[tuple[float, float]]:
    """A window as non-wrapping (start, end) segments within [0, 24]."""
    out = []
    for start, end in window:
        out += [(start, end)] if start < end else [(start, 24.0), (0.0, end)]
    return sorted(s for s in out if s[1] > s[0])


def _text(segments: list[tuple[float, float]]) -> str:
    def hm(h: float) -> str:
        m = round(h * 60)
        return f"{m // 60:02d}:{m % 60:02d}"

    return ";".join(f"{hm(a)}-{hm(b)}" for a, b in segments)


def subtract(window_text: str | None, blocked_text: str | None) -> str:
    """The hours of `window_text` (empty = always open) outside `blocked_text`, as window text.
    Raises ValueError when nothing is left (a link that could never be entered)."""
    blocked = _segments(parse_window(blocked_text))
    if not blocked:
        return window_text or ""
    open_ = _segments(parse_window(window_text)) or [(0.0, 24.0)]
    out: list[tuple[float, float]] = []
    for a, b in open_:
        cur = a
        for c, d in blocked:
            if d <= cur or c >= b:
                continue
            if c > cur:
                out.append((cur, c))
            cur = max(cur, d)
        if cur < b:
            out.append((cur, b))
    if not out:
        raise ValueError(f"no hour of {window_text or 'the day'} is left outside {blocked_text}")
    if len(out) > 1 and out[0][0] == 0.0 and out[-1][1] == 24.0:  # join across midnight
        out = [(out[-1][0], out[0][1]), *out[1:-1]]
    return _text(out)
