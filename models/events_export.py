"""`gridbot export signups`: every signup with its event, for staff (full names — the masked roster is
only what groups see). Keys per CONTRACTS §4: event, person, party_size, status, position; more besides."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from bot.export import ExportKind, Rows, register
from models.events import Event, Signup, SignupStatus

STATUS_ZH = {
    SignupStatus.CONFIRMED: "已报名", SignupStatus.OFFERED: "递补待确认", SignupStatus.WAITING: "候补",
    SignupStatus.CANCELLED: "已取消", SignupStatus.REMOVED: "已移除", SignupStatus.EXPIRED: "递补过期",
}
_ORDER = {SignupStatus.CONFIRMED: 0, SignupStatus.OFFERED: 0, SignupStatus.WAITING: 1}


async def read_signups(session: AsyncSession, config: Config) -> Rows:
    tz = config.timezone
    rows = (await session.execute(
        select(Signup, Event).join(Event, Event.id == Signup.event_id).order_by(Event.id, Signup.seq, Signup.id))).all()
    out: Rows = []
    counters: dict[tuple[int, int], int] = {}
    ordered = sorted(rows, key=lambda r: (r[1].id, _ORDER.get(SignupStatus(r[0].status), 2), r[0].seq))
    for s, e in ordered:
        bucket = _ORDER.get(SignupStatus(s.status))
        position = None
        if bucket is not None:   # roster number for places held, queue position for the waiting list
            counters[(e.id, bucket)] = counters.get((e.id, bucket), 0) + 1
            position = counters[(e.id, bucket)]
        out.append({
            "event": e.code, "title": e.title, "starts_at": e.starts_at.astimezone(tz), "place": e.place,
            "person": s.name, "party_size": s.party_size, "status": s.status, "status_zh": STATUS_ZH[SignupStatus(s.status)],
            "position": position, "group": s.group_topic, "contact_id": s.contact_id, "added_by": s.added_by,
            "source": s.source, "signed_up_at": s.created_at.astimezone(tz),
            "checked_in": s.checked_in_at is not None,
            "checked_in_at": s.checked_in_at.astimezone(tz) if s.checked_in_at else None,
            "no_show": s.no_show, "event_status": e.status,
        })
    return out


SIGNUPS = register(ExportKind(
    name="signups",
    sheet_title="活动报名名单",
    columns=(("event", "活动编号"), ("title", "活动"), ("starts_at", "活动时间"), ("place", "地点"),
             ("position", "序号"), ("person", "姓名"), ("party_size", "人数"), ("status_zh", "状态"),
             ("group", "报名群"), ("signed_up_at", "报名时间"), ("checked_in", "已签到"), ("no_show", "爽约")),
    read=read_signups,
))
