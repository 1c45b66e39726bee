"""Replays tests/scenarios/booking_*.txt (the `gridbot simulate` format) and checks their "#>"
expectation lines (tests/harness.py replay_script)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import replay_script

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("booking_*.txt"))


@pytest.mark.parametrize("script", SCENARIOS, ids=lambda p: p.stem)
async def test_booking_scenario(harness, script: Path) -> None:  # type: ignore[no-untyped-def]
    failures = await replay_script(harness, script)
    assert not failures, "\n".join(failures)
