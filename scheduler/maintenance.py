"""Scheduled maintenance: prune what no one reads any more and give SQLite's free pages back
(models/maintenance.py says what is kept). Runs every `[maintenance] every_minutes`, sooner again while
a backlog is being worked off; each run deletes at most `batch` rows per table, so it holds the write
lock briefly."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from kernel.logevent import log_event
from models.maintenance import incremental_vacuum, prune
from scheduler.ticker import Job, TickContext

log = logging.getLogger("gridbot.maintenance")


def maintenance_job() -> Job:
    due: list[datetime | None] = [None]    # this process's next run (a second instance's run is harmless)

    async def maintenance(tc: TickContext) -> None:
        settings = tc.config.maintenance
        if due[0] is not None and tc.now < due[0]:
            return
        pruned = await prune(tc.session, tc.now, settings)
        free = await incremental_vacuum(tc.session, settings.vacuum_pages)
        # A full batch means more is waiting: come back next tick instead of in an hour.
        due[0] = tc.now if pruned.more else tc.now + timedelta(minutes=settings.every_minutes)
        if pruned.outbox or pruned.suggestions or free:
            log_event(log, "maintenance.pruned", outbox=pruned.outbox, suggestions=pruned.suggestions,
                      free_pages=free, more=pruned.more)
    return maintenance


def jobs() -> list[tuple[str, Job]]:
    return [("maintenance", maintenance_job())]
