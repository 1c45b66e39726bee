"""The 月报 as an xlsx: one printable sheet per table of models.monthly_report (same writer, styles and
print set-up as the ledgers)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.export.base import Column
from bot.export.tabular import Sheet, workbook
from kernel.config import Config
from models.monthly_report import MonthlyReport, as_cells

RATES = (Column("name", "范围", 10), Column("received", "受理", 6, "int"), Column("responded", "按时响应", 8, "int"),
         Column("response_rate", "响应率", 8), Column("resolved", "办结", 6, "int"),
         Column("resolution_rate", "解决率", 8), Column("rated", "已评价", 7, "int"),
         Column("satisfied", "满意+基本满意", 9, "int"), Column("satisfaction_rate", "满意率", 8),
         Column("urgent", "紧急", 6, "int"), Column("overdue", "超时", 6, "int"))
OVERDUE = (Column("code", "诉求编号", 15), Column("created_at", "受理时间", 16, "datetime"),
           Column("grid_name", "网格", 6), Column("category_name", "类别", 9), Column("status_name", "状态", 10, "wrap"),
           Column("holder", "承办", 10), Column("text", "诉求内容", 40, "wrap"))
HOT = (Column("rank", "名次", 5, "int"), Column("word", "热词", 12), Column("count", "次数", 6, "int"))
ROOMS = (Column("room", "功能室", 14), Column("open_hours", "开放小时", 9), Column("booked_hours", "预约小时", 9),
         Column("utilisation", "使用率", 8))
POPULARITY = (Column("name", "范围", 14), Column("value", "人气指数", 9), Column("bookings", "预约人次", 9, "int"),
              Column("checkins", "签到人次", 9, "int"), Column("attendance", "活动人次", 9, "int"))


def _table(columns: Sequence[Column], rows: Sequence[Any]) -> list[list[Any]]:
    return [[as_cells(r).get(c.key) for c in columns] for r in rows]


def report_xlsx(report: MonthlyReport, config: Config) -> bytes:
    head = f"{config.community} {report.label}月报({report.scope_name})"
    sheets = [
        Sheet("三率-网格", RATES, _table(RATES, [*report.by_grid, report.total]), f"{head} · 三率(按网格)"),
        Sheet("三率-类别", RATES, _table(RATES, [*report.by_category, report.total]), f"{head} · 三率(按类别)"),
        Sheet("超时诉求", OVERDUE, _table(OVERDUE, report.overdue), f"{head} · 超时诉求 {len(report.overdue)} 件"),
        Sheet("热词", HOT, _table(HOT, report.hot_words), f"{head} · 热词"),
        Sheet("功能室使用率", ROOMS, _table(ROOMS, report.rooms), f"{head} · 功能室使用率"),
        Sheet("人气指数", POPULARITY, _table(POPULARITY, report.popularity), f"{head} · 人气指数"),
    ]
    return workbook(sheets, config, f"{report.label}月报")


def filename(report: MonthlyReport) -> str:
    return f"monthly-{report.month:%Y-%m}.xlsx"
