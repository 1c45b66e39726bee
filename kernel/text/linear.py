"""A logistic regression over character n-grams: the statistical half of `classify()`.

The lexicon rules in `classify.py` know the words someone chose; this model knows the labelled
messages. Its features are the character 1–3-grams of a message (no tokenizer, so wordings nobody
listed still share pieces with ones that were: "又双叒叕坏了", "帮订一下", "能约不") plus a few
marks of what the rules saw ("#p:default": no rule decided; "#c:chat": a chatter word). Unlike
naive Bayes, a logistic regression weighs overlapping n-grams jointly, so a word that appears
in requests and in chatter alike ("电梯", "火") does not drag a line to "demand" on its own.

``python -m kernel.text.train`` fits the weights (multinomial, SGD with L2, deterministic) into
``linear_model.txt``; this module only reads them. Pure Python: a message costs one dict lookup
per n-gram and a few additions, no I/O.

File format (UTF-8 text, tab-separated, one record per line):

    meta     inputs  <fingerprint of what the weights were fitted from>
    classes  <set>  <class> <class> ...         sets: intent, category, urgent
    bias     <set>  <weight per class>
    w        <set>  <feature>  <weight per class>
"""

from __future__ import annotations

import hashlib
import marshal
import math
import os
import re
from collections.abc import Iterable
from pathlib import Path

from kernel.cache import cache_dir

MODEL_PATH = Path(__file__).with_name("linear_model.txt")
SETS = ("intent", "category", "urgent")

_DIGITS = re.compile(r"\d+")
_SEPARATORS = re.compile(r"[\s,.;:、~。,;…\"'“”‘’()()【】\[\]<>《》/\\|_=*&^%$@\-—·]+")
_BANG = re.compile(r"!+")
_ASK = re.compile(r"\?+")


def ngrams(s: str) -> set[str]:
    """Character 1–3-grams of a normalised message (see `classify._normalize`), with start and
    end marks; digits fold to 0 and punctuation other than ? and ! to one space."""
    s = _DIGITS.sub("0", s)
    if "!" in s or "?" in s:
        s = _ASK.sub("?", _BANG.sub("!", s))
    s = "^" + _SEPARATORS.sub(" ", s).strip() + "$"
    a = s[1:]
    grams = set(s)                                   # built by C-level maps: this is on every message
    grams.update(map(str.__add__, s, a))
    grams.update(map("".join, zip(s, a, a[1:])))
    grams.discard(" ")
    grams.discard("^")
    grams.discard("$")
    return grams


class Linear:
    """One softmax layer per label set; `scores(name, features)` gives its log-odds per class."""

    __slots__ = ("classes", "bias", "weights", "inputs", "joint", "_index")

    def __init__(self, classes: dict[str, tuple[str, ...]], bias: dict[str, tuple[float, ...]],
                 weights: dict[str, dict[str, tuple[float, ...]]], inputs: str = "") -> None:
        self.classes = classes
        self.bias = bias
        self.weights = weights
        self.inputs = inputs
        # One look-up per feature for all label sets (`rows()`), zeros where a set has no weight.
        names = tuple(weights)
        self._index = {name: i for i, name in enumerate(names)}
        zeros = {name: (0.0,) * len(classes[name]) for name in names}
        self.joint: dict[str, tuple[tuple[float, ...], ...]] = {
            f: tuple(weights[name].get(f, zeros[name]) for name in names)
            for f in set().union(*(weights[name] for name in names))}

    @classmethod
    def _restore(cls, classes: dict[str, tuple[str, ...]], bias: dict[str, tuple[float, ...]],
                 weights: dict[str, dict[str, tuple[float, ...]]], inputs: str,
                 joint: dict[str, tuple[tuple[float, ...], ...]]) -> Linear:
        """A model as `_cache_fields()` kept it, without rebuilding `joint`."""
        model = cls.__new__(cls)
        model.classes, model.bias, model.weights, model.inputs, model.joint = classes, bias, weights, inputs, joint
        model._index = {name: i for i, name in enumerate(weights)}
        return model

    def _cache_fields(self) -> tuple[object, ...]:
        return self.classes, self.bias, self.weights, self.inputs, self.joint

    def rows(self, features: Iterable[str]) -> list[tuple[tuple[float, ...], ...]]:
        """The weights of `features` the model knows, all label sets at once (for `total()`)."""
        return [r for r in map(self.joint.get, features) if r is not None]

    def total(self, name: str, rows: list[tuple[tuple[float, ...], ...]]) -> list[float]:
        """Log-odds per class of label set `name` from `rows()`."""
        i = self._index[name]
        return list(map(sum, zip(self.bias[name], *[r[i] for r in rows])))

    def scores(self, name: str, features: Iterable[str]) -> list[float]:
        return self.total(name, self.rows(features))

    def probabilities(self, name: str, features: Iterable[str]) -> dict[str, float]:
        return softmax(self.classes[name], self.scores(name, features))


def softmax(classes: tuple[str, ...], z: list[float]) -> dict[str, float]:
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    return {c: v / total for c, v in zip(classes, e)}


def dump(model: Linear) -> str:
    lines = []
    for name in SETS:
        if name not in model.classes:
            continue
        lines.append(f"classes\t{name}\t" + " ".join(model.classes[name]))
        lines.append(f"bias\t{name}\t" + " ".join(_fmt(v) for v in model.bias[name]))
        for feature in sorted(model.weights[name]):
            lines.append(f"w\t{name}\t{feature}\t" + " ".join(_fmt(v) for v in model.weights[name][feature]))
    return "\n".join(lines) + "\n"


def _fmt(v: float) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


_CACHE_VERSION = 1


def load(path: Path = MODEL_PATH) -> Linear:
    """The model in `path`. The packaged model, once parsed, is kept in the cache directory (marshal, keyed by
    the file's size and modification time): parsing its text costs ≈ 0.3 s of CPU on every start of the
    service, reading the cache ≈ 0.1 s (cold start, issue 16)."""
    if path != MODEL_PATH:
        return parse(path)
    stat = path.stat()
    key = (_CACHE_VERSION, stat.st_size, stat.st_mtime_ns)
    try:
        cache = cache_dir() / f"linear_model.{hashlib.sha1(str(path).encode()).hexdigest()[:12]}.marshal"
    except OSError:                              # no writable cache directory: parse every time
        return parse(path)
    try:
        stored_key, fields = marshal.loads(cache.read_bytes())
        if stored_key == key:
            return Linear._restore(*fields)
    except (OSError, EOFError, ValueError, TypeError):
        pass
    model = parse(path)
    try:
        partial = cache.with_name(f"{cache.name}.{os.getpid()}")
        partial.write_bytes(marshal.dumps((key, model._cache_fields())))
        os.replace(partial, cache)               # another process reads the whole file or none of it
    except OSError:
        pass
    return model


def parse(path: Path) -> Linear:
    classes: dict[str, tuple[str, ...]] = {}
    bias: dict[str, tuple[float, ...]] = {}
    weights: dict[str, dict[str, tuple[float, ...]]] = {}
    inputs = ""
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] == "w":
                weights[parts[1]][parts[2]] = tuple(map(float, parts[3].split()))
            elif parts[0] == "classes":
                classes[parts[1]] = tuple(parts[2].split())
                weights[parts[1]] = {}
            elif parts[0] == "bias":
                bias[parts[1]] = tuple(map(float, parts[2].split()))
            elif parts[0] == "meta" and parts[1] == "inputs":
                inputs = parts[2]
    return Linear(classes, bias, weights, inputs)
