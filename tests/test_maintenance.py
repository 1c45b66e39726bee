"""The scheduled maintenance job: old delivered replies and stale suggestions go, what the sender,
the once-only claims of notices and the needs still need stays; SQLite gives free pages back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from models.needs import Suggestion, SuggestionStatus
from models.outbox import OutboxMessage, OutboxStatus
from tests.harness import Harness


async def _outbox_row(session, key: str, status: OutboxStatus, created) -> None:  # type: ignore[no-untyped-def]
    session.add(OutboxMessage(key=key, account="bot", chat_kind="group", chat_id="网格1一家亲", text="好的",
                              mentions=[], reply_to=None, priority=1, status=str(status), created_at=created,
                              next_attempt_at=created, attempts=1, sent_at=created if status == OutboxStatus.SENT else None))


async def _suggestion(session, text_: str, status: SuggestionStatus, created) -> None:  # type: ignore[no-untyped-def]
    session.add(Suggestion(created_at=created, grid=1, chat="网格1一家亲", sender_id="wx_zhang", sender_name="张阿姨",
                           text=text_, category="repair", urgent=False, building=3, status=str(status)))


async def test_old_replies_and_stale_suggestions_are_pruned_the_rest_kept(config, db_url) -> None:
    h = await Harness.create(config, db_url)
    try:
        now = h.clock.now()
        days = lambda n: now - timedelta(days=n)   # noqa: E731
        async with h.core.sessions() as s, s.begin():
            await _outbox_row(s, "msg:bot:old-sent:1", OutboxStatus.SENT, days(40))        # gone (30 days)
            await _outbox_row(s, "msg:bot:old-failed:1", OutboxStatus.FAILED, days(31))    # gone
            await _outbox_row(s, "msg:bot:recent:1", OutboxStatus.SENT, days(29))          # kept: young
            await _outbox_row(s, "msg:bot:old-pending:1", OutboxStatus.PENDING, days(90))  # kept: not sent yet
            await _outbox_row(s, "booking-reminder:B100", OutboxStatus.SENT, days(40))     # kept: a notice's claim
            await _outbox_row(s, "booking-reminder:B101", OutboxStatus.SENT, days(181))    # gone (180 days)
            await _suggestion(s, "old open", SuggestionStatus.OPEN, days(91))              # gone (90 days)
            await _suggestion(s, "old dismissed", SuggestionStatus.DISMISSED, days(120))   # gone
            await _suggestion(s, "old confirmed", SuggestionStatus.CONFIRMED, days(200))   # kept: a need's source
            await _suggestion(s, "recent open", SuggestionStatus.OPEN, days(10))           # kept
        await h.core.ticker.tick()
        async with h.core.sessions() as s:
            keys = set((await s.scalars(select(OutboxMessage.key))).all())
            texts = set((await s.scalars(select(Suggestion.text))).all())
        assert keys == {"msg:bot:recent:1", "msg:bot:old-pending:1", "booking-reminder:B100"}
        assert texts == {"old confirmed", "recent open"}

        # It runs every [maintenance] every_minutes, not every tick: a row that ages meanwhile waits.
        async with h.core.sessions() as s, s.begin():
            await _outbox_row(s, "msg:bot:old-sent:2", OutboxStatus.SENT, days(40))
        await h.advance("10m")
        async with h.core.sessions() as s:
            assert await s.scalar(select(func.count()).where(OutboxMessage.key == "msg:bot:old-sent:2")) == 1
        await h.advance("60m")
        async with h.core.sessions() as s:
            assert await s.scalar(select(func.count()).where(OutboxMessage.key == "msg:bot:old-sent:2")) == 0
    finally:
        await h.close()


async def test_new_sqlite_files_vacuum_incrementally(config, tmp_path) -> None:
    h = await Harness.create(config, f"sqlite+aiosqlite:///{tmp_path}/new.db")
    try:
        async with h.core.sessions() as s:
            assert await s.scalar(text("PRAGMA auto_vacuum")) == 2    # INCREMENTAL
        now = h.clock.now()
        async with h.core.sessions() as s, s.begin():
            for i in range(1500):
                await _outbox_row(s, f"msg:bot:m{i}:1", OutboxStatus.SENT, now - timedelta(days=40))
        await h.core.ticker.tick()
        async with h.core.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
            assert await s.scalar(text("PRAGMA freelist_count")) == 0    # the freed pages went back
    finally:
        await h.close()
