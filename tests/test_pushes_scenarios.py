"""Replays tests/scenarios/push_*.txt and survey_*.txt (the `gridbot simulate` format) and checks the
"#>" lines (same convention as tests/test_booking_scenarios.py):

    #> some text                 a message sent in reply to the line above contains it
    #> [私聊:wx_yang] some text   … and went to that chat ("[网格1一家亲] …" for a group)
    #> (nothing)                 the line above made the bot say nothing

survey_*.txt run on a database where examples/survey_monthly.toml was loaded first (as the CLI does)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.simulate import ADVANCE_RE, CLOCK_RE, LINE_RE, parse_duration
from models import surveys as S
from models.db import transaction

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("push_*.txt")) + \
    sorted((Path(__file__).parent / "scenarios").glob("survey_*.txt"))
EXPECT_RE = re.compile(r"^#>\s*(?:\[(?P<to>[^\]]+)\]\s*)?(?P<text>.*)$")


async def replay(h, script: Path) -> list[str]:  # type: ignore[no-untyped-def]
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
    return failures


@pytest.mark.parametrize("script", SCENARIOS, ids=lambda p: p.stem)
async def test_push_and_survey_scenarios(harness, script: Path) -> None:  # type: ignore[no-untyped-def]
    h = harness
    if script.name.startswith("survey_"):
        text = (ROOT / "examples" / "survey_monthly.toml").read_text(encoding="utf-8")
        spec = S.parse_survey_toml(text, h.config, h.clock.now())
        async with transaction(h.core.sessions) as session:
            await S.load_survey(session, h.clock.now(), h.config, spec, created_by="test")
    failures = await replay(h, script)
    assert not failures, "\n".join(failures)


async def test_cli_load_then_simulate(config, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """`gridbot survey load` then `gridbot simulate` on the same database (the wall clock of the load
    is before the script's @clock, as when staff load next month's survey)."""
    import io
    import json
    from datetime import datetime, timezone

    from bot import survey_cli
    from bot.simulate import run_script

    url = f"sqlite+aiosqlite:///{tmp_path / 'sim.db'}"
    survey_cli._now = lambda: datetime(2026, 11, 21, 12, 0, tzinfo=timezone.utc)  # type: ignore[assignment]
    assert await survey_cli.load_file(config, url, str(ROOT / "examples" / "survey_monthly.toml")) == 0
    assert "已导入问卷 S1" in capsys.readouterr().out
    assert await survey_cli.load_file(config, url, str(ROOT / "examples" / "survey_monthly.toml")) == 0  # reload: ok
    assert await survey_cli.push_command(config, url, "list") == 0
    assert "每月1日 10:00" in capsys.readouterr().out
    out = io.StringIO()
    lines = (Path(__file__).parent / "scenarios" / "survey_monthly.txt").read_text(encoding="utf-8").splitlines()
    await run_script(config, lines, out, db_url=url)
    sent = [json.loads(x) for x in out.getvalue().splitlines()]
    posts = [m for m in sent if m["text"].startswith("【服务直通车】")]
    assert sorted(m["to"] for m in posts) == ["网格1一家亲", "网格2一家亲", "网格3一家亲"]
    assert all(m["at"] == "2026-12-01T10:00:00+08:00" for m in posts)
    # answers exist now: loading the file again is refused with a clear message
    assert await survey_cli.load_file(config, url, str(ROOT / "examples" / "survey_monthly.toml")) == 2
    assert "已有 2 份回答" in capsys.readouterr().err
