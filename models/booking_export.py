"""Export kind "bookings" (CONTRACTS §4): code, room, person, start, end, party_size, status, and more."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from bot.export import ExportKind, register
from models.booking import Booking

COLUMNS: tuple[tuple[str, str], ...] = (
    ("code", "预约号"),
    ("room", "功能室"),
    ("person", "预约人ID"),
    ("person_name", "预约人"),
    ("start", "开始时间"),
    ("end", "结束时间"),
    ("party_size", "人数/座位"),
    ("status", "状态"),
    ("status_text", "状态说明"),
    ("purpose", "用途"),
    ("created_at", "提交时间"),
    ("checked_in_at", "签到时间"),
    ("decided_by", "处理人"),
    ("reason", "备注"),
)

STATUS_TEXT = {
    "pending": "待审批", "confirmed": "已预约", "offered": "候补待确认", "checked_in": "已签到",
    "cancelled": "已取消", "rejected": "未通过", "no_show": "未签到已释放", "expired": "已失效",
}


async def read_bookings(session: AsyncSession, config: Config) -> list[dict[str, Any]]:
    rows = (await session.scalars(select(Booking).order_by(Booking.start_at, Booking.id))).all()
    return [{
        "code": b.code, "room": b.room_name, "person": b.person_id, "person_name": b.person_name,
        "start": b.start_at.astimezone(config.timezone), "end": b.end_at.astimezone(config.timezone),
        "party_size": b.party_size, "status": b.status, "status_text": STATUS_TEXT.get(b.status, b.status),
        "purpose": b.purpose or None,
        "created_at": b.created_at.astimezone(config.timezone),
        "checked_in_at": b.checked_in_at.astimezone(config.timezone) if b.checked_in_at else None,
        "decided_by": b.decided_by, "reason": b.reason,
    } for b in rows]


KIND = register(ExportKind(name="bookings", sheet_title="功能室预约台账", columns=COLUMNS, read=read_bookings))
