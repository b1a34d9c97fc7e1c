"""Charts for the HTML report, drawn with matplotlib and returned as inline SVG text.

* ``svg.fonttype = "none"``: text stays ``<text>`` so Chinese renders with the
  browser's fonts (no glyph outlines, no font files embedded or fetched);
* no pyplot and no global backend: figures are :class:`matplotlib.figure.Figure`
  objects rendered straight to SVG (``savefig`` picks the SVG canvas by format),
  so nothing is switched at ``import junheng`` or while drawing — better than
  ``matplotlib.use("Agg")``, which would change the backend of an embedding
  application (a GUI, a notebook); matplotlib itself is imported only when a
  chart is drawn, and rcParams apply only inside :func:`matplotlib.rc_context`;
* each SVG's ids are prefixed so several charts can live in one document
  without their clip paths colliding; the RDF metadata block is dropped.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
import warnings
from collections.abc import Sequence

import numpy as np

from ..formula import at_least, at_most
from ..numbers import format_number

FONT_FAMILIES = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "SimHei",
    "WenQuanYi Micro Hei",
    "DejaVu Sans",
]

RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "junheng",
    "font.family": "sans-serif",
    "font.sans-serif": FONT_FAMILIES,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.unicode_minus": False,
}

MET = "#3b8c5a"
FAILED = "#c0392b"
UNDEF = "#9e9e9e"
LIMIT = "#1f1f1f"

_counter = itertools.count(1)


class _Figures:
    """``plt.figure``-like factory on :class:`matplotlib.figure.Figure` (no pyplot state)."""

    @staticmethod
    def figure(figsize):
        from matplotlib.figure import Figure

        return Figure(figsize=figsize)


def _pyplot():
    import matplotlib

    return matplotlib, _Figures


def _to_svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    prefix = f"jh{next(_counter)}-"
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}\1)", svg)
    svg = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}\1"', svg)
    svg = svg.replace("<svg ", '<svg class="chart" role="img" ', 1)
    return svg


class _quiet:
    """Silence font-fallback chatter (a missing CJK font only affects text measuring)."""

    def __enter__(self):
        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore")
        self._log = logging.getLogger("matplotlib.font_manager")
        self._level = self._log.level
        self._log.setLevel(logging.ERROR)
        return self

    def __exit__(self, *exc):
        self._log.setLevel(self._level)
        return self._w.__exit__(*exc)


def _label(x: float) -> str:
    """A chart label: 2,651 / 14.3 / 0.541."""
    return format_number(x, significant=True)


def _short(title: str, n: int = 16) -> str:
    return title if len(title) <= n else title[: n - 1] + "…"


def cv_chart(
    labels: Sequence[str],
    cvs: Sequence[float | None],
    limits: Sequence[float | None],
    *,
    title: str = "",
) -> str:
    """Horizontal bars: each indicator's CV, coloured met / failed, with its limit marked."""
    matplotlib, plt = _pyplot()
    n = len(labels)
    with _quiet(), matplotlib.rc_context(RC):
        height = 0.36 * n + 0.75
        fig = plt.figure(figsize=(7.2, height))
        ax = fig.add_axes((0.34, 0.62 / height, 0.6, 1 - 0.72 / height))
        y = np.arange(n)[::-1]
        vals = [np.nan if v is None else v for v in cvs]
        colours = [
            UNDEF if v is None or lim is None else (MET if at_most(v, lim) else FAILED)
            for v, lim in zip(cvs, limits, strict=True)
        ]
        ax.barh(y, np.nan_to_num(vals), color=colours, height=0.6)
        top = max([v for v in vals if v == v] + [lim for lim in limits if lim is not None] + [0.1])
        for yi, v, lim in zip(y, vals, limits, strict=True):
            if lim is not None:
                ax.plot([lim, lim], [yi - 0.42, yi + 0.42], color=LIMIT, lw=1.6)
            ax.text(
                (0 if v != v else v) + top * 0.015,
                yi,
                "无法计算" if v != v else f"{v:.3f}",
                va="center",
                fontsize=8,
            )
        ax.set_yticks(y, [_short(lab) for lab in labels])
        ax.set_ylim(-0.6, n - 0.4)
        ax.set_xlim(0, top * 1.18)
        ax.set_xlabel("差异系数（黑线为限值）")
        if title:
            ax.set_title(title, fontsize=10, loc="left")
        return _to_svg(fig)


def distribution_chart(
    values: Sequence[float],
    *,
    threshold: float | None,
    direction: str = "min",
    mean: float | None = None,
    unit: str = "",
) -> str:
    """Each school's value, sorted, as a bar; failing schools red; the requirement as a line."""
    matplotlib, plt = _pyplot()
    v = np.sort(np.asarray(values, dtype=float))
    with _quiet(), matplotlib.rc_context(RC):
        fig = plt.figure(figsize=(4.6, 2.5))
        ax = fig.add_axes((0.15, 0.16, 0.82, 0.74))
        if threshold is None:
            colours = [MET] * v.size
        else:
            ok = at_least(v, threshold) if direction == "min" else at_most(v, threshold)
            colours = [MET if o else FAILED for o in ok]
        x = np.arange(v.size)
        ax.bar(x, v, color=colours, width=0.8 if v.size < 80 else 1.0)
        if threshold is not None:
            ax.axhline(threshold, color=LIMIT, lw=1.4, ls="--")
            ax.annotate(
                f"标准 {_label(threshold)}",
                (0, threshold),
                xytext=(2, 3),
                textcoords="offset points",
                fontsize=8,
                bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            )
        if mean is not None:
            ax.axhline(mean, color="#2c6fbb", lw=1.0, ls=":")
            ax.annotate(
                f"县均值 {_label(mean)}",
                (v.size - 1 if v.size else 0, mean),
                xytext=(-2, 3),
                textcoords="offset points",
                fontsize=8,
                ha="right",
                color="#2c6fbb",
                bbox={"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            )
        ax.set_xticks([])
        ax.set_xlabel(f"学校（按数值排序，共 {v.size} 所）", fontsize=8)
        if unit:
            ax.set_ylabel(unit, fontsize=8)
        top = max([*v.tolist(), threshold or 0.0, mean or 0.0, 1e-9])
        ax.set_ylim(0, top * 1.12)
        return _to_svg(fig)
