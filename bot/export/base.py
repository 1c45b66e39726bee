"""What every export shares: the error, a table's column layout, an export kind, who an export is for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.config import Config
from models import inbox as M
from models.export_filter import ExportFilter
from texts import exports as X

FORMATS = ("json", "csv", "xlsx", "open311")
Rows = list[dict[str, Any]]


class ExportError(Exception):
    """A refused export; the message is one line, Chinese and English, for the operator or the page."""


CellKind = Literal["text", "wrap", "int", "datetime", "yesno"]


@dataclass(frozen=True)
class Column:
    key: str            # the row key it prints
    title: str          # 中文列名
    width: float        # the widest it may get, in Excel character units (a Chinese character is 2)
    kind: CellKind = "text"   # wrap: long text, wrapped; datetime: a real date cell; yesno: 是/否


@dataclass(frozen=True)
class Audience:
    """Who an export is for. `scope` limits the needs to what that web user may see (None: every need,
    the operator at the command line); `full_phones` shows phone numbers unmasked (see audience_for)."""

    scope: M.Scope | None = None
    full_phones: bool = False


# Exporting phone numbers in full: only community admins (书记/两委, who own the ledger and make the
# 回访 calls). Grid workers and departments print 138****5678 — a printed or forwarded ledger leaves the
# system, while the inbox page that shows the full number is logged per need. Viewers cannot export.
FULL_PHONE_ROLES = frozenset({M.WebRole.ADMIN})


def audience_for(role: str, scope: M.Scope) -> Audience:
    """The audience of a web user's export (the page and the API use this one rule)."""
    if role == M.WebRole.VIEWER:
        raise ExportError(X.VIEWER_CANNOT_EXPORT)
    return Audience(scope=None if role == M.WebRole.ADMIN else scope, full_phones=role in FULL_PHONE_ROLES)


Reader = Callable[[AsyncSession, Config, ExportFilter, Audience], Awaitable[list[Any]]]


@dataclass(frozen=True)
class ExportKind:
    name: str                        # needs | bookings | signups | surveys
    sheet_title: str                 # 民情台账 …
    columns: tuple[Column, ...]      # print order of CSV and xlsx
    read: Reader                     # typed rows (dataclasses) of the models
    statuses: Mapping[str, str] = field(default_factory=dict)   # status code → 中文, for --status
    filters: frozenset[str] = frozenset({"date_from", "date_to"})   # the ExportFilter fields it applies
    numbered: bool = False           # a 序号 column first
    scoped: bool = False             # rows can be limited to a web user's scope (else: admins only)
    open311: bool = False            # GeoReport v2 requests.json (needs)
