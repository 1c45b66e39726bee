"""One value → one spreadsheet cell, safely.

Formula injection (OWASP "CSV Injection"): a text cell that starts with = + - @, a tab or a carriage
return is read by Excel, LibreOffice and WPS as a formula (`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`).
Such a text gets a leading apostrophe, the standard neutraliser, in CSV and in xlsx alike; real numbers
are written as numbers, so -5 stays a number while the text "-5人" becomes "'-5人". Leading spaces and
line breaks do not hide a trigger (" =1" is neutralised too), nor do the full-width forms (＝＋－＠),
which some spreadsheet programs normalise."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from texts import exports as X

_TRIGGERS = frozenset("=+-@\t\r＝＋－＠")
_SKIPPED = " \n\u3000"
# Characters an xlsx file cannot hold (XML 1.0); openpyxl raises on them, so they are dropped.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_CELL_MAX = 32767   # Excel's limit for one cell's text
DATETIME_TEXT = "%Y-%m-%d %H:%M"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"


def formula_safe(text: str) -> str:
    """The text with a leading apostrophe when a spreadsheet would read it as a formula."""
    if text and (text[0] in _TRIGGERS or text.lstrip(_SKIPPED)[:1] in _TRIGGERS):
        return "'" + text
    return text


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def csv_cell(value: Any, tz: ZoneInfo) -> Any:
    """Readable local time without seconds, 是/否, numbers as numbers, texts formula-safe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return X.YES if value else X.NO
    if isinstance(value, datetime):
        return value.astimezone(tz).strftime(DATETIME_TEXT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return value
    return formula_safe(_text(value))


def xlsx_cell(value: Any, tz: ZoneInfo) -> Any:
    """A real (local, naive: Excel has no time zones) datetime, 是/否, a number, or a formula-safe text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return X.YES if value else X.NO
    if isinstance(value, datetime):
        return value.astimezone(tz).replace(tzinfo=None, microsecond=0)
    if isinstance(value, date | int | float):
        return value
    return formula_safe(_ILLEGAL_XML.sub("", _text(value)))[:XLSX_CELL_MAX]


def display_width(value: Any) -> int:
    """How wide a value prints, in Excel character units (a Chinese character takes two)."""
    if isinstance(value, datetime):
        return len("2026-11-23 09:05")
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
                for line in str(value).split("\n")), default=0)
