"""The list of scheduled jobs, in the order a tick runs them. Capabilities add theirs here."""

from __future__ import annotations

from datetime import timedelta

from models.conversation import purge_expired
from models.messages import forget_before
from scheduler.ticker import Job, TickContext


async def housekeeping(tc: TickContext) -> None:
    await purge_expired(tc.session, tc.now)
    await forget_before(tc.session, tc.now - timedelta(days=7))


def all_jobs() -> list[tuple[str, Job]]:
    return [("housekeeping", housekeeping)]
