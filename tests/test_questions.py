"""Several open questions at once (models/conversation.py): every pair of capabilities that asks
something — booking, events, needs (rating), surveys — with answers that fit both questions.
Replays tests/scenarios/questions_*.txt and checks their "#>" lines (tests/harness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import surveys as S
from models.db import transaction
from tests.harness import replay_script

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("questions_*.txt"))


@pytest.mark.parametrize("script", SCENARIOS, ids=lambda p: p.stem)
async def test_open_questions_scenario(harness, script: Path) -> None:  # type: ignore[no-untyped-def]
    spec = S.parse_survey_toml((ROOT / "examples" / "survey_monthly.toml").read_text(encoding="utf-8"),
                               harness.config, harness.clock.now())
    async with transaction(harness.core.sessions) as session:
        await S.load_survey(session, harness.clock.now(), harness.config, spec, created_by="test")
    failures = await replay_script(harness, script)
    assert not failures, "\n".join(failures)
