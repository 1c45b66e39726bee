"""The four export kinds: where their rows come from (models/*_export.py), the columns a community
prints (CSV and xlsx share them), which filters apply and which statuses they know."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.export.base import Audience, Column, ExportKind
from kernel.config import Config
from models import needs as N
from models.booking_export import booking_rows
from models.events_export import signup_rows
from models.export_filter import ExportFilter
from models.needs_export import ledger_rows
from models.surveys_export import answer_rows
from texts import booking as TB
from texts import exports as X


async def _needs(session: AsyncSession, config: Config, f: ExportFilter, who: Audience) -> list[Any]:
    return await ledger_rows(session, config, filters=f, scope=who.scope, full_phones=who.full_phones)


async def _bookings(session: AsyncSession, config: Config, f: ExportFilter, _who: Audience) -> list[Any]:
    return await booking_rows(session, config, filters=f)


async def _signups(session: AsyncSession, config: Config, f: ExportFilter, _who: Audience) -> list[Any]:
    return await signup_rows(session, config, filters=f)


async def _answers(session: AsyncSession, config: Config, f: ExportFilter, _who: Audience) -> list[Any]:
    return await answer_rows(session, config, filters=f)


DT = 16   # "2026-11-23 09:05"

NEEDS = ExportKind(
    name="needs", sheet_title="民情台账", read=_needs, numbered=True, open311=True, scoped=True,
    statuses={**X.NEED_STATUS_GROUPS, **{str(k): v for k, v in N.STATUS_NAMES.items()}},
    filters=frozenset({"date_from", "date_to", "grid", "status", "category"}),
    columns=(
        Column("code", "诉求编号", 15), Column("created_at", "受理时间", DT, "datetime"),
        Column("grid_name", "网格", 6), Column("building", "楼栋", 5, "int"),
        Column("address", "房号/地址", 13, "wrap"), Column("requester_name", "诉求人", 9),
        Column("phone", "联系电话", 13, "wrap"), Column("source_name", "渠道", 6),
        Column("category_name", "类别", 9), Column("urgent", "紧急", 5, "yesno"),
        Column("text", "诉求内容", 34, "wrap"), Column("status_name", "状态", 10, "wrap"),
        Column("assignee_name", "承办人", 9), Column("department", "转派科室", 9),
        Column("acknowledged_at", "签收时间", DT, "datetime"), Column("deadline", "办理时限", DT, "datetime"),
        Column("overdue", "超时", 5, "yesno"), Column("resolved_at", "办结时间", DT, "datetime"),
        Column("resolution", "办理结果", 22, "wrap"), Column("visited_at", "回访时间", DT, "datetime"),
        Column("satisfaction_name", "满意度", 8), Column("rating_note", "居民意见", 16, "wrap"),
        Column("merged_into", "合并至", 15), Column("photo_count", "照片", 5, "int"),
    ),
)

BOOKINGS = ExportKind(
    name="bookings", sheet_title="功能室预约台账", read=_bookings, statuses=TB.STATUS,
    filters=frozenset({"date_from", "date_to", "grid", "status"}),
    columns=(
        Column("code", "预约号", 8), Column("room", "功能室", 12), Column("person", "预约人ID", 12),
        Column("person_name", "预约人", 10), Column("start", "开始时间", DT, "datetime"),
        Column("end", "结束时间", DT, "datetime"), Column("party_size", "人数/座位", 9, "int"),
        Column("status_name", "状态", 12, "wrap"), Column("group", "预约群", 14),
        Column("purpose", "用途", 20, "wrap"), Column("created_at", "提交时间", DT, "datetime"),
        Column("checked_in_at", "签到时间", DT, "datetime"), Column("decided_by_name", "审批人", 10),
        Column("reason", "备注", 20, "wrap"),
    ),
)

SIGNUPS = ExportKind(
    name="signups", sheet_title="活动报名名单", read=_signups, statuses=X.SIGNUP_STATUS,
    filters=frozenset({"date_from", "date_to", "grid", "status"}),
    columns=(
        Column("event", "活动编号", 9), Column("title", "活动", 16, "wrap"),
        Column("starts_at", "活动时间", DT, "datetime"), Column("place", "地点", 12, "wrap"),
        Column("position", "名单序号", 9, "int"), Column("person", "姓名", 10),
        Column("party_size", "人数", 6, "int"), Column("status_name", "状态", 10),
        Column("group", "报名群", 14), Column("source_name", "报名方式", 9),
        Column("signed_up_at", "报名时间", DT, "datetime"), Column("checked_in", "已签到", 7, "yesno"),
        Column("no_show", "爽约", 6, "yesno"),
    ),
)

SURVEYS = ExportKind(
    name="surveys", sheet_title="问卷答卷", read=_answers,
    filters=frozenset({"date_from", "date_to", "grid"}),
    columns=(
        Column("survey", "问卷", 7), Column("title", "标题", 16, "wrap"), Column("round", "期数", 6, "int"),
        Column("question", "题目", 24, "wrap"), Column("person", "答卷人", 12), Column("name", "称呼", 10),
        Column("household", "户", 10), Column("group", "网格群", 14), Column("channel_name", "渠道", 8),
        Column("answer", "回答", 30, "wrap"), Column("demand_category_name", "诉求类别", 9),
        Column("at", "时间", DT, "datetime"),
    ),
)

KINDS: dict[str, ExportKind] = {k.name: k for k in (NEEDS, BOOKINGS, SIGNUPS, SURVEYS)}
