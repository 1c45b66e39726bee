"""The cache directory: files gridbot rebuilds when they are missing (jieba's dictionary, the parsed classifier
model, wechaty's cache). Safe to delete; a start after that is slower once."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """GRIDBOT_CACHE_DIR, else ~/.cache/gridbot; created if missing."""
    configured = os.environ.get("GRIDBOT_CACHE_DIR")
    path = Path(configured) if configured else Path.home() / ".cache" / "gridbot"
    path.mkdir(parents=True, exist_ok=True)
    return path
