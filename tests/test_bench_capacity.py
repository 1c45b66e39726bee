"""`gridbot bench --mode capacity`: simulated time makes its figures deterministic, so the claim the README
makes from them is checked here — under the anti-ban policy one account's replies keep up with more
traffic when replies to a busy group are merged, and the one-message-per-reply queue falls behind."""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from bot.bench_capacity import run_capacity
from kernel.config import SenderConfig


async def test_merging_replies_raises_what_one_account_can_answer(tmp_path) -> None:
    where = Path("/dev/shm") if Path("/dev/shm").is_dir() else tmp_path     # simulated time: skip the fsyncs
    folder = tempfile.mkdtemp(dir=where)
    args = argparse.Namespace(seconds=120.0, groups=10, reply_ratio=0.15, target_s=10.0, seed=7,
                              db=f"sqlite+aiosqlite:///{folder}/capacity.db")
    try:
        result = await run_capacity(args, SenderConfig())
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    capacity = result["capacity_msgs_per_s"]
    assert capacity["merged"] > capacity["one_per_reply"] >= 2
    one = {r["rate"]: r for r in result["runs"]["one_per_reply"]}
    merged = {r["rate"]: r for r in result["runs"]["merged"]}
    beyond = min(rate for rate, r in one.items() if r["p99_s"] > 10)
    assert merged[beyond]["p99_s"] <= 10 and merged[beyond]["sends"] < one[beyond]["sends"]
    assert all(r["unsent_at_end"] == 0 for r in merged.values())        # nothing lost, only later
