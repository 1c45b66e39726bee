"""The one place that initialises jieba for the whole service.

jieba's first cut loads its dictionary (~0.8 s, ~90 MB) and writes a cache file to the
temp dir, crashing when that is not writable. `warm_up()` does this once at service start
with the cache in a project directory and the community user dictionary loaded;
`tokenizer()` is the lazy, idempotent accessor for everything else.
Never call `enable_paddle()` (it runs pip) or `enable_parallel()` (slower on chat lines).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import jieba

USER_DICT = Path(__file__).with_name("community_dict.txt")

_lock = threading.Lock()
_ready = False


def cache_dir() -> Path:
    """GRIDBOT_CACHE_DIR, else ~/.cache/gridbot; created if missing."""
    configured = os.environ.get("GRIDBOT_CACHE_DIR")
    path = Path(configured) if configured else Path.home() / ".cache" / "gridbot"
    path.mkdir(parents=True, exist_ok=True)
    return path


def tokenizer() -> jieba.Tokenizer:
    """The initialised global jieba tokenizer (`jieba.dt`), set up on first use."""
    global _ready
    if not _ready:
        with _lock:
            if not _ready:
                jieba.setLogLevel(logging.WARNING)  # keep "Building prefix dict" off stderr
                jieba.dt.tmp_dir = str(cache_dir())
                jieba.dt.initialize()
                with USER_DICT.open("rb") as f:
                    jieba.dt.load_userdict(f)
                _ready = True
    return jieba.dt


def warm_up() -> None:
    """Load the dictionary and run one cut, so no message pays for it. Safe to call twice."""
    tokenizer().lcut("网格小助手预热:3栋电梯坏了", HMM=False)
