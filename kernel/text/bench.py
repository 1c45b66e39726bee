"""Where `classify()` spends its time, per stage, on labelled lines (CPU time of this thread).

    python -m kernel.text.bench [FILE.jsonl ...]      (default: the real-text sets)

Prints, for gold chatter and for the other lines, the median and p99 in µs of the whole `classify()`
and of its stages: normalising, the urgency patterns, the lexicon rules, the model's features and the
model's scores. Each figure is the best of a few batches of rounds, like `kernel.text.evaluate`, so a
busy shared machine inflates it less. The budget (issue 13): chatter ≤ 100 µs p99, others ≤ 1 ms.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from kernel.text import classify as C
from kernel.text.evaluate import load, percentile
from kernel.text.urgent import detect

_DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
DEFAULT = (_DATA / "real_blind.jsonl", _DATA / "real_blind2.jsonl", _DATA / "chat_train.jsonl")
_ROUNDS, _BATCHES = 10, 5


def _cost(fn: Callable[[str], object], text: str) -> float:
    best = float("inf")
    for _ in range(_BATCHES):
        start = time.thread_time_ns()
        for _ in range(_ROUNDS):
            fn(text)
        best = min(best, (time.thread_time_ns() - start) / _ROUNDS / 1000)
    return best


def _stages() -> dict[str, Callable[[str], object]]:
    model = C._MODEL
    assert model is not None
    return {
        "classify": C.classify.__wrapped__,
        "normalize": C._normalize,
        "urgent": lambda t: detect(C.prepare(t)),
        "rules": lambda t: C._rules(C.prepare(t)),
        "features": lambda t: C.model_features(C.prepare(t)),
        "scores": lambda t: model.scores("intent", C.model_features(C.prepare(t))),
    }


def main(argv: Sequence[str] | None = None) -> int:
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)] or list(DEFAULT)
    golds = [g for p in paths for g in load(p)]
    for g in golds:
        C.classify(g.text)   # warm-up
    groups = {"chatter": [g.text for g in golds if g.intent == "chatter"],
              "other": [g.text for g in golds if g.intent != "chatter"]}
    print(f"{len(golds)} lines from {', '.join(p.name for p in paths)}; CPU µs per line, best of {_BATCHES}×{_ROUNDS}")
    for name, fn in _stages().items():
        for group, texts in groups.items():
            if texts:
                v = [_cost(fn, t) for t in texts]
                print(f"{name:<10} {group:<8} median {statistics.median(v):7.1f}   p99 {percentile(v, 0.99):7.1f}"
                      f"   max {max(v):7.1f}   (n={len(v)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
