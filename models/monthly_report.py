"""月报: one month's figures for a community (or what one web user may see), as typed rows that the web
page, its xlsx and `gridbot export monthly` all print. Every number comes from the existing model
functions (models.needs three_rates/rates_by/hot_words, models.inbox's list, models.booking_stats);
this module only chooses the month and the scope and puts the pieces together."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from kernel.privacy import mask_for_viewer
from models import booking_stats as BS
from models import inbox as M
from models import needs as N

OVERDUE_LIMIT = 500
HOT_TOP = 15
_MONTH = re.compile(r"^\s*(\d{4})\s*[-/年.]\s*(\d{1,2})\s*月?\s*$")


class MonthError(ValueError):
    """A month that cannot be read; the message is Chinese, for the page and the CLI."""


def parse_month(text: str) -> date:
    """"2026-11", "2026/11", "2026年11月" → 2026-11-01."""
    m = _MONTH.match(text or "")
    if not m or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2100:
        raise MonthError(f"月份「{(text or '')[:20]}」看不懂,请写成 2026-11 这样的年-月。")
    return date(int(m.group(1)), int(m.group(2)), 1)


def previous_month(now: datetime, config: Config) -> date:
    first = now.astimezone(config.timezone).date().replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def month_last_day(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class RateRow:
    """三率 of one grid, one category or the whole scope."""

    name: str
    received: int
    responded: int
    resolved: int
    rated: int
    satisfied: int
    urgent: int
    overdue: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None

    @classmethod
    def of(cls, name: str, r: N.Rates) -> RateRow:
        return cls(name, r.received, r.responded, r.resolved, r.rated, r.satisfied, r.urgent, r.overdue,
                   r.response_rate, r.resolution_rate, r.satisfaction_rate)


@dataclass(frozen=True)
class OverdueRow:
    code: str
    created_at: datetime
    grid_name: str
    category_name: str
    status_name: str
    holder: str
    text: str           # no phone, name by a phone or room (12栋***): a printed report leaves the system


@dataclass(frozen=True)
class HotWordRow:
    rank: int
    word: str
    count: int


@dataclass(frozen=True)
class RoomRow:
    room: str
    open_hours: float
    booked_hours: float
    utilisation: float | None


@dataclass(frozen=True)
class PopularityRow:
    name: str           # 全中心 or a room
    value: float        # 人气指数 (the centre: a daily average; a room: 0–100 relative to the busiest)
    bookings: int
    checkins: int
    attendance: int


@dataclass(frozen=True)
class MonthlyReport:
    month: date
    scope_name: str
    total: RateRow
    by_grid: list[RateRow]
    by_category: list[RateRow]
    overdue: list[OverdueRow]
    overdue_more: int                 # overdue needs beyond OVERDUE_LIMIT, not listed
    hot_words: list[HotWordRow]
    rooms: list[RoomRow]
    popularity: list[PopularityRow]   # empty until the daily popularity job has run for that month

    @property
    def label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"


def scope_name(scope: M.Scope) -> str:
    if scope.role == M.WebRole.WORKER:
        return f"网格{scope.grid}" if scope.grid is not None else "本人承办"
    if scope.role == M.WebRole.DEPARTMENT:
        return scope.department or ""
    return "全社区"


async def monthly_report(session: AsyncSession, config: Config, month: date, now: datetime, *,
                         scope: M.Scope | None = None) -> MonthlyReport:
    """The 月报 of the calendar month containing `month` (local time), over what `scope` may see
    (None: everything, as the operator at the command line). A need is overdue if it was marked so or
    its clock had run out by the end of the month (or by `now`, for the month under way)."""
    tz = config.timezone
    first, last = month.replace(day=1), month_last_day(month)
    start = datetime.combine(first, time(0), tzinfo=tz)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz)
    scope = scope or M.Scope(role=M.WebRole.ADMIN)
    where = scope.clause()

    total = RateRow.of("合计", await N.three_rates(session, start, end, where=where))
    grids = await N.rates_by(session, start, end, "grid", where=where)
    by_grid = [RateRow.of(f"网格{g}" if g is not None else "未定网格", grids[g])
               for g in sorted(grids, key=lambda g: (g is None, g or 0))]
    cats = await N.rates_by(session, start, end, "category", where=where)
    by_category = [RateRow.of(N.CATEGORY_NAMES.get(c, "其他"), cats[c])
                   for c in sorted(cats, key=lambda c: -cats[c].received)]

    page = await M.inbox_page(session, scope, M.Filters(status="all", overdue=True, date_from=first, date_to=last),
                              min(now, end), tz, limit=OVERDUE_LIMIT)
    overdue = [OverdueRow(r.code, _local(r.created_at, config),
                          f"网格{r.grid}" if r.grid is not None else "", N.CATEGORY_NAMES.get(r.category, "其他"),
                          N.STATUS_NAMES.get(N.Status(r.status), r.status), r.department or r.assignee_name or "",
                          mask_for_viewer(r.text or "")) for r in page.rows]

    grid = scope.grid if scope.role == M.WebRole.WORKER else None
    hot = await N.hot_words(session, start, end, top=HOT_TOP, grid=grid, where=None if grid else where,
                            suggestions=scope.role in (M.WebRole.ADMIN, M.WebRole.WORKER))
    util = await BS.utilisation(session, config, first, last)
    rooms = [RoomRow(r, round(util.open_minutes.get(r, 0) / 60, 1), round(util.booked_minutes.get(r, 0) / 60, 1),
                     util.by_room.get(r)) for r in util.rooms]
    pop = [PopularityRow("全中心" if p.key == "centre" else p.key, p.value, p.bookings, p.checkins, p.attendance)
           for p in await BS.popularity(session, "month", first)]
    return MonthlyReport(first, scope_name(scope), total, by_grid, by_category, overdue,
                         max(0, page.total - len(overdue)), [HotWordRow(i, w, c) for i, (w, c) in enumerate(hot, 1)],
                         rooms, pop)


def _local(value: datetime, config: Config) -> datetime:
    """SQLite hands back naive UTC datetimes."""
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(config.timezone)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def as_cells(row: Any) -> dict[str, Any]:
    """A row for the xlsx/CSV writer: rates as 12.5% text, everything else as it is."""
    out = dict(vars(row))
    for key in ("response_rate", "resolution_rate", "satisfaction_rate", "utilisation"):
        if key in out:
            out[key] = percent(out[key])
    return out
