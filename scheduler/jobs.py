"""The list of scheduled jobs, in the order a tick runs them. Each capability's scheduler module
exposes `jobs() -> list[tuple[str, Job]]`."""

from __future__ import annotations

import importlib
from datetime import timedelta

from models.conversation import purge_expired
from models.messages import forget_before
from scheduler.ticker import Job, TickContext

CAPABILITY_JOBS = ("scheduler.needs_clocks", "scheduler.booking_jobs", "scheduler.event_jobs", "scheduler.pushes")


async def housekeeping(tc: TickContext) -> None:
    await purge_expired(tc.session, tc.now)
    await forget_before(tc.session, tc.now - timedelta(days=7))


def all_jobs() -> list[tuple[str, Job]]:
    jobs: list[tuple[str, Job]] = []
    for name in CAPABILITY_JOBS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        jobs += module.jobs()
    return jobs + [("housekeeping", housekeeping)]
