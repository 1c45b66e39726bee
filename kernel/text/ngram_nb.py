"""A small character n-gram naive Bayes model: the statistical half of `classify()`.

The lexicon rules in `classify.py` know the words someone chose; this model knows the labelled
messages (``python -m kernel.text.train_nb`` counts their character 1–3-grams into
``nb_model.txt``). Character n-grams need no tokenizer and carry over to wordings the lexicon
never listed ("又双叒叕坏了", "帮订一下", "能约不"). The model is loaded once at import; a
message costs one pass over its n-grams (tens of µs), no I/O.

File format (UTF-8 text, one record per line, tab-separated):

    alpha    <smoothing>
    classes  intent    demand booking signup inquiry chatter
    classes  category  repair environment ...
    classes  urgent    no yes
    docs     <set>     <documents per class, same order>
    totals   <set>     <sum of the n-gram counts per class>
    vocab    <set>     <number of distinct n-grams counted for the set>
    gram     <n-gram>  <intent counts "i:n,i:n" or "-">  <category counts or "-">  <urgent counts or "-">

Counts are document frequencies (a message counts an n-gram once); category counts come
from demand messages only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("nb_model.txt")

_DIGITS = re.compile(r"\d+")
_SEPARATORS = re.compile(r"[\s,.;:、~。,;…\"'“”‘’()()【】\[\]<>《》/\\|_=*&^%$@\-—·]+")
_BANG = re.compile(r"!+")
_ASK = re.compile(r"\?+")


def features(s: str) -> set[str]:
    """Character 1–3-grams of a normalised message (see `classify._normalize`), with start and
    end marks; digits fold to 0 and punctuation other than ? and ! to one space."""
    s = _DIGITS.sub("0", s)
    s = _ASK.sub("?", _BANG.sub("!", s))
    s = "^" + _SEPARATORS.sub(" ", s).strip() + "$"
    n = len(s)
    grams = {s[i:i + k] for k in (1, 2, 3) for i in range(n - k + 1)}
    grams.discard(" ")
    grams.discard("^")
    grams.discard("$")
    return grams


_CJK = re.compile(r"[\u4e00-\u9fff]")


class Models:
    """Naive Bayes models for several label sets over one n-gram table.

    Each n-gram maps to one flat row: the log likelihoods of every class of every set side by
    side (0.0 for a set whose vocabulary lacks the n-gram: it then plays no part there), so a
    message costs one lookup per n-gram and one column sum for all the sets at once."""

    __slots__ = ("names", "classes", "priors", "spans", "table", "evidence_grams")

    def __init__(self, names: tuple[str, ...], classes: dict[str, tuple[str, ...]],
                 priors: dict[str, tuple[float, ...]], table: dict[str, tuple[float, ...]]) -> None:
        self.names = names
        self.classes = classes
        self.priors = priors
        self.spans: dict[str, tuple[int, int]] = {}
        start = 0
        for name in names:
            self.spans[name] = (start, start + len(classes[name]))
            start += len(classes[name])
        self.table = table
        # Chinese n-grams of two or three characters: what counts as evidence for the model.
        self.evidence_grams = frozenset(g for g in table if len(g) > 1 and _CJK.search(g))

    def evidence(self, grams: set[str]) -> int:
        """How many Chinese 2–3-grams of the message the model has seen in training."""
        return len(self.evidence_grams.intersection(grams))

    def log_scores(self, grams: Iterable[str]) -> dict[str, list[float]]:
        """Unnormalised log P(class, n-grams) for every set; unseen n-grams are ignored."""
        rows = [w for w in map(self.table.get, grams) if w is not None]
        sums = list(map(sum, zip(*rows))) if rows else None
        out: dict[str, list[float]] = {}
        for name in self.names:
            prior = self.priors[name]
            if sums is None:
                out[name] = list(prior)
            else:
                start, end = self.spans[name]
                out[name] = [p + t for p, t in zip(prior, sums[start:end])]
        return out

    def posterior(self, name: str, z: list[float]) -> dict[str, float]:
        """Class probabilities of set `name` from its log scores."""
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return {c: v / total for c, v in zip(self.classes[name], e)}


SETS = ("intent", "category", "urgent")


def load(path: Path = MODEL_PATH) -> Models:
    """The models in `path`: intent, category (of demand messages) and urgent (no/yes).

    One pass: the header gives each set's classes, documents, n-gram totals and vocabulary
    size, so every n-gram line becomes its rows of log likelihoods at once."""
    alpha = 0.1
    header: dict[str, dict[str, list[str]]] = {}
    priors: dict[str, tuple[float, ...]] = {}
    unseen: list[tuple[float, ...]] = []
    denominators: list[list[float]] = []
    names: tuple[str, ...] = ()
    zeros: list[tuple[float, ...]] = []
    log_count: dict[str, float] = {}
    table: dict[str, tuple[float, ...]] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] != "gram":
                if parts[0] == "alpha":
                    alpha = float(parts[1])
                else:
                    header.setdefault(parts[0], {})[parts[1]] = parts[2].split()
                continue
            if not names:  # the header is complete: per-set constants
                names = tuple(n for n in SETS if n in header.get("classes", {}))
                for name in names:
                    docs = [int(x) for x in header["docs"][name]]
                    k = len(docs)
                    total_docs = sum(docs) or 1
                    priors[name] = tuple(math.log((d + alpha) / (total_docs + alpha * k)) for d in docs)
                    vocab = int(header["vocab"][name][0]) or 1
                    den = [math.log(int(t) + alpha * vocab) for t in header["totals"][name]]
                    denominators.append(den)
                    unseen.append(tuple(math.log(alpha) - d for d in den))
                    zeros.append((0.0,) * k)
            row: list[float] = []
            for j, field in enumerate(parts[2:2 + len(names)]):
                if field == "-":
                    row.extend(zeros[j])
                    continue
                part = list(unseen[j])
                den = denominators[j]
                for item in field.split(","):
                    i, c = item.split(":")
                    lc = log_count.get(c)
                    if lc is None:
                        lc = log_count[c] = math.log(int(c) + alpha)
                    part[int(i)] = lc - den[int(i)]
                row.extend(part)
            table[parts[1]] = tuple(row)
    classes = {name: tuple(header["classes"][name]) for name in names}
    return Models(names, classes, priors, table)
