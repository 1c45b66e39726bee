"""The one place that initialises jieba for the whole service.

jieba's first cut loads its dictionary (~0.8 s, ~90 MB) and writes a cache file to the
temp dir, crashing when that is not writable; later starts read that cache (≈ 0.3 s here).
`warm_up()` does this once at service start with the cache in the cache directory
(kernel/cache.py) and the community user dictionary loaded;
`tokenizer()` is the lazy, idempotent accessor for everything else.
Never call `enable_paddle()` (it runs pip) or `enable_parallel()` (slower on chat lines).
"""

from __future__ import annotations

import logging
import marshal
import threading
from pathlib import Path

import jieba

from kernel.cache import cache_dir

USER_DICT = Path(__file__).with_name("community_dict.txt")

_lock = threading.Lock()
_ready = False


def tokenizer() -> jieba.Tokenizer:
    """The initialised global jieba tokenizer (`jieba.dt`), set up on first use."""
    global _ready
    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)  # keep "Building prefix dict" off stderr
                jieba.dt.tmp_dir = str(cache_dir())
                if not _load_cache(jieba.dt):
                    jieba.dt.initialize()   # builds the dictionary and writes the cache file
                with USER_DICT.open("rb") as f:
                    jieba.dt.load_userdict(f)
                _ready = True
    return jieba.dt


def _load_cache(dt: jieba.Tokenizer) -> bool:
    """jieba's own cache file of its default dictionary, read whole and unmarshalled from bytes: jieba's
    `marshal.load(file)` reads it in small pieces and takes ≈ 0.8 s CPU where this takes ≈ 0.3 s (cold start,
    issue 16). False (jieba then builds it, as always) when there is no usable cache."""
    if dt.dictionary != jieba.DEFAULT_DICT or dt.cache_file:
        return False
    try:
        freq, total = marshal.loads((Path(dt.tmp_dir) / "jieba.cache").read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return False
    if not isinstance(freq, dict) or not isinstance(total, int):
        return False
    with dt.lock:
        dt.FREQ, dt.total, dt.initialized = freq, total, True
    return True


def warm_up() -> None:
    """Load the dictionary and run one cut, so no message pays for it. Safe to call twice."""
    tokenizer().lcut("网格小助手预热:3栋电梯坏了", HMM=False)
