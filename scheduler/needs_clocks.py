"""The needs clocks, run every tick from the tables (simulated time in tests and `gridbot simulate`):

* 督办: a need whose response clock (worker 5 min urgent / 2 working hours normal; a department's 签收
  limit) or urgent handling clock (15 min) ran out escalates one level — worker → AB岗 backup → admin
  → staff group — each level once: the level is stored on the need and every message goes out under
  the key need-clock:<code>:<clock>:<clock no>:<level>:<recipient>.
* 回访 expiry: a need nobody rated within [needs] close_after_days of 办结 is closed.

The deadlines themselves are set by the operations in models/needs.py."""

from __future__ import annotations

from kernel import metrics
from kernel.logevent import log_event
from models import needs as N
from notices.needs import announce_escalation
from scheduler.ticker import Job, TickContext


async def needs_clocks(tc: TickContext) -> None:
    """One job (one transaction a tick): 督办 first, then 回访 expiry."""
    for esc in await N.run_escalations(tc.session, tc.now, tc.config):
        await announce_escalation(tc.out, tc.config, esc)
        tc.after_commit.append(lambda code=esc.need.code, clock=esc.clock, level=esc.level: _escalated(code, clock, level))
    await N.expire_unrated(tc.session, tc.now, tc.config)


def _escalated(code: str, clock: str, level: int) -> None:
    metrics.ESCALATIONS.labels(clock).inc()
    log_event("gridbot.needs", "need.escalate", code=code, clock=clock, level=level)


def jobs() -> list[tuple[str, Job]]:
    return [("needs.clocks", needs_clocks)]
