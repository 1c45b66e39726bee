"""`gridbot …` with one more scheduled job that holds its transaction open for 60 s and announces itself
in the file named by GRIDBOT_TEST_TICK_MARK: a test presses Ctrl-C in the middle of a scheduler tick."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from sqlalchemy import text

import bot.app
from bot.cli import main
from scheduler.ticker import TickContext

_jobs = bot.app.all_jobs


async def slow_job(tc: TickContext) -> None:
    await tc.session.execute(text("SELECT 1"))
    Path(os.environ["GRIDBOT_TEST_TICK_MARK"]).write_text("in a tick", encoding="utf-8")
    await asyncio.sleep(60)


bot.app.all_jobs = lambda: [*_jobs(), ("test.slow", slow_job)]

if __name__ == "__main__":
    sys.exit(main())
