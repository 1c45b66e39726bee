"""Cold start (issue 16): the shortcuts on `gridbot run`'s start path give the same result as the long way."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import jieba
import pytest
from alembic.script import ScriptDirectory

from bot.app import migrate_database
from bot.service import schema_at_head
from kernel.text.jieba_setup import USER_DICT, _load_cache
from models.db import _alembic_config
from models.migrations.head import head_revision


def test_head_revision_is_alembics_head() -> None:
    script = ScriptDirectory.from_config(_alembic_config("sqlite+aiosqlite:///unused.db"))
    assert head_revision() == script.get_current_head()


async def test_alembic_is_skipped_only_at_head(tmp_path: Path) -> None:
    db = tmp_path / "gridbot.db"
    url = f"sqlite+aiosqlite:///{db}"
    assert not await schema_at_head(url)
    assert not db.exists()                      # asking does not create the file
    await migrate_database(url)
    assert await schema_at_head(url)
    with sqlite3.connect(db) as connection:     # an older schema: the start migrates it
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    assert not await schema_at_head(url)


def test_jieba_from_its_cache_cuts_like_jieba(tmp_path: Path) -> None:
    built = jieba.Tokenizer()
    built.tmp_dir = str(tmp_path)
    assert not _load_cache(built)               # no cache yet: jieba builds it, as before
    built.initialize()
    cached = jieba.Tokenizer()
    cached.tmp_dir = str(tmp_path)
    assert _load_cache(cached)
    for tokenizer in (built, cached):
        with USER_DICT.open("rb") as f:
            tokenizer.load_userdict(f)
    text = "3号楼电梯又坏了,网格员能来看看吗?四点半课堂报名"
    assert cached.lcut(text) == built.lcut(text) and cached.total == built.total


def test_wechaty_stand_ins_do_not_outlive_its_import() -> None:
    import bot.wechaty_shim  # noqa: F401

    for name in ("quart", "quart_cors", "github", "opengraph_py3"):
        module = sys.modules.get(name)
        assert module is None or "stand-in" not in (module.__doc__ or "")


def test_classifier_model_from_the_cache_scores_like_the_file(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from kernel.text import linear

    monkeypatch.setenv("GRIDBOT_CACHE_DIR", str(tmp_path))
    parsed = linear.parse(linear.MODEL_PATH)
    first = linear.load()                       # parses and writes the cache
    assert list(tmp_path.glob("linear_model.*.marshal"))
    cached = linear.load()
    features = linear.ngrams("3号楼电梯又坏了,什么时候能修好?")
    for model in (first, cached):
        for name in parsed.classes:
            assert model.probabilities(name, features) == parsed.probabilities(name, features)
