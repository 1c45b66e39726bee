"""`gridbot export` as an operator runs it: data on stdout or in --out, the row count and the path on
stderr, filters, and one clear line with exit code 2 for a mistyped --db (no empty database created)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from tests.test_needs import G1, G2


def gridbot(capfd: pytest.CaptureFixture[bytes], *args: str) -> tuple[int, bytes, bytes]:
    """The real command line in this process (its imports are warm): exit code, stdout, stderr."""
    capfd.readouterr()
    code = main(list(args))
    out, err = capfd.readouterr()
    return code, out, err


async def test_export_from_the_command_line(harness, tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    h = harness
    await h.set_clock("2026-11-30 09:05")
    await h.say(G1, "wx_zhang", "@小助手 3栋电梯又坏了,有人被关在里面")
    await h.say(G2, "wx_ma", "@小助手 8栋门口垃圾桶满出来了,好几天没人收")
    await h.set_clock("2026-12-01 10:30")
    await h.say(G1, "wx_lidaye", "@小助手 5栋楼道灯坏了好几天了")
    url = h.core.db_url

    async def export(*args: str) -> tuple[int, bytes, bytes]:
        return await asyncio.to_thread(gridbot, capfdbinary, "export", "needs", "--db", url, *args)

    code, out, err = await export()
    assert code == 0 and len(json.loads(out)) == 3
    assert err.decode().strip().endswith("已导出 3 行 → 标准输出 (stdout) / exported 3 rows to 标准输出 (stdout)")

    code, out, err = await export("--format", "csv", "--from", "2026-11-01", "--to", "2026-11-30")
    assert code == 0 and out.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(out.decode("utf-8-sig"))))
    assert len(table) == 3 and all(re.fullmatch(r"2026-11-30 09:05", r[2]) for r in table[1:])

    xlsx = tmp_path / "台账.xlsx"
    code, out, err = await export("--format", "xlsx", "--out", str(xlsx), "--grid", "1", "--status", "open",
                                   "--category", "repair")
    assert code == 0 and out == b"" and f"已导出 2 行 → {xlsx.resolve()}" in err.decode()
    ws = load_workbook(xlsx).active
    assert [ws.cell(row=r, column=4).value for r in (3, 4)] == ["网格1", "网格1"]
    assert "网格1 · 状态: 未办结 · 类别: 维修" in ws["A1"].value


def _one_paragraph(err: bytes) -> bool:
    """An operator reads one paragraph (Chinese, then English), never a traceback."""
    text = err.decode().strip()
    return bool(text) and "\n\n" not in text and "Traceback" not in text


def test_a_mistyped_database_or_filter_is_one_clear_line(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    missing = tmp_path / "typo.db"
    code, out, err = gridbot(capfdbinary, "export", "needs", "--db", f"sqlite:///{missing}")
    assert code == 2 and out == b"" and "不存在" in err.decode() and "--db" in err.decode() and str(missing) in err.decode()
    assert _one_paragraph(err) and not missing.exists()
    real = f"sqlite:///{tmp_path / 'real.db'}"
    assert gridbot(capfdbinary, "migrate", "--db", real)[0] == 0
    code, out, err = gridbot(capfdbinary, "export", "bookings", "--db", real, "--category", "repair")
    assert code == 2 and "不能按类别筛选" in err.decode() and _one_paragraph(err)
    code, out, err = gridbot(capfdbinary, "export", "needs", "--db", "postgresql://postgres:s3cret@127.0.0.1:1/x")
    assert code == 2 and "无法打开数据库" in err.decode() and "s3cret" not in err.decode() and _one_paragraph(err)
    code, out, err = gridbot(capfdbinary, "export", "needs", "--db", "mysql://root@localhost/gridbot")
    assert code == 2 and "只支持 SQLite" in err.decode() and _one_paragraph(err)
