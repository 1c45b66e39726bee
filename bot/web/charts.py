"""Server-side SVG charts: no JavaScript, no CDN, readable on a phone, printable. Every label is
escaped (labels come from residents' words: hot words, survey options)."""

from __future__ import annotations

from html import escape
from typing import Sequence

FONT = 'font-family="-apple-system,PingFang SC,Microsoft YaHei,Noto Sans CJK SC,WenQuanYi Micro Hei,sans-serif"'
PALETTE = ("#c8161d", "#1f6feb", "#2da44e", "#bf8700", "#8250df", "#0a7ea4")


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _open(width: int, height: int, title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
            f'role="img" aria-label="{escape(title)}" class="chart" {FONT}>', f"<title>{escape(title)}</title>"]


def empty(title: str, message: str, width: int = 560) -> str:
    parts = _open(width, 60, title)
    parts.append(f'<text x="{width / 2}" y="35" text-anchor="middle" font-size="14" fill="#888">{escape(message)}</text>')
    return "".join(parts) + "</svg>"


def bar_chart(items: Sequence[tuple[str, float]], *, title: str, unit: str = "", colour: str = PALETTE[1],
              width: int = 560, bar: int = 22, label_width: int = 120, empty_text: str = "暂无数据",
              value_format: str = "{}") -> str:
    """Horizontal bars, largest value = full width; the value is printed at the end of each bar."""
    if not items:
        return empty(title, empty_text, width)
    gap = 8
    height = len(items) * (bar + gap) + gap
    top = max((v for _, v in items), default=0) or 1
    room = width - label_width - 60
    parts = _open(width, height, title)
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar + gap)
        w = max(1.0, room * value / top) if value else 0
        text = label if len(label) <= 10 else label[:9] + "…"
        parts.append(f'<text x="{label_width - 6}" y="{y + bar * 0.7:.1f}" text-anchor="end" font-size="13" '
                     f'fill="#333">{escape(text)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar}" rx="3" fill="{colour}">'
                     f"<title>{escape(label)}: {escape(value_format.format(value))}{escape(unit)}</title></rect>")
        parts.append(f'<text x="{label_width + w + 5:.1f}" y="{y + bar * 0.7:.1f}" font-size="12" fill="#555">'
                     f"{escape(value_format.format(value))}{escape(unit)}</text>")
    return "".join(parts) + "</svg>"


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str,
               width: int = 640, height: int = 240, percent: bool = True, empty_text: str = "暂无数据") -> str:
    """Lines over a shared x axis, y from 0 to 1 (shown as %). A None breaks the line (no data)."""
    if not labels or not any(v is not None for _, values in series for v in values):
        return empty(title, empty_text, width)
    left, right, top, bottom = 40, 12, 28, 28
    pw, ph = width - left - right, height - top - bottom
    n = len(labels)

    def x(i: int) -> float:
        return left + (pw * i / (n - 1) if n > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (1 - max(0.0, min(1.0, v)))

    parts = _open(width, height, title)
    for frac in (0, 0.25, 0.5, 0.75, 1):
        yy = y(frac)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="#e5e5e5"/>')
        parts.append(f'<text x="{left - 4}" y="{yy + 4:.1f}" text-anchor="end" font-size="11" fill="#888">'
                     f"{int(frac * 100)}{'%' if percent else ''}</text>")
    step = max(1, n // 8)
    for i, label in enumerate(labels):
        if i % step == 0 or i == n - 1:
            parts.append(f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" font-size="11" fill="#666">'
                         f"{escape(label)}</text>")
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        runs: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
            else:
                runs[-1].append((x(i), y(v)))
        for run in runs:
            if len(run) > 1:
                pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in run)
                parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(values):
            if v is not None:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}">'
                             f"<title>{escape(name)} {escape(labels[i])}: {_num(v * 100)}%</title></circle>")
        lx = left + k * 110
        parts.append(f'<rect x="{lx}" y="8" width="12" height="12" rx="2" fill="{colour}"/>'
                     f'<text x="{lx + 16}" y="18" font-size="12" fill="#333">{escape(name)}</text>')
    return "".join(parts) + "</svg>"


def _heat(v: float) -> str:
    """0 → pale, 1 → deep red (a single hue reads in print and for colour-blind readers)."""
    v = max(0.0, min(1.0, v))
    light = 96 - int(v * 58)
    return f"hsl(356,{70 if v else 20}%,{light}%)"


def heat_map(rows: Sequence[str], columns: Sequence[str], matrix: Sequence[Sequence[float | None]], *, title: str,
             width: int = 680, cell_h: int = 22, label_width: int = 90, empty_text: str = "暂无数据") -> str:
    """Rows × columns of 0–1 values (None: closed, hatched grey). Values are shown in each cell's tooltip."""
    if not rows or not columns:
        return empty(title, empty_text, width)
    cw = (width - label_width - 6) / len(columns)
    height = 24 + len(rows) * (cell_h + 2) + 4
    parts = _open(width, height, title)
    for j, col in enumerate(columns):
        parts.append(f'<text x="{label_width + j * cw + cw / 2:.1f}" y="16" text-anchor="middle" font-size="11" '
                     f'fill="#666">{escape(col)}</text>')
    for i, row in enumerate(rows):
        yy = 24 + i * (cell_h + 2)
        parts.append(f'<text x="{label_width - 6}" y="{yy + cell_h * 0.7:.1f}" text-anchor="end" font-size="12" '
                     f'fill="#333">{escape(row)}</text>')
        for j, v in enumerate(matrix[i]):
            fill = "#f0f0f0" if v is None else _heat(v)
            tip = f"{row} {columns[j]}: " + ("不开放" if v is None else f"{_num(v * 100)}%")
            parts.append(f'<rect x="{label_width + j * cw:.1f}" y="{yy}" width="{cw - 2:.1f}" height="{cell_h}" '
                         f'fill="{fill}"><title>{escape(tip)}</title></rect>')
    return "".join(parts) + "</svg>"
