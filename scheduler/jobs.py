"""The list of scheduled jobs, in the order a tick runs them. Each capability's scheduler module
exposes `jobs() -> list[tuple[str, Job]]`."""

from __future__ import annotations

from datetime import timedelta

from models.conversation import purge_expired
from models.messages import forget_before
from models.photos import forget_unclaimed
from scheduler import booking_jobs, event_jobs, maintenance, needs_clocks, pushes
from scheduler.ticker import Job, TickContext


async def housekeeping(tc: TickContext) -> None:
    await forget_unclaimed(tc.session, tc.config, tc.now)     # before the items that hold them are purged
    await purge_expired(tc.session, tc.now)
    await forget_before(tc.session, tc.now - timedelta(days=7))


def all_jobs() -> list[tuple[str, Job]]:
    return [*needs_clocks.jobs(), *booking_jobs.jobs(), *event_jobs.jobs(), *pushes.jobs(),
            ("housekeeping", housekeeping), *maintenance.jobs()]
