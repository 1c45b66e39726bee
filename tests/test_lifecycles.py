"""Bookings, waitlist entries, events and signups change status only through their lifecycle tables
(models/lifecycle.py): each move is legal by the table and leaves an audit row (who, what, when, why),
and the event↔room orchestration lives in the model operations, so a caller without chat handlers (the
web, the CLI) cannot leak a room booking."""

from __future__ import annotations

import ast
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from models import booking as B
from models import events as EV
from models.db import transaction
from models.outbox import Outbox, OutboxMessage
from notices import events as event_notices
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]


def _at(h, text: str) -> datetime:  # type: ignore[no-untyped-def]
    return datetime.fromisoformat(text).replace(tzinfo=h.config.timezone)


@pytest.mark.parametrize("module", ["models/booking.py", "models/events.py"])
def test_no_status_is_assigned_outside_the_lifecycle(module: str) -> None:
    """A new `x.status = …` would skip the table and the audit row: the lifecycle's move() is the way."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    direct = [node.lineno for node in ast.walk(tree) if isinstance(node, (ast.Assign, ast.AugAssign))
              for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
              for t in (target.elts if isinstance(target, ast.Tuple) else [target])
              if isinstance(t, ast.Attribute) and t.attr == "status"]
    assert not direct, f"{module}: status assigned directly at lines {direct}"


def test_the_tables_say_which_moves_are_legal() -> None:
    # What the web may offer as buttons for a booking waiting for approval, and for a finished one.
    assert set(B.BOOKING.legal_actions(B.Status.PENDING)) == {"approve", "reject", "reschedule", "cancel", "close",
                                                              "expire"}
    assert B.BOOKING.legal_actions(B.Status.CANCELLED) == []
    assert EV.SIGNUP.target(EV.SignupStatus.CANCELLED, "join") == EV.SignupStatus.CONFIRMED


async def test_an_illegal_move_is_refused_with_the_capabilitys_error(harness) -> None:  # type: ignore[no-untyped-def]
    now = harness.clock.now()
    async with transaction(harness.core.sessions) as s:
        b = await B.create_booking(s, now, harness.config, room="钢琴房", person_id="wx_zhang", person_name="张阿姨",
                                   start=_at(harness, "2026-11-24 15:00"), end=_at(harness, "2026-11-24 16:00"))
        await B.cancel_booking(s, now, b.code, by_id="wx_zhang", by_name="张阿姨")
        with pytest.raises(B.BookingError) as refused:
            B.BOOKING.move(s, now, b, "approve", actor_id="wx_li")
        assert refused.value.code == "not_active"
        _, trail = await B.booking_trail(s, b.code)
    assert [(e.action, e.from_status, e.to_status, e.actor_name) for e in trail] == [
        ("book", None, "confirmed", "张阿姨"), ("cancel", "confirmed", "cancelled", "张阿姨")]


async def test_a_web_cancel_releases_the_events_room(harness) -> None:  # type: ignore[no-untyped-def]
    """Publishing books the room and cancelling frees it, through the model alone (no chat handler)."""
    now = harness.clock.now()
    spec = EV.EventSpec(title="反诈讲座", starts_at=_at(harness, "2026-11-27 14:30"), place="多功能厅", capacity=30)
    async with transaction(harness.core.sessions) as s:
        published = await EV.publish(s, now, harness.config, spec, by_id="wx_li", by_name="李书记",
                                     groups=["网格1一家亲"], room="多功能厅")
        assert published.room is not None and published.room.error is None
        code = published.room.code
        assert code is not None
    async with transaction(harness.core.sessions) as s:
        done = await EV.cancel_event(s, now, published.event.id, by="wx_li", by_name="李书记", reason="场地维修")
        assert done.released == code
        booking, trail = await B.booking_trail(s, code)
        assert booking.status == B.Status.CANCELLED
        assert trail[-1].actor_name == "李书记" and trail[-1].action == "cancel"
        # The same slot is free again for residents.
        again = await B.create_booking(s, now, harness.config, room="多功能厅", person_id="wx_zhang",
                                       person_name="张阿姨", start=booking.start_at, end=booking.end_at,
                                       quota=False)
        assert again.status in (B.Status.PENDING, B.Status.CONFIRMED)


async def test_moving_an_event_moves_its_room_and_is_on_the_trail(harness) -> None:  # type: ignore[no-untyped-def]
    now = harness.clock.now()
    spec = EV.EventSpec(title="书法课", starts_at=_at(harness, "2026-11-27 14:30"), place="书画室", capacity=10)
    async with transaction(harness.core.sessions) as s:
        published = await EV.publish(s, now, harness.config, spec, by_id="wx_li", by_name="李书记",
                                     groups=["网格1一家亲"], room="书画室")
        assert published.room is not None and published.room.code
        res = await EV.update_event(s, now, published.event.id, by="wx_wang", by_name="王网格员",
                                    config=harness.config, starts_at=_at(harness, "2026-11-28 09:30"))
        assert res.room.moved is not None and res.room.moved.error is None
        booking, _ = await B.booking_trail(s, published.room.code)
        assert booking.start_at == _at(harness, "2026-11-28 09:30")
        lines = await EV.event_trail(s, published.event.id)
    assert [(t.event.action, t.event.actor_name) for t in lines] == [("publish", "李书记"), ("edit", "王网格员")]


async def test_a_promotion_is_told_once_however_often_it_is_reported(harness) -> None:  # type: ignore[no-untyped-def]
    now = harness.clock.now()
    spec = EV.EventSpec(title="花灯", starts_at=_at(harness, "2026-11-28 14:30"), place="社区活动室", capacity=1)
    async with transaction(harness.core.sessions) as s:
        event = await EV.publish_event(s, now, spec, created_by="wx_li", groups=["网格1一家亲"])
        first = await EV.sign_up(s, now, event.id, name="张阿姨", contact_id="wx_zhang", party_size=1,
                                 group="网格1一家亲", added_by="wx_zhang")
        await EV.sign_up(s, now, event.id, name="马阿姨", contact_id="wx_ma", party_size=1, group=None,
                         added_by="wx_ma")
        res = await EV.cancel_signup(s, now + timedelta(minutes=1), event.id, first.signup.id, by="wx_zhang")
        assert [p.name for p in res.promoted] == ["马阿姨"]
        out = Outbox(s, account="wx_bot", now=now, origin=None)
        for _ in range(2):      # a retried tick, a second instance
            await event_notices.promoted(out, res.event, res.promoted, harness.config.timezone)
        told = await s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.chat_id == "wx_ma"))
    assert told == 1
