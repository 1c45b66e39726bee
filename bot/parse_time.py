"""`gridbot parse-time`: read booking time phrases the way the bot does, one JSON object a line (CONTRACTS §8).

The reading is the booking handler's own when no room is named yet (room names blanked out, the default
room opening hours, the config's default length and holiday calendar), so the two cannot drift apart.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from handlers.booking import _read_time
from kernel.config import Config
from kernel.text.timeparse import DAY_MISMATCH, INVALID_DATE, OPEN_START, TWO_DAYS, TWO_TIMES, WHICH_DAY, TimeReading


def read_booking_time(config: Config, now: datetime, text: str) -> TimeReading:
    return _read_time(config, now, text, None)


def _minute(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def reading_json(text: str, reading: TimeReading, tz: ZoneInfo) -> dict[str, Any]:
    """The contract's fields: `date` is the day read (also when it is past, so the question can name it);
    `start`/`end` only when clock times were said; `part` only when a part of day was all that was said."""
    known = reading.start is not None and reading.error not in (INVALID_DATE, WHICH_DAY, DAY_MISMATCH, TWO_DAYS, OPEN_START, TWO_TIMES)
    clock = known and not reading.vague
    return {
        "text": text,
        "date": reading.start.astimezone(tz).date().isoformat() if known and reading.start else None,
        "start": _minute(reading.start, tz) if clock and reading.start else None,
        "end": _minute(reading.end, tz) if clock and reading.end else None,
        "part": reading.part if known and reading.vague else None,
        "ask": reading.ask,
    }


def run(config: Config, now: datetime, stdin: TextIO, stdout: TextIO) -> int:
    """One output line for every input line, in order (a blank line gives an empty reading that asks)."""
    for line in stdin:
        text = line.rstrip("\r\n")
        reading = read_booking_time(config, now, text)
        stdout.write(json.dumps(reading_json(text, reading, config.timezone), ensure_ascii=False) + "\n")
    stdout.flush()
    return 0
