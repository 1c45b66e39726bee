"""The one filter every export takes: a date range of local days, a grid, a status, a category.

Each kind reads the dates on its own time (a need when it was received, a booking when it starts, a
signup when its event starts, an answer when it was given) and ignores nothing silently: the shell
refuses a filter a kind cannot apply (bot/export/kinds.py says which)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import false

from kernel.config import Config


@dataclass(frozen=True)
class ExportFilter:
    date_from: date | None = None   # local days, inclusive
    date_to: date | None = None
    grid: int | None = None
    status: str | None = None       # a status code of the kind (needs also: open, done)
    category: str | None = None     # a need category code (needs only)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """[start, end) as aware datetimes: from the start of date_from to the end of date_to."""
        start = datetime.combine(self.date_from, time(0), tzinfo=tz) if self.date_from else None
        end = datetime.combine(self.date_to + timedelta(days=1), time(0), tzinfo=tz) if self.date_to else None
        return start, end


def within(column: Any, f: ExportFilter, tz: ZoneInfo) -> list[Any]:
    """SQL conditions keeping `column` (a UTC datetime column) inside the filter's days."""
    start, end = f.bounds(tz)
    conds = []
    if start is not None:
        conds.append(column >= start)
    if end is not None:
        conds.append(column < end)
    return conds


def in_grid(topic_column: Any, f: ExportFilter, config: Config) -> list[Any]:
    """SQL conditions keeping rows raised in the filtered grid's family group (bookings, signups and
    answers belong to the group they came from; private ones to no grid)."""
    if f.grid is None:
        return []
    grid = config.grid_by_number(f.grid)
    return [topic_column == grid.group] if grid is not None else [false()]
