"""The fresh time phrasings of tests/data/timeparse_fresh.tsv, read as `gridbot parse-time` reads them.

197 phrasings in residents' own forms (weekdays in every spelling, 下周/下下周/本周末, 12.5 / 12-5 / 12/5号 /
12月5日 / 5号, 明儿/后儿/大后儿个/大大后天, parts of day, 一刻/三刻/:30, ranges and pairs, durations, festivals
and solar terms, the day after the hours, two days or two times offered). Main's parser read 158 of the first
177 right (89 %), 167 of all 197 (85 %).
"""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.parse_time import read_booking_time, reading_json
from kernel.config import Config
from tests.test_timeparse_heldout import _expected, _rows

ROWS = [pytest.param(*row, id=f"{row[1]}@{row[0][5:]}") for row in _rows("timeparse_fresh.tsv")]


def test_the_fresh_set_is_large_and_new() -> None:
    others = {r[1] for name in ("timeparse_heldout.tsv", "timeparse_blind.tsv") for r in _rows(name)}
    texts = [r[1] for r in _rows("timeparse_fresh.tsv")]
    assert len(texts) >= 120 and len(set(texts)) == len(texts)
    assert not others & set(texts)


@pytest.mark.parametrize(("now", "text", "date", "start", "end", "part", "ask"), ROWS)
def test_fresh_phrasing(config: Config, now: str, text: str, date: str, start: str, end: str, part: str,
                        ask: str) -> None:
    moment = datetime.fromisoformat(now).replace(tzinfo=config.timezone)
    got = reading_json(text, read_booking_time(config, moment, text), config.timezone)
    want = _expected(date, start, end, part, ask)
    assert {k: got[k] for k, v in want.items() if v != "*"} == {k: v for k, v in want.items() if v != "*"}


def test_before_a_time_asks_for_a_booking_but_still_reads_as_a_deadline(config: Config) -> None:
    """"明天4点之前" books nothing (from when?), while "截止 12月10日18:00前" in a notice is 18:00."""
    from kernel.text.timeparse import parse_point

    now = datetime(2026, 12, 3, 10, tzinfo=config.timezone)
    booking = reading_json("明天4点之前", read_booking_time(config, now, "明天4点之前"), config.timezone)
    assert booking["ask"] and booking["start"] is None
    deadline = parse_point("12月10日18:00前", now, config.timezone)
    assert deadline.ok and deadline.start == datetime(2026, 12, 10, 18, tzinfo=config.timezone)
