"""Charts for the HTML report, written as inline SVG text (no plotting library).

Three kinds, all drawn from coordinates computed here:

* :func:`cv_chart` — one county and stage: each indicator's difference coefficient as
  a horizontal bar, met / failed, with its limit as a black mark;
* :func:`distribution_chart` — one indicator across a county's schools: each school a
  bar, sorted, failing schools red, the requirement as a dashed line, the county mean
  as a dotted one;
* :func:`counties_chart` — the overview of a batch: one indicator × stage across every
  county, each county a bar (worst first), red above the limit, the limit as a line.

Text stays ``<text>`` (Chinese labels render with the reader's fonts; the font list is
the page's, none is embedded or fetched). The output is deterministic — the same
numbers give the same bytes, in any process — and holds no element ids, so any number
of charts can share one page. Drawing is plain string formatting: a province's
overview (14 charts of 200 counties) costs milliseconds, and nothing is imported that
``import junheng`` would not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import numpy as np

from ..formula import at_least, at_most
from ..numbers import format_number

__all__ = ["counties_chart", "cv_chart", "distribution_chart", "nice_ticks"]

FONT = (
    "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',"
    "'SimHei','WenQuanYi Micro Hei',sans-serif"
)
MET = "#3b8c5a"
FAILED = "#c0392b"
UNDEF = "#9e9e9e"
LIMIT = "#1f1f1f"
MEAN = "#2c6fbb"
GRID = "#e3e6ea"
AXIS = "#5f6368"


def _t(text: str) -> str:
    return escape(text, quote=True)


def _n(x: float) -> str:
    """A coordinate: one decimal, no trailing zeros (short, and the same in every process)."""
    s = f"{x:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _label(x: float) -> str:
    """A chart label: 2,651 / 14.3 / 0.541."""
    return format_number(x, significant=True)


def _short(title: str, n: int = 16) -> str:
    return title if len(title) <= n else title[: n - 1] + "…"


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 up to at least ``top``: 0, 0.1, 0.2 … or 0, 500, 1000 …"""
    if not math.isfinite(top) or top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(k * step, 12) for k in range(n + 1)]


def _svg(width: float, height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" role="img" aria-label="{_t(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" font-family="{FONT}" font-size="12">'
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, text: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{_n(x)}" y="{_n(y)}"{extra}>{_t(text)}</text>'


def _line(
    x1: float, y1: float, x2: float, y2: float, colour: str, width: float, dash: str = ""
) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" '
        f'stroke="{colour}" stroke-width="{width}"{d}/>'
    )


def _value_grid(
    ticks: list[float], scale: float, left: float, right: float, bottom: float
) -> list[str]:
    """Horizontal grid lines at ``ticks`` of a vertical value axis, labelled on the left."""
    grid = []
    for tick in ticks:
        y = bottom - tick * scale
        grid.append(_line(left, y, right, y, GRID, 1))
        grid.append(
            _text(left - 5, y + 4, _label(tick), text_anchor="end", font_size="11", fill=AXIS)
        )
    return grid


def _bars_path(colour: str, parts: list[str]) -> str:
    return f'<path fill="{colour}" d="{"".join(parts)}"/>' if parts else ""


def cv_chart(
    labels: Sequence[str],
    cvs: Sequence[float | None],
    limits: Sequence[float | None],
    *,
    title: str = "",
) -> str:
    """Horizontal bars: each indicator's CV, coloured met / failed, with its limit marked."""
    n = len(labels)
    row, left, right, top_pad = 26.0, 250.0, 640.0, 24.0 if title else 8.0
    height = top_pad + row * n + 40
    values = [None if v is None or not math.isfinite(v) else float(v) for v in cvs]
    known = [v for v in values if v is not None] + [lim for lim in limits if lim is not None]
    ticks = nice_ticks(max([*known, 0.1]) * 1.1)
    scale = (right - left) / ticks[-1]
    body = []
    if title:
        body.append(_text(8, 16, title, font_size="13", font_weight="600"))
    bottom = top_pad + row * n
    for tick in ticks:
        x = left + tick * scale
        body.append(_line(x, top_pad, x, bottom, GRID, 1))
        body.append(_text(x, bottom + 14, _label(tick), text_anchor="middle", fill=AXIS))
    body.append(_line(left, top_pad, left, bottom, AXIS, 1))
    body.append(
        _text((left + right) / 2, bottom + 32, "差异系数（黑线为限值）", text_anchor="middle")
    )
    for k, (lab, v, lim) in enumerate(zip(labels, values, limits, strict=True)):
        y = top_pad + row * k
        colour = UNDEF if v is None or lim is None else (MET if at_most(v, lim) else FAILED)
        body.append(_text(left - 8, y + row / 2 + 4, _short(lab, 18), text_anchor="end"))
        w = 0.0 if v is None else v * scale
        body.append(
            f'<rect x="{_n(left)}" y="{_n(y + 5)}" width="{_n(w)}" height="{_n(row - 10)}" '
            f'fill="{colour}"/>'
        )
        if lim is not None:
            x = left + lim * scale
            body.append(_line(x, y + 2, x, y + row - 2, LIMIT, 2))
        text = "无法计算" if v is None else f"{v:.3f}"
        body.append(_text(left + w + 5, y + row / 2 + 4, text, font_size="11"))
    return _svg(right + 60, height, title or "各指标差异系数与限值", body)


def distribution_chart(
    values: Sequence[float],
    *,
    threshold: float | None,
    direction: str = "min",
    mean: float | None = None,
    unit: str = "",
) -> str:
    """Each school's value, sorted, as a bar; failing schools red; the requirement as a line."""
    v = np.sort(np.asarray(values, dtype=float))
    v = v[np.isfinite(v)]
    width, height = 460.0, 250.0
    left, right, top, bottom = 58.0, 450.0, 12.0, 214.0
    peak = max([*v.tolist()[-1:], threshold or 0.0, mean or 0.0, 1e-9])
    ticks = nice_ticks(peak * 1.08, 4)
    scale = (bottom - top) / ticks[-1]
    body = _value_grid(ticks, scale, left, right, bottom)
    if v.size:
        if threshold is None:
            ok = np.ones(v.size, dtype=bool)
        else:
            ok = at_least(v, threshold) if direction == "min" else at_most(v, threshold)
        step = (right - left) / v.size
        w = step * (0.8 if v.size < 80 else 1.0)
        paths: dict[bool, list[str]] = {True: [], False: []}
        for k, (x, good) in enumerate(zip(v.tolist(), ok.tolist(), strict=True)):
            h = max(x, 0.0) * scale
            paths[bool(good)].append(
                f"M{_n(left + k * step + (step - w) / 2)} {_n(bottom)}h{_n(w)}v{_n(-h)}h{_n(-w)}z"
            )
        body.append(_bars_path(MET, paths[True]))
        body.append(_bars_path(FAILED, paths[False]))
    body.append(_line(left, bottom, right, bottom, AXIS, 1))
    if threshold is not None:
        y = bottom - threshold * scale
        body.append(_line(left, y, right, y, LIMIT, 1.5, "6 4"))
        body.append(_label_box(left + 3, y - 4, f"标准 {_label(threshold)}", LIMIT, "start"))
    if mean is not None:
        y = bottom - mean * scale
        body.append(_line(left, y, right, y, MEAN, 1.2, "2 3"))
        body.append(_label_box(right - 3, y - 4, f"县均值 {_label(mean)}", MEAN, "end"))
    body.append(
        _text(
            (left + right) / 2,
            bottom + 20,
            f"学校（按数值排序，共 {v.size} 所）",
            text_anchor="middle",
            font_size="11",
        )
    )
    if unit:
        body.append(
            f'<text transform="translate(12 {_n((top + bottom) / 2)}) rotate(-90)" '
            f'text-anchor="middle" font-size="11">{_t(unit)}</text>'
        )
    return _svg(width, height, f"学校分布（{unit}）" if unit else "学校分布", body)


def _label_box(x: float, y: float, text: str, colour: str, anchor: str) -> str:
    """A label on a white background (stays readable over the bars)."""
    w = _text_width(text, 11) + 6
    bx = x - 3 if anchor == "start" else x - w + 3
    return (
        f'<rect x="{_n(bx)}" y="{_n(y - 11)}" width="{_n(w)}" height="15" fill="#fff" '
        f'fill-opacity="0.85"/>'
        + _text(x, y, text, text_anchor=anchor, font_size="11", fill=colour)
    )


def _text_width(text: str, size: float) -> float:
    """Roughly how wide ``text`` is drawn: a CJK character is 1 em, others about 0.6 em."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.6 for ch in text)


def counties_chart(
    points: Sequence[tuple[str, float | None, bool | None]],
    limit: float | None,
    *,
    label: str,
    name_limit: int = 40,
) -> str:
    """One indicator × stage across counties: ``points`` are (county, CV, met), each drawn
    as a bar, worst first, red where the county fails the limit, the limit as a line. Up
    to ``name_limit`` counties are named under their bars; every bar carries its county
    and value as a tooltip (``<title>``)."""
    pairs = sorted(
        (
            (float(cv), name, met)
            for name, cv, met in points
            if cv is not None and math.isfinite(cv)
        ),
        key=lambda p: -p[0],
    )
    named = len(pairs) <= name_limit
    left, right, top, bottom = 44.0, 550.0, 14.0, 170.0
    height = bottom + (92 if named else 34)
    peak = max([p[0] for p in pairs[:1]] + [limit or 0.0, 0.1])
    ticks = nice_ticks(peak * 1.08, 4)
    scale = (bottom - top) / ticks[-1]
    body = _value_grid(ticks, scale, left, right, bottom)
    step = min((right - left) / max(len(pairs), 1), 40.0)  # a few counties: bars stay bars
    w = step * (0.75 if len(pairs) < 120 else 1.0)
    for k, (cv, name, met) in enumerate(pairs):
        x = left + k * step + (step - w) / 2
        h = max(cv, 0.0) * scale
        colour = UNDEF if met is None else (MET if met else FAILED)
        body.append(
            f'<rect x="{_n(x)}" y="{_n(bottom - h)}" width="{_n(w)}" height="{_n(h)}" '
            f'fill="{colour}"><title>{_t(name)} {cv:.3f}</title></rect>'
        )
        if named:
            body.append(
                f'<text transform="translate({_n(x + w / 2 + 4)} {_n(bottom + 8)}) rotate(-60)" '
                f'text-anchor="end" font-size="10">{_t(_short(name, 8))}</text>'
            )
    body.append(_line(left, bottom, right, bottom, AXIS, 1))
    if limit is not None:
        y = bottom - limit * scale
        body.append(_line(left, y, right, y, LIMIT, 1.5, "6 4"))
        body.append(_label_box(right - 3, y - 4, f"限值 {_label(limit)}", LIMIT, "end"))
    caption = f"各县（区）按差异系数从大到小排列，共 {len(pairs)} 个；红色为超过限值"
    body.append(
        _text((left + right) / 2, height - 8, caption, text_anchor="middle", font_size="11")
    )
    return _svg(right + 10, height, label, body)
