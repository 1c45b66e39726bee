"""Build `nb_model.txt`, the n-gram naive Bayes model `classify()` consults.

    python -m kernel.text.train_nb [--out PATH] [FILE.jsonl ...]

With no files it counts the labelled sets the project keeps: ``../shared/dev_messages.jsonl``,
``tests/data/heldout_messages.jsonl`` and ``tests/data/blind_a.jsonl``. ``tests/data/blind_b.jsonl``,
``blind_c.jsonl`` and ``blind_d.jsonl`` are deliberately NOT in the default list: they estimate how
the classifier does on wording it was not trained on (tests/test_classify.py checks they stay out).
It also adds ``category_vocab.txt``: families of words per category, each word one tiny demand
"document", so the model knows vocabulary that no labelled message happened to use yet.

Deterministic: the same inputs give the same file.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from kernel.text.classify import CATEGORIES, INTENTS, _PLACEHOLDER_RE, _normalize
from kernel.text.ngram_nb import MODEL_PATH, features

ALPHA = 0.1
_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FILES = (
    _ROOT.parent / "shared" / "dev_messages.jsonl",
    _ROOT / "tests" / "data" / "heldout_messages.jsonl",
    _ROOT / "tests" / "data" / "blind_a.jsonl",
)
VOCAB_PATH = Path(__file__).with_name("category_vocab.txt")


def prepare(text: str) -> str:
    """The text as `classify()` hands it to the model."""
    return _PLACEHOLDER_RE.sub(" ", _normalize(text)).strip()


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


def build(rows: Sequence[Row], vocab: Sequence[tuple[str, str]]) -> str:
    intent_index = {c: i for i, c in enumerate(INTENTS)}
    category_index = {c: i for i, c in enumerate(CATEGORIES)}
    intent_docs = [0] * len(INTENTS)
    category_docs = [0] * len(CATEGORIES)
    intent_counts: dict[str, dict[int, int]] = {}
    category_counts: dict[str, dict[int, int]] = {}
    urgent_docs = [0, 0]
    urgent_counts: dict[str, dict[int, int]] = {}

    def count(table: dict[str, dict[int, int]], grams: set[str], i: int) -> None:
        for gram in grams:
            per_class = table.setdefault(gram, {})
            per_class[i] = per_class.get(i, 0) + 1

    for text, intent, category, urgent in rows:
        grams = features(prepare(text))
        intent_docs[intent_index[intent]] += 1
        count(intent_counts, grams, intent_index[intent])
        urgent_docs[int(urgent)] += 1
        count(urgent_counts, grams, int(urgent))
        if intent == "demand" and category:
            category_docs[category_index[category]] += 1
            count(category_counts, grams, category_index[category])
    # Vocabulary words teach the category model words, not how often categories occur:
    # they add n-grams but not documents (the prior stays that of real messages).
    for word, category in vocab:
        count(category_counts, features(prepare(word)), category_index[category])

    def fmt(per_class: dict[int, int] | None) -> str:
        if not per_class:
            return "-"
        return ",".join(f"{i}:{c}" for i, c in sorted(per_class.items()))

    lines = [
        f"alpha\t{ALPHA}",
        "classes\tintent\t" + " ".join(INTENTS),
        "classes\tcategory\t" + " ".join(CATEGORIES),
        "docs\tintent\t" + " ".join(map(str, intent_docs)),
        "classes\turgent\tno yes",
        "docs\tcategory\t" + " ".join(map(str, category_docs)),
        "docs\turgent\t" + " ".join(map(str, urgent_docs)),
    ]
    for name, table, k in (("intent", intent_counts, len(INTENTS)), ("category", category_counts, len(CATEGORIES)),
                           ("urgent", urgent_counts, 2)):
        totals = [0] * k
        for per_class in table.values():
            for i, c in per_class.items():
                totals[i] += c
        lines.append(f"totals\t{name}\t" + " ".join(map(str, totals)))
        lines.append(f"vocab\t{name}\t{len(table)}")
    for gram in sorted(set(intent_counts) | set(category_counts) | set(urgent_counts)):
        if "\t" in gram or "\n" in gram:
            continue
        lines.append(f"gram\t{gram}\t{fmt(intent_counts.get(gram))}\t{fmt(category_counts.get(gram))}"
                     f"\t{fmt(urgent_counts.get(gram))}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--no-vocab", action="store_true", help="leave category_vocab.txt out")
    args = parser.parse_args(argv)
    files = args.files or [p for p in DEFAULT_FILES if p.exists()]
    rows = read_labelled(files)
    vocab = [] if args.no_vocab else read_vocab(VOCAB_PATH)
    args.out.write_text(build(rows, vocab), encoding="utf-8")
    print(f"{args.out}: {len(rows)} messages from {len(files)} files, {len(vocab)} vocabulary words",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
