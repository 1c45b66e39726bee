"""Fit `linear_model.txt`, the logistic regression `classify()` consults.

    python -m kernel.text.train [--out PATH] [FILE.jsonl ...]

With no files it reads the labelled sets the project keeps for training: ``../shared/dev_messages.jsonl``,
``tests/data/heldout_messages.jsonl``, ``tests/data/blind_a.jsonl`` and every ``tests/data/*train*.jsonl``
(real text: ``real_train``, ``chat_train`` — lines of public Chinese chat corpora, talk, never requests —
and any later ``*_train.jsonl``). ``real_extra.jsonl`` (146 more real lines) is kept out: cross-validation
found it no help (README "## Understanding messages"); so is ``real_urgent_tune.jsonl``, the urgency rules'
tuning lines (23 of them written by hand).
The sets that estimate how the classifier does on unseen wording (``blind_b``, ``blind_c``, ``blind_d``,
``real_blind``) are deliberately NOT in the list (tests/test_classify.py checks they stay out).
``category_vocab.txt`` adds families of words per category, each word one tiny demand document,
so the category layer knows vocabulary that no labelled message happened to use yet.

Multinomial logistic regression by stochastic gradient descent with L2, a fixed seed and a fixed
order: the same inputs give the same file. Weights too small to matter are dropped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from kernel.text.classify import CATEGORIES, INTENTS, _rules, model_features, prepare
from kernel.text.linear import MODEL_PATH, Linear, dump, ngrams, words

_ROOT = Path(__file__).resolve().parents[2]
_DATA = _ROOT / "tests" / "data"
# Real text for training: every *train*.jsonl, in a fixed order (reverse by name: real_train before
# chat_train, as before the glob), so the fingerprint and the fit are stable.
REAL_FILES = tuple(sorted(_DATA.glob("*train*.jsonl"), reverse=True))
DEFAULT_FILES = (
    _ROOT.parent / "shared" / "dev_messages.jsonl",
    _DATA / "heldout_messages.jsonl",
    _DATA / "blind_a.jsonl",
    *REAL_FILES,
)
VOCAB_PATH = Path(__file__).with_name("category_vocab.txt")

EPOCHS = 20
RATE = 0.3
L2 = 1e-5
PRUNE = 0.002   # weights below this in every class are left out of the file
DEMAND_WEIGHT = 1.0   # a demand example counts this many times in the intent layer (cross-validated)
URGENT_WEIGHT = 1.0   # an urgent example counts this many times in the urgency layer (cross-validated)
WORDS = 0             # 1: the category layer also reads jieba words and word pairs (linear.words)
CATEGORY_BALANCE = 0.0   # a category's examples count (mean class size / its size) ** this
LEXICON = 0           # 1: the category layer also reads which categories the lexicon matched ("#k:repair")

Row = tuple[str, str, "str | None", bool]


def read_labelled(paths: Iterable[Path]) -> list[Row]:
    rows = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                rows.append((d["text"], d["intent"], d.get("category"), bool(d.get("urgent"))))
    return rows


def read_vocab(path: Path) -> list[tuple[str, str]]:
    """`category: word word ...` lines (a line without a colon continues the last category)."""
    out: list[tuple[str, str]] = []
    if not path.exists():
        return out
    category = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if ":" in line:
            category, line = (part.strip() for part in line.split(":", 1))
            if category not in CATEGORIES:
                raise ValueError(f"{path}: unknown category {category!r}")
        out.extend((word, category) for word in line.split())
    return out


def fit(docs: Sequence[tuple[Sequence[str], int]], k: int, seed: int = 0,
        class_weight: Sequence[float] | None = None) -> tuple[list[float], dict[str, list[float]]]:
    """Softmax regression: bias and per-feature weights for `k` classes (a document of class y counts
    `class_weight[y]` times)."""
    weights: dict[str, list[float]] = {}
    bias = [0.0] * k
    order = list(range(len(docs)))
    rng = random.Random(seed)
    for epoch in range(EPOCHS):
        rng.shuffle(order)
        rate = RATE / (1.0 + 0.5 * epoch)
        for i in order:
            features, y = docs[i]
            rows = [weights.setdefault(f, [0.0] * k) for f in features]
            z = bias[:]
            for row in rows:
                for j in range(k):
                    z[j] += row[j]
            top = max(z)
            e = [math.exp(v - top) for v in z]
            total = sum(e)
            grad = [v / total for v in e]
            grad[y] -= 1.0
            if class_weight is not None:
                grad = [g * class_weight[y] for g in grad]
            for row in rows:
                for j in range(k):
                    row[j] -= rate * (grad[j] + L2 * row[j])
            for j in range(k):
                bias[j] -= rate * grad[j]
    return bias, weights


def fingerprint(paths: Iterable[Path]) -> str:
    """What the model was fitted from: the training files, the vocabulary and the settings. The
    shipped model records it, so a test can tell a stale model without refitting."""
    settings = f"{EPOCHS} {RATE} {L2} {PRUNE} {URGENT_WEIGHT}" + (f" {DEMAND_WEIGHT}" if DEMAND_WEIGHT != 1 else "") \
        + (f" words {WORDS}" if WORDS else "") + (f" balance {CATEGORY_BALANCE}" if CATEGORY_BALANCE else "") \
        + (f" lexicon {LEXICON}" if LEXICON else "")
    digest = hashlib.sha256(settings.encode())
    for path in (*paths, VOCAB_PATH):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _category_extras(s: str) -> set[str]:
    """The category layer's features beyond the intent layer's, as `classify._category` adds them."""
    extra = words(s) if WORDS else set()
    if LEXICON:
        extra |= {"#k:" + code for code in _rules(s).cat}
    return extra


def build(rows: Sequence[Row], vocab: Sequence[tuple[str, str]], inputs: str = "") -> str:
    intent_docs, category_docs, urgent_docs = [], [], []
    intent_index = {c: i for i, c in enumerate(INTENTS)}
    category_index = {c: i for i, c in enumerate(CATEGORIES)}
    for text, intent, category, urgent in rows:
        s = prepare(text)
        features = sorted(model_features(s))
        intent_docs.append((features, intent_index[intent]))
        urgent_docs.append((features, int(urgent)))
        if intent == "demand" and category:
            category_docs.append((sorted(set(features) | _category_extras(s)), category_index[category]))
    for word, category in vocab:
        s = prepare(word)
        category_docs.append((sorted(ngrams(s) | _category_extras(s)), category_index[category]))
    sizes = [sum(1 for _, y in category_docs if y == i) for i in range(len(CATEGORIES))]
    mean = sum(sizes) / sum(1 for n in sizes if n)
    balance = tuple((mean / n) ** CATEGORY_BALANCE if n else 1.0 for n in sizes)

    classes, bias, weights = {}, {}, {}
    for name, labels, docs in (("intent", INTENTS, intent_docs), ("category", CATEGORIES, category_docs),
                               ("urgent", ("no", "yes"), urgent_docs)):
        weight = {"urgent": (1.0, URGENT_WEIGHT), "category": balance if CATEGORY_BALANCE else None,
                  "intent": tuple(DEMAND_WEIGHT if c == "demand" else 1.0 for c in INTENTS)}.get(name)
        b, w = fit(docs, len(labels), class_weight=weight)
        classes[name] = tuple(labels)
        bias[name] = tuple(b)
        weights[name] = {f: tuple(v) for f, v in w.items()
                         if max(map(abs, v)) >= PRUNE and "\t" not in f and "\n" not in f}
    return f"meta\tinputs\t{inputs}\n" + dump(Linear(classes, bias, weights))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    files = args.files or [p for p in DEFAULT_FILES if p.exists()]
    rows = read_labelled(files)
    vocab = read_vocab(VOCAB_PATH)
    args.out.write_text(build(rows, vocab, fingerprint(files)), encoding="utf-8")
    print(f"{args.out}: {len(rows)} messages from {len(files)} files, {len(vocab)} vocabulary words",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
