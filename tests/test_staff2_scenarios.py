"""Staff in their own words (issue 13): replays tests/scenarios/staff2_*.txt and checks their "#>" lines
(tests/harness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import replay_script

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("staff2_*.txt"))


@pytest.mark.parametrize("script", SCENARIOS, ids=lambda p: p.stem)
async def test_staff_scenario(harness, script: Path) -> None:  # type: ignore[no-untyped-def]
    failures = await replay_script(harness, script)
    assert not failures, "\n".join(failures)
