"""Scheduled pushes (服务直通车): notices, survey posts and the weekly digest, each a row in push_schedules.

APScheduler only fires the periodic tick; what is due is read from these tables. Each firing of a
schedule is a *slot* (its nominal time); the slot's outcome is one row in push_runs, unique per
(schedule, slot): pending (waiting for quiet hours or a holiday to pass), sent, skipped (with a reason)
or cancelled. Each message of a run is claimed in the outbox under the key
`push:<schedule>:<slot>:<group>`, so a restart, a retry or a second instance never sends it twice.

After downtime only the latest missed slot of a schedule is considered: it is sent late if still
within the schedule's grace window, else recorded as skipped; older missed slots are recorded as
skipped ("superseded") — never silently lost, never replayed all at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kernel.calendar_cn import DayRule
from kernel.recurrence import When, WhenError, make_trigger, next_fire, parse_recurrence
from models.base import Base
from models.sql import insert_ignore

DEFAULT_GRACE_MINUTES = 120
MAX_SKIP_RECORDS = 50      # older missed slots recorded one by one up to this many (a minutely cron after a week off)


class PushKind(StrEnum):
    NOTICE = "notice"
    SURVEY = "survey"
    DIGEST = "digest"


class ScheduleStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"          # a one-off push whose slot has been handled


class RunStatus(StrEnum):
    PENDING = "pending"    # due_at not reached yet (moved out of quiet hours / off a holiday), or due now
    SENT = "sent"          # messages queued in the outbox (the sender spaces them out)
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class PushError(Exception):
    """A domain error with a code the handler words (texts/surveys.py)."""

    def __init__(self, code: str, /, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


class PushSchedule(Base):
    __tablename__ = "push_schedules"
    __table_args__ = (Index("ix_push_schedules_due", "status", "next_slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(100), unique=True)   # system schedules: digest:weekly, survey:S1
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str | None] = mapped_column(Text)               # the notice body
    groups: Mapped[list[Any]]                                      # group topics; [] = every grid group
    cron: Mapped[str | None] = mapped_column(String(100))          # standard 5-field cron (local time); None = once
    label: Mapped[str] = mapped_column(String(100))                # how staff wrote it: 每周一 09:00
    once_at: Mapped[datetime | None]
    day_rule: Mapped[str] = mapped_column(String(16), default=DayRule.SKIP_HOLIDAYS)
    urgent: Mapped[bool] = mapped_column(default=False)           # ignores quiet hours and holidays
    grace_minutes: Mapped[int] = mapped_column(default=DEFAULT_GRACE_MINUTES)
    status: Mapped[str] = mapped_column(String(16), default=ScheduleStatus.ACTIVE)
    survey_code: Mapped[str | None] = mapped_column(String(16))
    next_slot: Mapped[datetime | None]                             # the next nominal firing (UTC)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @property
    def code(self) -> str:
        return f"P{self.id}"


class PushRun(Base):
    __tablename__ = "push_runs"
    # manual (立即推送) runs have their own slot space: one per schedule and minute, beside the planned slots
    __table_args__ = (UniqueConstraint("schedule_id", "slot", "manual"), Index("ix_push_runs_due", "status", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("push_schedules.id"))
    slot: Mapped[datetime]                 # nominal time (the claim: one run per schedule and slot)
    due_at: Mapped[datetime]               # when it may actually go (after quiet hours / holidays)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))   # why it moved or was skipped
    manual: Mapped[bool] = mapped_column(default=False)       # 立即推送
    urgent: Mapped[bool] = mapped_column(default=False)
    groups: Mapped[int] = mapped_column(default=0)            # groups targeted
    queued: Mapped[int] = mapped_column(default=0)            # messages newly queued (claims won)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    schedule: Mapped[PushSchedule] = relationship(lazy="joined", innerjoin=True)


# --------------------------------------------------------------------------- operations

async def create_schedule(session: AsyncSession, now: datetime, tz: ZoneInfo, *, kind: PushKind | str, title: str,
                          when: When, created_by: str, text: str | None = None, groups: list[str] | None = None,
                          day_rule: DayRule | str = DayRule.SKIP_HOLIDAYS, urgent: bool = False,
                          grace_minutes: int = DEFAULT_GRACE_MINUTES, key: str | None = None,
                          survey_code: str | None = None) -> PushSchedule:
    if when.cron:
        first = next_fire(when.cron, tz, now)   # strictly after now: "每周一 09:00" said at 09:00 means next week
        if first is None:
            raise PushError("never_fires")
    elif when.once_at is not None:
        first = when.once_at
        if first < now - timedelta(minutes=1):
            raise PushError("in_past", at=first)
    else:
        raise PushError("no_time")
    if when.workdays and DayRule(day_rule) != DayRule.ANY:
        day_rule = DayRule.WORKDAYS
    sched = PushSchedule(key=key, kind=str(kind), title=title[:200], text=text, groups=list(groups or []),
                         cron=when.cron, label=when.label, once_at=when.once_at, day_rule=str(DayRule(day_rule)),
                         urgent=urgent, grace_minutes=grace_minutes, status=ScheduleStatus.ACTIVE,
                         survey_code=survey_code, next_slot=first, created_by=created_by, created_at=now,
                         updated_at=now)
    session.add(sched)
    await session.flush()
    return sched


def parse_push_id(text: str) -> int | None:
    m = re.fullmatch(r"\s*[Pp]?\s*(\d{1,9})\s*", text)
    return int(m.group(1)) if m else None


async def get_schedule(session: AsyncSession, push_id: int, *, lock: bool = False) -> PushSchedule:
    sched = await session.get(PushSchedule, push_id, with_for_update=lock)
    if sched is None:
        raise PushError("not_found", id=push_id)
    return sched


async def list_schedules(session: AsyncSession, *, include_finished: bool = False,
                         kinds: tuple[str, ...] | None = None) -> list[PushSchedule]:
    q = select(PushSchedule).order_by(PushSchedule.next_slot.is_(None), PushSchedule.next_slot, PushSchedule.id)
    if not include_finished:
        q = q.where(PushSchedule.status.in_([ScheduleStatus.ACTIVE, ScheduleStatus.PAUSED]))
    if kinds:
        q = q.where(PushSchedule.kind.in_(kinds))
    return list((await session.scalars(q)).all())


async def pending_runs(session: AsyncSession, schedule_ids: list[int] | None = None) -> list[PushRun]:
    q = select(PushRun).where(PushRun.status == RunStatus.PENDING).order_by(PushRun.due_at)
    if schedule_ids is not None:
        q = q.where(PushRun.schedule_id.in_(schedule_ids))
    return list((await session.scalars(q)).unique().all())


async def pause(session: AsyncSession, now: datetime, push_id: int) -> PushSchedule:
    sched = await get_schedule(session, push_id, lock=True)
    if sched.status == ScheduleStatus.PAUSED:
        raise PushError("already_paused", id=push_id)
    if sched.status != ScheduleStatus.ACTIVE:
        raise PushError("finished", id=push_id, status=sched.status)
    sched.status, sched.updated_at = ScheduleStatus.PAUSED, now
    return sched


async def resume(session: AsyncSession, now: datetime, push_id: int, tz: ZoneInfo) -> PushSchedule:
    """Slots that fell in the pause are not replayed: the schedule continues from its next slot after now
    (a one-off whose time passed during the pause is still sent if within its grace window)."""
    sched = await get_schedule(session, push_id, lock=True)
    if sched.status == ScheduleStatus.ACTIVE:
        raise PushError("not_paused", id=push_id)
    if sched.status != ScheduleStatus.PAUSED:
        raise PushError("finished", id=push_id, status=sched.status)
    sched.status, sched.updated_at = ScheduleStatus.ACTIVE, now
    if sched.cron and sched.next_slot is not None and sched.next_slot <= now:
        missed: list[datetime] = []
        slot: datetime | None = sched.next_slot
        while slot is not None and slot <= now and len(missed) < MAX_SKIP_RECORDS:
            missed.append(slot)
            slot = next_fire(sched.cron, tz, slot)
        await insert_ignore(session, PushRun.__table__, [
            {"schedule_id": sched.id, "slot": s, "due_at": s, "status": RunStatus.SKIPPED, "reason": "暂停期间未发送",
             "manual": False, "urgent": False, "groups": 0, "queued": 0, "created_at": now, "done_at": now}
            for s in missed])
        sched.next_slot = next_fire(sched.cron, tz, now)
    return sched


async def cancel(session: AsyncSession, now: datetime, push_id: int) -> PushSchedule:
    sched = await get_schedule(session, push_id, lock=True)
    if sched.status in (ScheduleStatus.CANCELLED, ScheduleStatus.DONE):
        raise PushError("finished", id=push_id, status=sched.status)
    sched.status, sched.next_slot, sched.updated_at = ScheduleStatus.CANCELLED, None, now
    for run in await pending_runs(session, [sched.id]):
        run.status, run.reason, run.done_at = RunStatus.CANCELLED, "取消推送", now
    return sched


async def send_now(session: AsyncSession, now: datetime, push_id: int, *, urgent: bool = False) -> PushRun:
    """立即推送: a run due now (the next tick sends it). Still outside quiet hours unless urgent."""
    sched = await get_schedule(session, push_id, lock=True)
    if sched.status in (ScheduleStatus.CANCELLED,):
        raise PushError("finished", id=push_id, status=sched.status)
    slot = now.replace(second=0, microsecond=0)
    added = await insert_ignore(session, PushRun.__table__, {
        "schedule_id": sched.id, "slot": slot, "due_at": now, "status": RunStatus.PENDING, "manual": True,
        "urgent": urgent or sched.urgent, "groups": 0, "queued": 0, "created_at": now})
    if not added:
        raise PushError("just_sent", id=push_id)
    run = (await session.scalars(select(PushRun).where(PushRun.schedule_id == sched.id, PushRun.slot == slot,
                                                       PushRun.manual.is_(True)))).one()
    return run


# --------------------------------------------------------------------------- what the tick does

@dataclass
class Planned:
    schedule_id: int
    slot: datetime
    superseded: int      # older missed slots recorded as skipped


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


async def plan_due(session: AsyncSession, now: datetime, tz: ZoneInfo, *, limit: int = 500) -> list[Planned]:
    """Turn every schedule whose next slot has come into a pending run (one per schedule and slot).

    Only the latest slot ≤ now counts; earlier missed ones are recorded as skipped. Rows are locked
    with SKIP LOCKED on PostgreSQL, so a second instance plans other schedules (or none) meanwhile;
    the unique (schedule, slot) key is the claim either way."""
    q = (select(PushSchedule).where(PushSchedule.status == ScheduleStatus.ACTIVE, PushSchedule.next_slot <= now)
         .order_by(PushSchedule.id).limit(limit))
    if _dialect(session) == "postgresql":
        q = q.with_for_update(skip_locked=True)
    planned: list[Planned] = []
    for sched in (await session.scalars(q)).all():
        assert sched.next_slot is not None
        slots = [sched.next_slot]
        if sched.cron:
            trigger = make_trigger(sched.cron, tz)
            fire = sched.next_slot.astimezone(tz)
            while True:
                nxt = trigger.get_next_fire_time(fire, fire + timedelta(microseconds=1))
                if nxt is None or nxt > now:
                    sched.next_slot = nxt.astimezone(ZoneInfo("UTC")) if nxt else None
                    break
                slots.append(nxt.astimezone(ZoneInfo("UTC")))
                fire = nxt
                if len(slots) > 100_000:       # a per-minute cron after months off: stop counting
                    sched.next_slot = next_fire(sched.cron, tz, now)
                    break
        else:
            sched.next_slot = None
        if sched.next_slot is None:
            sched.status = ScheduleStatus.DONE
        sched.updated_at = now
        latest, older = slots[-1], slots[:-1]
        rows = [{"schedule_id": sched.id, "slot": s, "due_at": s, "status": RunStatus.SKIPPED,
                 "reason": "停机期间错过,已有更新的一次", "manual": False, "urgent": False, "groups": 0,
                 "queued": 0, "created_at": now, "done_at": now} for s in older[-MAX_SKIP_RECORDS:]]
        if len(older) > MAX_SKIP_RECORDS:
            rows[0]["reason"] = f"停机期间错过(共{len(older)}次,仅记录最近{MAX_SKIP_RECORDS}次)"
        rows.append({"schedule_id": sched.id, "slot": latest, "due_at": latest, "status": RunStatus.PENDING,
                     "reason": None, "manual": False, "urgent": sched.urgent, "groups": 0, "queued": 0,
                     "created_at": now, "done_at": None})
        for i in range(0, len(rows), 200):
            await insert_ignore(session, PushRun.__table__, rows[i:i + 200])
        planned.append(Planned(sched.id, latest, len(older)))
    return planned


async def anything_due(session: AsyncSession, now: datetime) -> bool:
    """One cheap query per tick: is any schedule or pending run due? (Most ticks: no.)"""
    sched_due = select(PushSchedule.id).where(PushSchedule.status == ScheduleStatus.ACTIVE,
                                              PushSchedule.next_slot <= now).limit(1)
    run_due = select(PushRun.id).where(PushRun.status == RunStatus.PENDING, PushRun.due_at <= now).limit(1)
    return bool(await session.scalar(select(sched_due.exists() | run_due.exists())))


async def claim_due_runs(session: AsyncSession, now: datetime, *, limit: int = 100) -> list[PushRun]:
    """Pending runs whose time has come, locked (SKIP LOCKED on PostgreSQL) for this transaction."""
    q = (select(PushRun).where(PushRun.status == RunStatus.PENDING, PushRun.due_at <= now)
         .order_by(PushRun.due_at, PushRun.id).limit(limit))
    if _dialect(session) == "postgresql":
        # lock only push_runs (the joined schedule row stays free for staff commands)
        q = q.with_for_update(skip_locked=True, of=PushRun)
    return list((await session.scalars(q)).unique().all())


def finish(run: PushRun, now: datetime, status: RunStatus, reason: str | None = None, *, groups: int = 0,
           queued: int = 0) -> None:
    run.status, run.done_at, run.groups, run.queued = status, now, groups, queued
    if reason is not None:
        run.reason = reason[:200]


def push_key(run: PushRun, topic: str) -> str:
    """The outbox claim of one push to one group: schedule, slot, group."""
    slot = f"{run.slot.astimezone(ZoneInfo('UTC')):%Y%m%d%H%M%S}" + ("m" if run.manual else "")
    return f"push:{run.schedule_id}:{slot}:{topic}"


async def runs_of(session: AsyncSession, push_id: int) -> list[PushRun]:
    return list((await session.scalars(
        select(PushRun).where(PushRun.schedule_id == push_id).order_by(PushRun.slot))).unique().all())


async def ensure_schedule(session: AsyncSession, now: datetime, tz: ZoneInfo, *, key: str, **kwargs: Any) -> bool:
    """Create a system schedule (e.g. the weekly digest) once; True if it was created now."""
    existing = await session.scalar(select(PushSchedule.id).where(PushSchedule.key == key))
    if existing is not None:
        return False
    when: When = kwargs.pop("when")
    first = next_fire(when.cron, tz, now, inclusive=False) if when.cron else when.once_at
    values = {"key": key, "kind": str(kwargs.pop("kind")), "title": kwargs.pop("title"), "text": kwargs.pop("text", None),
              "groups": kwargs.pop("groups", []), "cron": when.cron, "label": when.label, "once_at": when.once_at,
              "day_rule": str(kwargs.pop("day_rule", DayRule.SKIP_HOLIDAYS)), "urgent": False,
              "grace_minutes": kwargs.pop("grace_minutes", DEFAULT_GRACE_MINUTES), "status": ScheduleStatus.ACTIVE,
              "survey_code": None, "next_slot": first, "created_by": kwargs.pop("created_by", "system"),
              "created_at": now, "updated_at": now}
    return await insert_ignore(session, PushSchedule.__table__, values) == 1


__all__ = [
    "DEFAULT_GRACE_MINUTES", "PushKind", "ScheduleStatus", "RunStatus", "PushError", "PushSchedule", "PushRun", "When",
    "WhenError", "parse_recurrence", "make_trigger", "next_fire", "create_schedule", "parse_push_id", "get_schedule",
    "list_schedules", "pending_runs", "pause", "resume", "cancel", "send_now", "plan_due", "anything_due",
    "claim_due_runs", "finish",
    "push_key", "runs_of", "ensure_schedule",
]
