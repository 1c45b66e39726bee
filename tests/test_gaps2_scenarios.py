"""Residual gaps residents hit (issue 13): questions about an event or a room that must not sign anyone up,
room fees from the config, a near word for an event title, a resident's short need codes. Replays
tests/scenarios/gaps2_*.txt and checks their "#>" lines (tests/harness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import replay_script

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("gaps2_*.txt"))


def test_the_scenarios_are_there() -> None:
    assert len(SCENARIOS) >= 3


@pytest.mark.parametrize("script", SCENARIOS, ids=lambda p: p.stem)
async def test_gaps2_scenario(harness, script: Path) -> None:  # type: ignore[no-untyped-def]
    failures = await replay_script(harness, script)
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------- a room's fee ([[rooms]] fee)

EXAMPLE = (Path(__file__).resolve().parents[1] / "config.example.toml").read_text(encoding="utf-8")
PIANO = 'name = "钢琴房"\naliases = ["琴房"]\n'


def test_a_room_fee_is_read_and_a_bad_one_is_refused() -> None:
    from kernel.config import ConfigError, parse_config

    assert PIANO in EXAMPLE
    config = parse_config(EXAMPLE.replace(PIANO, PIANO + 'fee = "20元/小时"\n', 1), Path("fee.toml"))
    assert [(r.name, r.fee) for r in config.rooms if r.fee] == [("钢琴房", "20元/小时")]
    with pytest.raises(ConfigError) as info:
        parse_config(EXAMPLE.replace(PIANO, PIANO + 'fee = "' + "贵" * 41 + '"\n', 1), Path("fee.toml"))
    assert any(p.key == "rooms[0].fee" for p in info.value.problems)


async def test_a_room_that_names_a_fee_is_answered_with_it(db_url: str) -> None:
    from kernel.config import parse_config
    from tests.harness import Harness

    config = parse_config(EXAMPLE.replace(PIANO, PIANO + 'fee = "20元/小时"\n', 1), Path("fee.toml"))
    h = await Harness.create(config, db_url, start="2026-12-03 09:00")
    try:
        out = await h.say("私聊", "wx_ma", "琴房收费吗", name="马阿姨")
        assert "钢琴房: 20元/小时" in out[0].text and "免费" not in out[0].text
        out = await h.say("私聊", "wx_ma", "功能室要钱吗", name="马阿姨")
        assert "钢琴房 20元/小时" in out[0].text and "都免费" not in out[0].text
        out = await h.say("私聊", "wx_ma", "乒乓球室要钱吗", name="马阿姨")
        assert "乒乓球室免费使用" in out[0].text
    finally:
        await h.close()


async def test_another_residents_short_code_reads_exactly_like_a_missing_one(harness) -> None:  # type: ignore[no-untyped-def]
    h = harness
    await h.set_clock("2026-12-10 10:00")
    await h.say("网格1一家亲", "wx_ma", "@小助手 5栋楼道灯不亮了", name="马阿姨")
    theirs = await h.say("私聊", "wx_zhang", "查 0001", name="张阿姨")
    missing = await h.say("私聊", "wx_zhang", "查 0007", name="张阿姨")
    assert len(theirs) == len(missing) == 1
    assert theirs[0].text.replace("0001", "X", 1) == missing[0].text.replace("0007", "X", 1)
    theirs = await h.say("私聊", "wx_zhang", "查 D20261210-1", name="张阿姨")
    missing = await h.say("私聊", "wx_zhang", "查 D20261210-7", name="张阿姨")
    assert theirs[0].text.replace("0001", "X", 1) == missing[0].text.replace("0007", "X", 1)
