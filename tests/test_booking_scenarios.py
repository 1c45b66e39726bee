"""Replays tests/scenarios/booking_*.txt (the `gridbot simulate` format) and checks the "#>" lines:

    #> some text                 a message sent in reply to the line above contains it
    #> [私聊:wx_yang] some text   … and went to that chat ("[网格1一家亲] …" for a group)
    #> (nothing)                 the line above made the bot say nothing
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.simulate import ADVANCE_RE, CLOCK_RE, LINE_RE, parse_duration

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("booking_*.txt"))
EXPECT_RE = re.compile(r"^#>\s*(?:\[(?P<to>[^\]]+)\]\s*)?(?P<text>.*)$")


@pytest.mark.parametrize("script", SCENARIOS, ids=lambda p: p.stem)
async def test_booking_scenario(harness, script: Path) -> None:  # type: ignore[no-untyped-def]
    h = harness
    last: list = []
    where = ""
    failures = []
    for no, raw in enumerate(script.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#>"):
            m = EXPECT_RE.match(line)
            assert m is not None
            to, text = m.group("to"), m.group("text").strip()
            if text == "(nothing)":
                if last:
                    failures.append(f"line {no} ({where}): expected silence, got {[d.text for d in last]}")
                continue
            if not any(text in d.text and (to is None or d.to == to) for d in last):
                failures.append(f"line {no} ({where}): no message{' to ' + to if to else ''} containing "
                                f"{text!r}; got {[(d.to, d.text) for d in last]}")
            continue
        if line.startswith("#"):
            continue
        where = line
        if (m := CLOCK_RE.match(line)) is not None:
            last = await h.set_clock(f"{m.group(1)} {m.group(2)}")
        elif (m := ADVANCE_RE.match(line)) is not None:
            last = await h.advance(parse_duration(m.group(1)))
        elif (m := LINE_RE.match(line)) is not None:
            last = await h.say(m["chat"].strip(), m["id"].strip(), m["text"], name=m["name"].strip())
        else:
            raise AssertionError(f"{script.name}:{no}: not a script line: {line}")
    assert not failures, "\n".join(failures)
