"""Calendar time: a scenario may say when t = 0 is (`start`, a date and time) and which day is C-day (`c_day`,
by default the start's day). Model time stays hours from the start; the outputs show the date and the C+day
beside the hours. An RDD may be given as a date (`forces[].rdd`): a unit meets it if it closes by the end of
that day."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any


@dataclass(frozen=True)
class Calendar:
    """The scenario's start (t = 0) and C-day."""

    start: datetime
    c_day: date

    @classmethod
    def of(cls, scenario: dict[str, Any]) -> Calendar | None:
        """The calendar of a scenario as written (its model_dump in JSON mode); None without a start."""
        start = scenario.get("start")
        if not start:
            return None
        t0 = start if isinstance(start, datetime) else datetime.fromisoformat(str(start))
        c = scenario.get("c_day")
        c_day = t0.date() if not c else (c if isinstance(c, date) else date.fromisoformat(str(c)))
        return cls(t0, c_day)

    def at(self, h: float) -> datetime:
        """The date and time `h` hours after the start."""
        return self.start + timedelta(hours=h)

    def c_plus(self, h: float) -> int:
        """The C+day of the time `h` hours after the start (C-day itself is C+0; the day before, C-1)."""
        return (self.at(h).date() - self.c_day).days

    def iso(self, h: float | None) -> str | None:
        """ISO date and time (to the minute) of `h` hours after the start; None for no time."""
        if h is None or (isinstance(h, float) and math.isnan(h)):
            return None
        return self.at(h).isoformat(timespec="minutes")

    def words(self, h: float | None) -> str:
        """'C+32 Fri 19 Mar 16:11' for a time after the start; '' for no time."""
        if h is None or (isinstance(h, float) and math.isnan(h)):
            return ""
        t = self.at(h)
        c = self.c_plus(h)
        return f"C{c:+d} {t:%a %d %b %H:%M}"


def clock_of(start: datetime) -> float:
    """Clock time of a date and time, in hours after midnight."""
    return start.hour + start.minute / 60.0 + start.second / 3600.0


def week_hour_of(start: datetime) -> float:
    """Hours since Monday 00:00 of the week of a date and time (0 to 168): where t = 0 falls in the week, for
    windows by day of the week."""
    return start.weekday() * 24.0 + clock_of(start)


def rdd_hours(rdd: date, start: datetime) -> float:
    """An RDD date as hours from the start: the end of that day (a unit closing any time on it is not late)."""
    end = datetime.combine(rdd + timedelta(days=1), time(0), tzinfo=start.tzinfo)
    return (end - start).total_seconds() / 3600.0


WHEN_FORMS = ("hours after the start (`75.5`)", "a C+day with an optional clock time (`C+3`, `C+3 06:00`, `C-1 "
              "22:00`)", "a date and time (`2027-02-04T06:00`; needs the scenario's start)")
_WHEN = re.compile(r"^\s*C\s*([+-]\s*\d+)?(?:\s+(\d{1,2}):(\d{2}))?\s*$", re.IGNORECASE)


def parse_when(value: object) -> float | tuple[int, float] | datetime:
    """An exercise time as written: hours after the start (a number), a C+day and clock hours (`C+3 06:00` ->
    (3, 6.0)), or a date and time. Raises ValueError naming the forms when it is none of them."""
    if isinstance(value, bool):
        raise ValueError(f"not a time; give {', '.join(WHEN_FORMS)}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise ValueError("hours after the start must be a finite number, 0 or more")
        return float(value)
    if isinstance(value, datetime):
        return value
    text = str(value).strip()
    try:
        h = float(text)
    except ValueError:
        pass
    else:
        return parse_when(h)
    m = _WHEN.match(text)
    if m:
        day = int(m.group(1).replace(" ", "")) if m.group(1) else 0
        hour, minute = (int(m.group(2)), int(m.group(3))) if m.group(2) else (0, 0)
        if hour > 23 or minute > 59:
            raise ValueError(f"{hour:02d}:{minute:02d} is not a clock time (00:00 to 23:59)")
        return day, hour + minute / 60.0
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a time; give {', '.join(WHEN_FORMS)}") from None


def when_hours(value: object, start: datetime | None, c_day: date | None, start_clock_h: float = 0.0) -> float:
    """An exercise time (parse_when) as hours after the start. A C+day counts from C-day (by default the
    start's day; without a start, the day t = 0 falls on, at clock `start_clock_h`); a date needs a start.
    Raises ValueError for a time before the start or a date without one."""
    when = parse_when(value)
    if isinstance(when, float):
        return when
    if isinstance(when, tuple):
        day, clock = when
        if start is None:
            h = day * 24.0 + clock - start_clock_h
        else:
            first = c_day or start.date()
            at = datetime.combine(first + timedelta(days=day), time(0), tzinfo=start.tzinfo) + timedelta(hours=clock)
            h = (at - start).total_seconds() / 3600.0
    else:
        if start is None:
            raise ValueError("a date needs the scenario's start (start: YYYY-MM-DDTHH:MM); give a C+day or hours")
        h = (when.replace(tzinfo=start.tzinfo) - start).total_seconds() / 3600.0
    if h < -1e-9:
        raise ValueError("before the start of the run")
    return max(h, 0.0)


def format_hours(h: float | None) -> str:
    """Hours with days, '392.8 h (16.4 d)'; 'not closed' when there is no figure (None or NaN)."""
    if h is None or (isinstance(h, float) and math.isnan(h)):
        return "not closed"
    return f"{h:,.1f} h ({h / 24:.1f} d)"
