"""Calendar time: a scenario may say when t = 0 is (`start`, a date and time) and which day is C-day (`c_day`,
by default the start's day). Model time stays hours from the start; the outputs show the date and the C+day
beside the hours. An RDD may be given as a date (`forces[].rdd`): a unit meets it if it closes by the end of
that day."""

from __future__ import annotations

import math
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
