"""CSV and xlsx from one column layout.

CSV: UTF-8 with a BOM (Excel then opens Chinese correctly), local times "2026-11-23 09:05", 是/否.
xlsx — the ledger a worker prints: a title row, a bold header row that repeats on every printed page
and stays frozen on screen, an autofilter, real date cells in local time, widths from the content
within each column's limit, wrapped long texts, A4 landscape fitted to one page wide, page numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from typing import TYPE_CHECKING

from bot.export.base import Column, ExportKind, Rows
from bot.export.cells import DATETIME_FORMAT, csv_cell, display_width, formula_safe, xlsx_cell
from kernel.config import Config
from texts import exports as X

if TYPE_CHECKING:   # openpyxl (≈ 0.25 s to import) is loaded by the first xlsx export, not at service start
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, NamedStyle

NUMBER = Column("_n", "序号", 6, "int")


def layout(kind: ExportKind) -> list[Column]:
    return ([NUMBER] if kind.numbered else []) + list(kind.columns)


def _values(kind: ExportKind, n: int, row: dict[str, Any]) -> list[Any]:
    return ([n] if kind.numbered else []) + [row.get(c.key) for c in kind.columns]


def to_csv(kind: ExportKind, rows: Rows, config: Config) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([c.title for c in layout(kind)])
    tz = config.timezone
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_cell(v, tz) for v in _values(kind, n, row)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _styles() -> dict[str, NamedStyle]:
    """One named style per kind of cell: a cell then refers to it by name (styling each cell with its
    own Alignment and Border objects took 20 s of 28 for 3,000 needs; with names it is a lookup)."""
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

    thin = Side(style="thin", color="A6A6A6")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)

    def named(name: str, alignment: Alignment, number_format: str = "General", **kw: Any) -> NamedStyle:
        return NamedStyle(name=name, alignment=alignment, border=border, number_format=number_format, **kw)

    top = {"vertical": "top"}
    return {
        "title": NamedStyle(name="gb_title", font=Font(bold=True, size=13), alignment=Alignment(vertical="center")),
        "header": named("gb_header", Alignment(horizontal="center", vertical="center", wrap_text=True),
                        font=Font(bold=True), fill=PatternFill("solid", fgColor="DDEBF7")),
        "text": named("gb_text", Alignment(**top)),
        "wrap": named("gb_wrap", Alignment(wrap_text=True, **top)),
        "int": named("gb_int", Alignment(horizontal="center", **top)),
        "yesno": named("gb_yesno", Alignment(horizontal="center", **top)),
        "datetime": named("gb_datetime", Alignment(horizontal="center", **top), DATETIME_FORMAT),
    }


def _widths(columns: Sequence[Column], table: list[list[Any]]) -> list[float]:
    """Each column as wide as its widest value or title, never wider than its layout allows."""
    widest = [display_width(c.title) for c in columns]
    for values in table:
        for i, v in enumerate(values):
            if v is not None:
                widest[i] = max(widest[i], display_width(v))
    return [min(c.width, max(w, 4)) + 1.5 for c, w in zip(columns, widest)]


def _header_text(text: str) -> str:
    return text.replace("&", "&&")   # & starts a code in page headers


def to_xlsx(kind: ExportKind, rows: Rows, config: Config, heading: str) -> bytes:
    return workbook([Sheet(kind.sheet_title, layout(kind), [_values(kind, n, row) for n, row in enumerate(rows, 1)],
                           heading)], config, kind.sheet_title)


@dataclass(frozen=True)
class Sheet:
    """One printed table: its tab name, columns, rows of values (in column order) and title line."""

    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    heading: str


def workbook(sheets: Sequence[Sheet], config: Config, title: str) -> bytes:
    """One xlsx of one or more ledger-style sheets (the 月报 has six)."""
    # Write-only mode streams rows to the file: a third of the time and memory of the normal mode for
    # 10,000 needs. Its sheet settings (widths, panes, print setup) must be made before the first row.
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    wb.properties.title = f"{config.community} {title}"
    wb.properties.creator = "gridbot"
    styles = _styles()
    for style in styles.values():
        wb.add_named_style(style)
    for sheet in sheets:
        _write_sheet(wb, styles, sheet, config)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _write_sheet(wb: Workbook, styles: dict[str, NamedStyle], sheet: Sheet, config: Config) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins
    from openpyxl.worksheet.worksheet import Worksheet

    columns = sheet.columns
    tz = config.timezone
    table = [[xlsx_cell(v, tz) for v in values] for values in sheet.rows]
    ws = wb.create_sheet(sheet.title[:31])
    last, end = get_column_letter(len(columns)), 2 + len(table)
    for i, width in enumerate(_widths(columns, table), 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A3"
    ws.auto_filter.ref = f"A2:{last}{end}"
    ws.print_title_rows = "2:2"
    ws.print_area = f"A1:{last}{end}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.oddHeader.center.text = _header_text(f"{config.community} {sheet.title}")
    ws.oddFooter.center.text = X.FOOTER
    ws.row_dimensions[1].height = 24

    def cell(value: Any, style: str) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value)
        if isinstance(value, str):
            c.data_type = "s"          # a text is a text, never a formula
        c.style = style
        return c

    ws.append([cell(formula_safe(sheet.heading), styles["title"].name)])   # shows across the empty cells beside it
    ws.append([cell(c.title, styles["header"].name) for c in columns])
    names = [styles[c.kind].name for c in columns]
    for values in table:
        ws.append([cell(v, name) for v, name in zip(values, names)])
