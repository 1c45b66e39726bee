"""Replays tests/scenarios/push_*.txt and survey_*.txt (the `gridbot simulate` format) and checks the
"#>" expectation lines (tests/harness.py replay_script).

survey_*.txt run on a database where examples/survey_monthly.toml was loaded first (as the CLI does)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import replay_script
from models import surveys as S
from models.db import transaction

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("push_*.txt")) + \
    sorted((Path(__file__).parent / "scenarios").glob("survey_*.txt"))


@pytest.mark.parametrize("script", SCENARIOS, ids=lambda p: p.stem)
async def test_push_and_survey_scenarios(harness, script: Path) -> None:  # type: ignore[no-untyped-def]
    h = harness
    if script.name.startswith("survey_"):
        text = (ROOT / "examples" / "survey_monthly.toml").read_text(encoding="utf-8")
        spec = S.parse_survey_toml(text, h.config, h.clock.now())
        async with transaction(h.core.sessions) as session:
            await S.load_survey(session, h.clock.now(), h.config, spec, created_by="test")
    failures = await replay_script(h, script)
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
