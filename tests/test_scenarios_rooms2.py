"""Fresh conversations about rooms and events (issue 13 §2–3): replays tests/scenarios/rooms2_*.txt and
events2_*.txt and checks their "#>" lines (tests/harness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import replay_script

HERE = Path(__file__).parent / "scenarios"
SCENARIOS = sorted([*HERE.glob("rooms2_*.txt"), *HERE.glob("events2_*.txt")])


@pytest.mark.parametrize("script", SCENARIOS, ids=lambda p: p.stem)
async def test_rooms_and_events_scenario(harness, script: Path) -> None:  # type: ignore[no-untyped-def]
    failures = await replay_script(harness, script)
    assert not failures, "\n".join(failures)
