"""Time windows, the hours in which something is open (a link to entering movements, a port's shifts, peak hours),
and the next time a window is open.

A window is text:

    window := "" | "always" | part (";" part)*
    part   := [days " "] hours
    days   := day | day "-" day              a range may wrap past Sunday: "Fri-Mon" is Fri, Sat, Sun, Mon
    day    := Mon | Tue | Wed | Thu | Fri | Sat | Sun       (in any case)
    hours  := HH:MM "-" HH:MM | always | closed

"" and "always" are always open. A part without days applies every day: "21:00-05:00;12:00-13:00" is a daily
window (open 21:00-05:00 and 12:00-13:00 each day). A part with days applies on those days only, e.g. "Mon-Fri 21:00-05:00;
Sat-Sun always" or "Mon-Thu 20:00-06:00;Fri 20:00-24:00;Sat 00:00-24:00;Sun 00:00-22:00". A part whose end is
before its start runs past midnight and belongs to the day it starts on: "Fri 21:00-05:00" is open from Friday
21:00 to Saturday 05:00. `always` opens the whole day (00:00-24:00); `closed` opens nothing and says so, and no
other part may then start on that day. A window is open when any of its parts is; one never open is refused.

A window is held as open spells within a period, with where t = 0 falls in that period (the offset):

- a daily window (no day named) as (start_h, end_h) clock hours (`Window`; end < start wraps midnight), period
  24 h, offset the clock hour of t = 0 (the scenario's start_clock_h);
- a weekly window (`Weekly`) as hours since Monday 00:00, period 168 h, offset the hours since Monday 00:00 of
  the scenario's `start` (so a weekly window needs the calendar). A window with days that is the same every day
  ("Mon-Sun 06:00-18:00") is read as the daily one.

next_open and work_end_in exist once per period (`DAY`, `WEEK`), each with its period fixed, so a daily window,
on the simulation's hot path, pays nothing for weekly ones; `anchor` puts a window of either kind on the
scenario's time line and picks its period's functions once."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

DAY_H = 24.0  # period of a daily window (h)
WEEK_H = 168.0  # period of a weekly window (h); hour 0 is Monday 00:00
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_PART = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_DAYS_PART = re.compile(r"^\s*([A-Za-z]+)(?:\s*-\s*([A-Za-z]+))?\s+(\S.*?)\s*$")

Window = tuple[tuple[float, float], ...]  # (start_h, end_h) within a day; end may be < start (wraps)
Spells = list[tuple[float, float]]  # open spells within a period (h), sorted and joined, none wrapping


@dataclass(frozen=True)
class Weekly:
    """A window that follows the days of the week: its open spells in hours since Monday 00:00, within [0, 168],
    sorted and joined (a spell across Sunday midnight is held as two: one to 168, one from 0). Never empty and
    never the whole week (those are read as daily windows)."""

    spells: Window


AnyWindow = Window | Weekly


@dataclass(frozen=True)
class Period:
    """The window functions of one period (h): `next_open(window, t, offset)` and `work_end_in(spells, t, work_h,
    offset)`, with `offset` where t = 0 falls in the period (h)."""

    hours: float
    next_open: Callable[[Window, float, float], float]
    work_end_in: Callable[[Spells, float, float, float], float]


EDGE_H = 1e-11  # h: a window's end is closed this much early, against rounding in the clock's modulo


def _period(hours: float) -> Period:
    """next_open and work_end_in for windows repeating every `hours` hours. The period is each function's default
    argument (`period`, and `whole` the always-open spell), not a closure's cell: a function with no free
    variables is called as fast as one written with the literal 24.0, which keeps the daily hot path as it was.
    Callers pass neither."""

    def next_open(window: Window, t: float, start_clock_h: float = 0.0, period: float = hours) -> float:
        """Earliest time >= t (hours since scenario start) at which the window is open; `start_clock_h` is where
        t = 0 falls in the window's period (h: the clock hour for a daily window)."""
        if not window:
            return t
        clock = (t + start_clock_h) % period
        best = math.inf
        for start, end in window:
            # closed from a hair before its end: a clock computed as (t + offset) % period may fall a rounding
            # error short of the end when t is exactly there (an entry at 08:05 in "08:00-08:05")
            inside = start <= clock < end - EDGE_H if start < end else (clock >= start or clock < end - EDGE_H)
            if inside:
                return t
            best = min(best, (start - clock) % period)
        return t + best

    def work_end_in(spells: Spells, t: float, work_h: float, start_clock_h: float = 0.0, period: float = hours,
                    whole: tuple[float, float] = (0.0, hours)) -> float:
        """Time (hours since scenario start) at which `work_h` hours of work begun at t (h), done only inside the
        open spells (window_spells) and resumed at the next when one ends, are finished; `start_clock_h` as in
        next_open. For a caller that asks many times of one window."""
        if work_h <= 0 or (len(spells) == 1 and spells[0] == whole):  # open all the time
            return t + work_h
        base = t - (t + start_clock_h) % period  # scenario time of the last period's start at or before t
        left = work_h
        k = 0  # periods after `base`
        while True:
            for a, b in spells:
                start, end = max(base + period * k + a, t), base + period * k + b
                if end <= start:
                    continue
                if left <= end - start:
                    return start + left
                left -= end - start
            k += 1

    return Period(hours, next_open, work_end_in)


DAY = _period(DAY_H)
WEEK = _period(WEEK_H)
next_open = DAY.next_open  # of a daily window
work_end_in = DAY.work_end_in  # of a daily window's spells


def _clock(text: str, piece: str) -> tuple[float, float]:
    """(start_h, end_h) of "HH:MM-HH:MM" (end < start wraps midnight). Raises ValueError naming `piece`."""
    m = _PART.match(text)
    if not m:
        raise ValueError(f"time window {piece.strip()!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
        raise ValueError(f"time window {piece.strip()!r} has an hour or minute out of range")
    start, end = h1 + m1 / 60, h2 + m2 / 60
    if start == end:
        raise ValueError(f"time window {piece.strip()!r} is empty")
    return start, end


def _days(first: str, last: str | None, piece: str) -> list[int]:
    """The days (0 = Monday) of "Day" or "Day-Day" (a range may wrap past Sunday). Raises ValueError naming a bad
    day with the valid names."""
    index = {d.lower(): i for i, d in enumerate(DAYS)}
    for name in (first, last):
        if name is not None and name.lower() not in index:
            raise ValueError(f"time window {piece.strip()!r}: {name!r} is not a day; days are {', '.join(DAYS)}")
    a = index[first.lower()]
    b = a if last is None else index[last.lower()]
    return [(a + k) % 7 for k in range((b - a) % 7 + 1)]


def parse_window(text: str | None) -> AnyWindow:
    """Parse window text (grammar in the module docstring): a daily window as hour pairs, empty (always open) for
    "" and "always"; a window naming days as `Weekly` (or daily when it is the same every day). Raises ValueError
    naming the part at fault."""
    if text is None or str(text).strip() == "" or str(text).strip().lower() == "always":
        return ()
    pieces = str(text).split(";")
    if not any(p.strip()[:1].isalpha() for p in pieces):
        return tuple(_clock(p, p) for p in pieces)  # no day named: a daily window
    return _weekly(str(text), pieces)


def _weekly(text: str, pieces: list[str]) -> AnyWindow:
    """A window whose parts name days: its spells in hours of the week, read as daily when the same every day."""
    spans: list[tuple[float, float]] = []
    closed: set[int] = set()
    opened: set[int] = set()
    for piece in pieces:
        m = _DAYS_PART.match(piece)
        if not m:
            if piece.strip()[:1].isalpha():
                raise ValueError(f"time window {piece.strip()!r} is not DAY[-DAY] HH:MM-HH:MM, always or closed")
            days, hours = list(range(7)), piece
        else:
            days, hours = _days(m.group(1), m.group(2), piece), m.group(3)
        word = hours.strip().lower()
        if word == "closed":
            closed.update(days)
            continue
        start, end = (0.0, DAY_H) if word == "always" else _clock(hours, piece)
        opened.update(days)
        for d in days:  # a part past midnight ends on the next day (Sunday's on Monday, at the week's start)
            if start < end:
                spans.append((DAY_H * d + start, DAY_H * d + end))
            elif d < 6:
                spans.append((DAY_H * d + start, DAY_H * (d + 1) + end))
            else:
                spans += [(DAY_H * d + start, WEEK_H), (0.0, end)]
    spans = [s for s in spans if s[1] > s[0]]  # "Sun 21:00-00:00" ends at the week's end
    both = sorted(closed & opened)
    if both:
        raise ValueError(f"time window {text.strip()!r} both closes and opens {DAYS[both[0]]}")
    spells = _merged(sorted(spans))
    if not spells:
        raise ValueError(f"time window {text.strip()!r} is never open")
    day = _merged(sorted((max(a, 0.0), min(b, DAY_H)) for a, b in spells if a < DAY_H))
    if _every_day(day) == spells:  # the same every day: a daily window
        return () if day == [(0.0, DAY_H)] else tuple(day)
    return Weekly(tuple(spells))


def _every_day(spells: Spells) -> Spells:
    """A day's spells repeated over the week, joined across midnights."""
    return _merged([(DAY_H * d + a, DAY_H * d + b) for d in range(7) for a, b in spells])


def week_spells(window: AnyWindow) -> Spells:
    """A window's open spells over a week (hours since Monday 00:00), a daily window repeated each day; an empty
    window is open all week."""
    if isinstance(window, Weekly):
        return list(window.spells)
    return _every_day(window_spells(window))


def work_end(window: Window, t: float, work_h: float, start_clock_h: float = 0.0) -> float:
    """Time (hours since scenario start) at which `work_h` hours of work, begun at t (h) and done only while
    the daily window is open, are finished: work stops when the window closes and resumes when it next opens.
    An empty window is always open (t + work_h)."""
    if not window or work_h <= 0:
        return t + work_h
    return work_end_in(_spells(window), t, work_h, start_clock_h)


@cache
def _spells(window: Window) -> Spells:
    """The window's open spells within a day, sorted and joined (made once per window)."""
    return _merged(_segments(window))


def window_spells(window: Window) -> Spells:
    """The open spells of a daily window (always open when it is empty), for work_end_in."""
    return _spells(window) if window else [(0.0, DAY_H)]


@dataclass(frozen=True)
class Anchored:
    """A window on the scenario's time line: `window` as its period's next_open takes it (a daily window as
    parsed, a weekly one's spells), `offset_h` where t = 0 falls in the period (h), `spells` its open spells for
    work_end_in, and `period` its period's functions. Callers on the hot path take the fields once."""

    window: Window
    offset_h: float
    spells: Spells
    period: Period

    def next_open(self, t: float) -> float:
        """Earliest time >= t (h since the start) at which the window is open."""
        return self.period.next_open(self.window, t, self.offset_h)

    def work_end(self, t: float, work_h: float) -> float:
        """When `work_h` hours of work begun at t (h), done only while the window is open, are finished (h)."""
        return self.period.work_end_in(self.spells, t, work_h, self.offset_h)


def anchor(window: AnyWindow, clock_h: float, week_h: float | None) -> Anchored:
    """A window placed on the scenario's time line: `clock_h` is the clock hour of t = 0 (for a daily window),
    `week_h` the hours since Monday 00:00 at t = 0 (for a weekly one; None without a calendar). Raises ValueError
    for a weekly window without a calendar (the scenario's checks report it first, as a Problem)."""
    if isinstance(window, Weekly):
        if week_h is None:
            raise ValueError("a window by day of the week needs the scenario's start (the weekday of t = 0)")
        return Anchored(window.spells, week_h, list(window.spells), WEEK)
    return Anchored(window, clock_h, window_spells(window), DAY)


def _merged(segments: Spells) -> Spells:
    """Sorted segments with the overlapping and touching ones joined."""
    out: Spells = []
    for a, b in segments:
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _segments(window: Window) -> Spells:
    """A daily window as non-wrapping (start, end) segments within [0, 24]."""
    out = []
    for start, end in window:
        out += [(start, end)] if start < end else [(start, DAY_H), (0.0, end)]
    return sorted(s for s in out if s[1] > s[0])


def _hm(h: float) -> str:
    m = round(h * 60)
    return f"{m // 60:02d}:{m % 60:02d}"


def _text(segments: Spells) -> str:
    return ";".join(f"{_hm(a)}-{_hm(b)}" for a, b in segments)


def _week_text(spells: Spells) -> str:
    """Spells in hours of the week as window text: each day's hours, days in a row with the same hours as a
    range ("Mon-Fri 06:00-20:00;Sat-Sun closed"); a spell across midnight is split there."""
    by_day = [tuple((max(a, DAY_H * d) - DAY_H * d, min(b, DAY_H * (d + 1)) - DAY_H * d)
                    for a, b in spells if a < DAY_H * (d + 1) and b > DAY_H * d) for d in range(7)]
    parts, d = [], 0
    while d < 7:
        e = d
        while e + 1 < 7 and by_day[e + 1] == by_day[d]:
            e += 1
        days = DAYS[d] if e == d else f"{DAYS[d]}-{DAYS[e]}"
        hours = by_day[d]
        if not hours:
            parts.append(f"{days} closed")
        elif len(hours) == 1 and _hm(hours[0][0]) == "00:00" and _hm(hours[0][1]) == "24:00":
            parts.append(f"{days} always")
        else:
            parts += [f"{days} {_hm(a)}-{_hm(b)}" for a, b in hours]
        d = e + 1
    return ";".join(parts)


def _minus(open_: Spells, blocked: Spells) -> Spells:
    """The parts of sorted open spells outside sorted blocked ones."""
    out: Spells = []
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
    return out


def subtract(window_text: str | None, blocked_text: str | None) -> str:
    """The hours of `window_text` (empty = always open) outside `blocked_text`, as window text: daily when both
    are daily, by day of the week when either names days. Raises ValueError when nothing is left (a link that
    could never be entered)."""
    window, blocked = parse_window(window_text), parse_window(blocked_text)
    if not blocked:
        return window_text or ""
    if isinstance(window, Weekly) or isinstance(blocked, Weekly):
        week = _minus(week_spells(window), week_spells(blocked))
        if not week:
            raise ValueError(f"no hour of {window_text or 'the week'} is left outside {blocked_text}")
        return _week_text(week)
    out = _minus(_segments(window) or [(0.0, DAY_H)], _segments(blocked))
    if not out:
        raise ValueError(f"no hour of {window_text or 'the day'} is left outside {blocked_text}")
    if len(out) > 1 and out[0][0] == 0.0 and out[-1][1] == DAY_H:  # join across midnight
        out = [(out[-1][0], out[0][1]), *out[1:-1]]
    return _text(out)
