"""The charts page: 三率 over time, needs by category and grid, hot words, and — when those modules are
room utilisation (room × hour), 人气指数 and survey results. Every number comes from the capability's
own read operation, on the read session; the room, popularity and survey cards are guarded so the
page never fails because one of them does. This module gathers the cards (the SVG drawn by
bot/web/charts.py, which escapes its labels); templates/charts.html lays them out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from markupsafe import Markup

from bot.web import charts as C
from texts import inbox as X
from bot.web.auth import WebActor
from models import booking_stats as stats
from models import inbox as M
from models import needs as N
from models import surveys

log = logging.getLogger("gridbot.inbox")

PERIODS = {7: "近7天", 30: "近30天", 90: "近90天", 365: "近一年"}


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.0f}%"


@dataclass
class Card:
    """One chart card: a title, a chart (SVG), a note under it; a survey card has a chart per question."""
    title: str
    svg: Markup | None = None
    note: str = ""
    lead: str = ""
    blocks: list[tuple[str, Markup]] = field(default_factory=list)


def _card(title: str, svg: str, note: str = "") -> Card:
    return Card(title, Markup(svg), note)


async def _rates(core: Any, where: Any, today: date) -> Card:
    tz = core.config.timezone
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=i) for i in range(11, -1, -1)]
    labels, response, resolution, satisfaction = [], [], [], []
    async with core.reads() as session:
        for w in weeks:
            lo = datetime.combine(w, time(0), tzinfo=tz)
            rates = await N.three_rates(session, lo, lo + timedelta(days=7), where=where)
            labels.append(f"{w.month}/{w.day}")
            response.append(rates.response_rate)
            resolution.append(rates.resolution_rate)
            satisfaction.append(rates.satisfaction_rate)
    svg = C.line_chart(labels, [("响应率", response), ("解决率", resolution), ("满意率", satisfaction)],
                       title=X.CHART_RATES, empty_text=X.CHART_EMPTY)
    return _card(X.CHART_RATES, svg, X.CHART_RATES_NOTE)


async def _rooms(core: Any, today: date) -> Card:
    try:
        async with core.reads() as session:
            u = await stats.utilisation(session, core.config, today - timedelta(days=27), today)
        hours = list(range(6, 23))
        matrix = [[u.by_hour[r][h] for h in hours] for r in u.rooms]
        svg = C.heat_map(u.rooms, [f"{h}" for h in hours], matrix, title=X.CHART_ROOMS, empty_text=X.CHART_EMPTY)
        overall = "、".join(f"{r} {_pct(u.by_room.get(r))}" for r in u.rooms if u.by_room.get(r))
        return _card(X.CHART_ROOMS, svg, f"颜色越深越忙;灰色为不开放时段。{('整体: ' + overall) if overall else ''}")
    except Exception:
        log.exception("charts: room utilisation unavailable")
        return _card(X.CHART_ROOMS, C.empty(X.CHART_ROOMS, X.CHART_UNAVAILABLE))


async def _popularity(core: Any, today: date) -> Card | None:
    try:
        async with core.reads() as session:
            for period in ("week", "month", "year"):
                rows = await stats.popularity(session, period, today)
                if rows:
                    break
        name = X.PERIOD_NAMES.get(period, period)
        title = X.CHART_POPULARITY.format(period=name)
        if not rows:
            return _card(X.CHART_POPULARITY.format(period=X.PERIOD_NAMES["week"]),
                         C.empty(title, X.CHART_EMPTY), "每日统计任务运行后显示。")
        centre = next((r for r in rows if r.key == "centre"), None)
        bars = [(r.key, r.value) for r in rows if r.key != "centre"][:10]
        note = f"中心日均人气 {centre.value:g}(预约 {centre.bookings} 人次,到场 {centre.checkins} 人次)" if centre else ""
        return _card(title, C.bar_chart(bars, title=title, colour=C.PALETTE[3], empty_text=X.CHART_EMPTY,
                                        value_format="{:g}"), note)
    except Exception:
        log.exception("charts: popularity unavailable")
        return None


async def _surveys(core: Any) -> list[Card]:
    out = []
    try:
        async with core.reads() as session:
            items = await surveys.list_surveys(session)
            items = sorted(items, key=lambda s: s.id, reverse=True)[:2]
            for s in items:
                res = await surveys.results(session, core.config, s.code)
                card = Card(X.CHART_SURVEY.format(title=res.title), lead=f"共 {res.responses} 份回答(第{res.round}轮)")
                for q in res.questions:
                    if q.options:
                        card.blocks.append((f"{q.number}. {q.text}", Markup(C.bar_chart(
                            q.options, title=q.text, colour=C.PALETTE[2], label_width=150, empty_text=X.CHART_EMPTY))))
                    elif q.ratings:
                        avg = f"(平均 {q.average})" if q.average is not None else ""
                        card.blocks.append((f"{q.number}. {q.text} {avg}", Markup(C.bar_chart(
                            [(f"{i}分", n) for i, n in enumerate(q.ratings, 1)],
                            title=q.text, colour=C.PALETTE[2], empty_text=X.CHART_EMPTY))))
                out.append(card)
    except Exception:
        log.exception("charts: survey results unavailable")
        return []
    return out


async def charts_view(core: Any, actor: WebActor, query: Any) -> dict[str, Any]:
    """The values of templates/charts.html: the period links, the tiles and the cards."""
    config = core.config
    tz = config.timezone
    try:
        days = int(query.get("days") or 30)
    except ValueError:
        days = 30
    days = days if days in PERIODS else 30
    today = core.clock.now().astimezone(tz).date()
    end = datetime.combine(today + timedelta(days=1), time(0), tzinfo=tz)
    start = end - timedelta(days=days)
    # Every number is over what this user may see in the list (a department: what was handed to it).
    grid = actor.scope.grid if actor.role == M.WebRole.WORKER else None
    scope, where = actor.scope, actor.scope.clause()
    async with core.reads() as session:
        rates = await N.three_rates(session, start, end, where=where)
        cats = await M.counts_by(session, "category", start, end, scope)
        grids = await M.counts_by(session, "grid", start, end, scope)
    try:
        async with core.reads() as session:
            hot = await N.hot_words(session, start, end, top=12, grid=grid, where=None if grid else where,
                                    suggestions=actor.sees_suggestions)
    except Exception:
        log.exception("charts: hot words unavailable")
        hot = []

    scope_name = (f"网格{grid}" if grid is not None else actor.scope.department
                  if actor.role == M.WebRole.DEPARTMENT else "全社区")
    tiles = [("受理", f"{rates.received}"), ("紧急", f"{rates.urgent}"), ("在办", f"{rates.open}"),
             ("响应率", _pct(rates.response_rate)), ("解决率", _pct(rates.resolution_rate)),
             ("满意率", _pct(rates.satisfaction_rate))]
    cards = [await _rates(core, where, today),
             _card(X.CHART_CATEGORY, C.bar_chart([(N.CATEGORY_NAMES.get(c, c or "其他"), n) for c, n in cats],
                                                 title=X.CHART_CATEGORY, unit="件", empty_text=X.CHART_EMPTY)),
             _card(X.CHART_GRID, C.bar_chart([(f"网格{g}" if g is not None else "未分网格", n) for g, n in grids],
                                             title=X.CHART_GRID, unit="件", colour=C.PALETTE[4],
                                             empty_text=X.CHART_EMPTY)),
             _card(X.CHART_HOT, C.bar_chart(hot, title=X.CHART_HOT, colour=C.PALETTE[0], label_width=100,
                                            empty_text=X.CHART_EMPTY)),
             await _rooms(core, today)]
    popularity = await _popularity(core, today)
    if popularity is not None:
        cards.append(popularity)
    cards += await _surveys(core)
    return {"periods": list(PERIODS.items()), "days": days, "scope_name": scope_name, "tiles": tiles,
            "cards": cards}
