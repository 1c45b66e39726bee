"""Residents in their own words (issue 13, second round): replays tests/scenarios/resident2_*.txt and
checks their "#>" lines (tests/harness.py) — following up on one's own need (a late building, a
correction, more details, "算了 不用了"), progress in many wordings, ratings as scores, the knowledge
base asked the way people ask, and what the bot can do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import replay_script

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("resident2_*.txt"))


@pytest.mark.parametrize("script", SCENARIOS, ids=lambda p: p.stem)
async def test_resident_scenario(harness, script: Path) -> None:  # type: ignore[no-untyped-def]
    failures = await replay_script(harness, script)
    assert not failures, "\n".join(failures)
