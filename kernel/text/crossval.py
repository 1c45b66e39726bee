"""Cross-validate the classifier on the training sets only (never on a blind set).

    python -m kernel.text.crossval [--folds 5] [--settings NAME ...]

The real-text training lines (every ``tests/data/*train*.jsonl``, `train.REAL_FILES`) are split into folds; each fold
is scored by a model fitted on everything else in ``train.DEFAULT_FILES`` plus the other folds, through
the whole ``classify()`` pipeline (rules, urgency, model). Prints, per settings, the figures of
``kernel.text.evaluate`` summed over the folds. This is what chooses the model and its settings; the
blind sets only report.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kernel.text import classify as C
from kernel.text import train
from kernel.text.evaluate import Gold, Report, score
from kernel.text.linear import Linear
from kernel.text.linear import load as load_model

REAL = train.REAL_FILES
# Fold models per checkout: two worktrees cross-validating at once must not read each other's.
_FOLD_DIR = Path(tempfile.gettempdir()) / ("crossval_" + hashlib.sha1(str(Path(__file__).resolve()).encode()).hexdigest()[:10])


def _gold(rows: Sequence[train.Row]) -> list[Gold]:
    return [Gold(t, i, c, u, None) for t, i, c, u in rows]


def run(folds: int, settings: dict[str, float], reuse: bool = False, show: bool = False) -> Report:
    real = train.read_labelled(REAL)
    rest = train.read_labelled([p for p in train.DEFAULT_FILES if p.exists() and p not in REAL])
    vocab = train.read_vocab(train.VOCAB_PATH)
    # A setting names a constant of train.py (EPOCHS, RATE, L2) or of classify.py (UNCUED_CONFIDENCE...).
    owners = {k: train if hasattr(train, k) else C for k in settings}
    saved = {k: getattr(owners[k], k) for k in settings}
    for k, v in settings.items():
        setattr(owners[k], k, type(saved[k])(v))
    golds, preds = [], []
    _FOLD_DIR.mkdir(exist_ok=True)
    # Runs with other train.py settings at the same time must not share fold models.
    tag = hashlib.sha1(repr(sorted((k, v) for k, v in settings.items() if owners[k] is train)).encode()).hexdigest()[:8]
    try:
        for k in range(folds):
            test = [r for i, r in enumerate(real) if i % folds == k]
            fit = rest + [r for i, r in enumerate(real) if i % folds != k]
            tmp = _FOLD_DIR / f"crossval_model_{tag}_{k}.txt"
            if not reuse or not tmp.exists():
                tmp.write_text(train.build(fit, vocab), encoding="utf-8")
            C._MODEL = load_model(tmp)
            C.classify.cache_clear()
            golds += _gold(test)
            preds += [C.classify(r[0]) for r in test]
            if show:
                for r, p in zip(test, preds[-len(test):]):
                    if (r[1], r[2], r[3]) != (p.intent, p.category, p.urgent):
                        print(f"  {r[0]!r}: gold {r[1]}/{r[2]}/{r[3]} got {p.intent}/{p.category}/{p.urgent}")
    finally:
        for k, v in saved.items():
            setattr(owners[k], k, v)
        C._MODEL = C._load_model()
        C.classify.cache_clear()
    return score(golds, preds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--set", action="append", default=[], help="NAME=VALUE of a train.py setting")
    parser.add_argument("--reuse", action="store_true", help="reuse the fold models of the last run "
                        "(for settings of classify.py only)")
    parser.add_argument("--show", action="store_true", help="print the misread training lines")
    args = parser.parse_args(argv)
    settings = {k: float(v) for k, v in (s.split("=", 1) for s in args.set)}
    r = run(args.folds, settings, args.reuse, args.show)
    print(f"{settings or 'defaults'}: intent {r.intent_accuracy:.1%} category {r.category_accuracy:.1%} "
          f"urgent recall {r.urgent_recall:.1%} precision {r.urgent_precision:.1%} "
          f"chatter actionable {r.chatter_actionable:.1%} (n={r.total})", file=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
