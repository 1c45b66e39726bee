"""The held-out time phrasings (tests/data/timeparse_*.tsv), read as `gridbot parse-time` reads them.

timeparse_heldout.tsv (114 phrasings) was written before the fixes of issue 13 §2: the parser of
main read 56 of them right (49 %), and all 114 after. timeparse_blind.tsv (59 phrasings) was written
after the fixes and run once as written: 59 right at first exposure (main's parser: 33, 56 %).
A row is right when date, start, end, part and ask all match ("*" = not checked).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.parse_time import read_booking_time, reading_json
from kernel.config import Config

DATA = Path(__file__).parent / "data"


def _rows(name: str) -> list[tuple[str, ...]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    rows = [tuple(line.split("\t")) for line in lines if line.strip() and not line.startswith("#")]
    assert all(len(r) == 7 for r in rows), [r for r in rows if len(r) != 7]
    return rows


def _expected(date: str, start: str, end: str, part: str, ask: str) -> dict[str, object]:
    def minute(v: str) -> str | None:
        if v in ("*", "-"):
            return None if v == "-" else "*"
        return f"{date}T{v}" if len(v) == 5 else v

    return {"date": None if date == "-" else date, "start": minute(start), "end": minute(end),
            "part": {"-": None}.get(part, part), "ask": ask == "true"}


ROWS = [pytest.param(*row, id=f"{row[1]}@{row[0][5:]}") for name in ("timeparse_heldout.tsv", "timeparse_blind.tsv")
        for row in _rows(name)]


@pytest.mark.parametrize(("now", "text", "date", "start", "end", "part", "ask"), ROWS)
def test_heldout_phrasing(config: Config, now: str, text: str, date: str, start: str, end: str, part: str,
                          ask: str) -> None:
    moment = datetime.fromisoformat(now).replace(tzinfo=config.timezone)
    got = reading_json(text, read_booking_time(config, moment, text), config.timezone)
    want = _expected(date, start, end, part, ask)
    assert {k: got[k] for k, v in want.items() if v != "*"} == {k: v for k, v in want.items() if v != "*"}
