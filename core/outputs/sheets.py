"""A small, fast XLSX writer: rows of values and styles in, an Office Open XML workbook out.

The XLSX report of a province (15,000 schools) is half a million cells. openpyxl
builds a Python object per cell and hashes its style objects on save (~25 µs a
cell, 13 s for the province); XlsxWriter is ~5 µs a cell. This writer formats each
row straight into SpreadsheetML text (~1 µs a cell) and zips the parts: only what the
report uses — text, numbers, yes/no; fonts, fills, thin borders, wrapping,
indentation, number formats; column widths, row heights, frozen panes, an auto
filter; document title and author. It writes nothing else (no formulas, no charts, no
merged cells), and its output is read back by openpyxl in the tests.

* Text is always a text cell (shared strings), never a formula; text starting with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return also gets Excel's quote prefix
  (:data:`junheng.text.FORMULA_LEADERS`, OWASP's advice), as :func:`.cells.put` does for
  openpyxl; characters XML cannot carry become U+FFFD.
* A non-finite number (NaN, infinity) is left blank, never written as text.
* The bytes are deterministic: fixed zip timestamps, the creation time is the report's
  evaluation time.
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

from ..text import FORMULA_LEADERS, replace_unsafe

__all__ = ["Style", "Workbook", "Worksheet", "column_letter"]

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
#: zlib level 1: the 21 MB of XML of a 15,000-school province compress in 0.09 s (level 6:
#: 0.5 s) into 3.6 MB (level 6: 2.9 MB)
LEVEL = 1
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTR = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4}


def _esc(text: str) -> str:
    return text.translate(_TEXT)


def _attr(text: str) -> str:
    return text.translate(_ATTR)


_LETTERS: list[str] = []
_INFINITIES = (math.inf, -math.inf)
#: `` s="N"`` of the first style ids (0: none), formatted once
_STYLE_ATTR = [""] + [f' s="{k}"' for k in range(1, 256)]


def column_letter(col: int) -> str:
    """1 → ``A``, 27 → ``AA``."""
    while len(_LETTERS) < col:
        n, s = len(_LETTERS) + 1, ""
        while n:
            n, r = divmod(n - 1, 26)
            s = chr(65 + r) + s
        _LETTERS.append(s)
    return _LETTERS[col - 1]


@attrs.frozen
class Style:
    """How a cell looks. Colours are ``RRGGBB``."""

    bold: bool = False
    color: str | None = None
    size: float | None = None
    fill: str | None = None
    border: bool = False
    wrap: bool = False
    top: bool = False  # vertical alignment at the top
    indent: int = 0
    number_format: str | None = None


class Workbook:
    """Sheets in order; :meth:`style` turns a :class:`Style` into the id cells use."""

    def __init__(self) -> None:
        self.sheets: list[Worksheet] = []
        self.title = ""
        self.creator = ""
        self.created: str | None = None  # W3C date-time, e.g. 2026-12-02T01:43:06Z
        self._strings: dict[str, int] = {}
        self._styles: dict[tuple[Style, bool], int] = {(Style(), False): 0}
        self._quoted: dict[int, int] = {}

    def sheet(self, title: str) -> Worksheet:
        ws = Worksheet(self, title)
        self.sheets.append(ws)
        return ws

    def style(self, style: Style | None = None, **kw: Any) -> int:
        """The id of ``style`` (or of ``Style(**kw)``); 0 is the default look."""
        style = style or Style(**kw)
        return self._styles.setdefault((style, False), len(self._styles))

    def _quote(self, sid: int) -> int:
        """The id of the same look with Excel's quote prefix (text that looks like a formula)."""
        got = self._quoted.get(sid)
        if got is None:
            style = next(s for (s, q), i in self._styles.items() if i == sid and not q)
            got = self._quoted[sid] = self._styles.setdefault((style, True), len(self._styles))
        return got

    def _string(self, text: str) -> int:
        index = self._strings.get(text)
        if index is None:
            index = self._strings[text] = len(self._strings)
        return index

    # -- the package ----------------------------------------------------------------

    def save(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as z:

            def put(name: str, text: str) -> None:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, text.encode("utf-8"), compresslevel=LEVEL)

            n = len(self.sheets)
            put("[Content_Types].xml", self._content_types(n))
            put("_rels/.rels", _ROOT_RELS)
            put("docProps/core.xml", self._core())
            put("docProps/app.xml", _APP)
            put("xl/workbook.xml", self._workbook())
            put("xl/_rels/workbook.xml.rels", self._workbook_rels(n))
            for k, ws in enumerate(self.sheets, start=1):
                put(f"xl/worksheets/sheet{k}.xml", ws._xml(selected=k == 1))
            put("xl/sharedStrings.xml", self._shared_strings())
            put("xl/styles.xml", self._stylesheet())
        return buf.getvalue()

    @staticmethod
    def _content_types(n: int) -> str:
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for k in range(1, n + 1)
        )
        return (
            _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>' + sheets + '<Override PartName="/xl/'
            'sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
            'package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>'
        )

    def _core(self) -> str:
        created = (
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{_esc(self.created)}</dcterms:created>'
            if self.created
            else ""
        )
        return (
            _HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
            'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/"'
            ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{_esc(replace_unsafe(self.title))}</dc:title>"
            f"<dc:creator>{_esc(replace_unsafe(self.creator))}</dc:creator>"
            f"{created}</cp:coreProperties>"
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{_attr(ws.title)}" sheetId="{k}" r:id="rId{k}"/>'
            for k, ws in enumerate(self.sheets, start=1)
        )
        names = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{k}" hidden="1">'
            f"{_esc(ws._filter_reference())}</definedName>"
            for k, ws in enumerate(self.sheets)
            if ws.auto_filter
        )
        return (
            _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/>'
            f"</bookViews><sheets>{sheets}</sheets>"
            + (f"<definedNames>{names}</definedNames>" if names else "")
            + "</workbook>"
        )

    @staticmethod
    def _workbook_rels(n: int) -> str:
        rels = [
            f'<Relationship Id="rId{k}" Type="{_REL}/worksheet" Target="worksheets/sheet{k}.xml"/>'
            for k in range(1, n + 1)
        ]
        rels.append(f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>')
        rels.append(
            f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
        )
        return _HEAD + f'<Relationships xmlns="{_PKG_REL}">' + "".join(rels) + "</Relationships>"

    def _shared_strings(self) -> str:
        items = "".join(f'<si><t xml:space="preserve">{_esc(s)}</t></si>' for s in self._strings)
        n = len(self._strings)
        return _HEAD + f'<sst xmlns="{_MAIN}" count="{n}" uniqueCount="{n}">{items}</sst>'

    def _stylesheet(self) -> str:
        fonts: dict[tuple[Any, ...], int] = {(False, None, None): 0}
        fills: dict[str | None, int] = {None: 0, "gray125": 1}
        formats: dict[str, int] = {}
        xfs = []
        for (style, quoted), _ in sorted(self._styles.items(), key=lambda kv: kv[1]):
            font = fonts.setdefault((style.bold, style.color, style.size), len(fonts))
            fill = fills.setdefault(style.fill, len(fills))
            fmt = 0
            if style.number_format:
                fmt = _BUILTIN_FORMATS.get(style.number_format)
                if fmt is None:
                    fmt = formats.setdefault(style.number_format, 164 + len(formats))
            align = ""
            if style.wrap or style.top or style.indent:
                align = (
                    "<alignment"
                    + (' wrapText="1"' if style.wrap else "")
                    + (' vertical="top"' if style.top else "")
                    + (f' indent="{style.indent}"' if style.indent else "")
                    + "/>"
                )
            xfs.append(
                f'<xf numFmtId="{fmt}" fontId="{font}" fillId="{fill}" '
                f'borderId="{1 if style.border else 0}" xfId="0"'
                + (' applyNumberFormat="1"' if fmt else "")
                + (' applyFont="1"' if font else "")
                + (' applyFill="1"' if fill else "")
                + (' applyBorder="1"' if style.border else "")
                + (' quotePrefix="1"' if quoted else "")
                + (f' applyAlignment="1">{align}</xf>' if align else "/>")
            )
        font_xml = []
        for bold, color, size in fonts:
            font_xml.append(
                "<font>"
                + ("<b/>" if bold else "")
                + f'<sz val="{size or 11:g}"/>'
                + (f'<color rgb="FF{color}"/>' if color else "")
                + '<name val="Calibri"/><family val="2"/></font>'
            )
        fill_xml = ['<fill><patternFill patternType="none"/></fill>']
        fill_xml.append('<fill><patternFill patternType="gray125"/></fill>')
        fill_xml += [
            f'<fill><patternFill patternType="solid"><fgColor rgb="FF{c}"/>'
            '<bgColor indexed="64"/></patternFill></fill>'
            for c in list(fills)[2:]
        ]
        side = '<{0} style="thin"><color rgb="FFBFBFBF"/></{0}>'
        borders = (
            "<border><left/><right/><top/><bottom/><diagonal/></border><border>"
            + "".join(side.format(s) for s in ("left", "right", "top", "bottom"))
            + "<diagonal/></border>"
        )
        numfmts = "".join(
            f'<numFmt numFmtId="{i}" formatCode="{_attr(code)}"/>' for code, i in formats.items()
        )
        return (
            _HEAD
            + f'<styleSheet xmlns="{_MAIN}">'
            + (f'<numFmts count="{len(formats)}">{numfmts}</numFmts>' if formats else "")
            + f'<fonts count="{len(font_xml)}">{"".join(font_xml)}</fonts>'
            + f'<fills count="{len(fill_xml)}">{"".join(fill_xml)}</fills>'
            + f'<borders count="2">{borders}</borders>'
            + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            + f'</cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            + "</cellStyles></styleSheet>"
        )


class Worksheet:
    """Rows are written top-down: :meth:`append` the next row or :meth:`row` one further down."""

    def __init__(self, book: Workbook, title: str) -> None:
        self.book = book
        self.title = title
        self.widths: dict[int, float] = {}
        self.freeze: str | None = None  # the top-left cell of the scrolling part, e.g. "F2"
        self.auto_filter: str | None = None  # the filtered range, e.g. "A1:P200" (header first)
        self._rows: list[str] = []
        self._next = 1
        self._max_col = 0

    @property
    def next_row(self) -> int:
        return self._next

    def column_widths(self, widths: Iterable[float], start: int = 1) -> None:
        for col, w in enumerate(widths, start=start):
            self.widths[col] = w

    def append(
        self,
        values: Sequence[Any],
        styles: int | Sequence[int] = 0,
        *,
        height: float | None = None,
    ) -> int:
        """Write ``values`` as the next row (None or "" leaves a cell empty, styled if given);
        ``styles`` one id for every cell or one per cell (cells past them: the default
        look). Returns the row number."""
        return self.row(self._next, values, styles, height=height)

    def row(
        self,
        r: int,
        values: Sequence[Any],
        styles: int | Sequence[int] = 0,
        *,
        height: float | None = None,
    ) -> int:
        """Write row ``r`` (at or below the next row; rows between stay empty)."""
        if r < self._next:
            raise ValueError(f"row {r} is above the next row {self._next}")
        book = self.book
        string = book._string
        n = len(values)
        if len(_LETTERS) < n:
            column_letter(n)
        letters = _LETTERS
        each = None if isinstance(styles, int) else styles
        if each is not None and len(each) < n:  # the cells past the styles given: default look
            each = [*each, *[0] * (n - len(each))]
        sattr = _STYLE_ATTR
        parts = []
        for k, value in enumerate(values):
            sid = styles if each is None else each[k]
            kind = type(value)
            if kind is float:
                if value == value and value not in _INFINITIES:
                    s = sattr[sid] if sid < len(sattr) else f' s="{sid}"'
                    parts.append(f'<c r="{letters[k]}{r}"{s}><v>{value!r}</v></c>')
                elif sid:
                    parts.append(f'<c r="{letters[k]}{r}" s="{sid}"/>')
                continue
            if value is None or value == "":  # an empty text is an empty cell, as Excel has it
                if sid:
                    parts.append(f'<c r="{letters[k]}{r}" s="{sid}"/>')
                continue
            if kind is str or isinstance(value, str):
                text = replace_unsafe(value)
                if text.startswith(FORMULA_LEADERS):
                    sid = book._quote(sid)
                s = f' s="{sid}"' if sid else ""
                parts.append(f'<c r="{letters[k]}{r}"{s} t="s"><v>{string(text)}</v></c>')
                continue
            s = f' s="{sid}"' if sid else ""
            if isinstance(value, bool):
                parts.append(f'<c r="{letters[k]}{r}"{s} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int):
                parts.append(f'<c r="{letters[k]}{r}"{s}><v>{value}</v></c>')
            else:
                x = float(value)
                if math.isfinite(x):
                    parts.append(f'<c r="{letters[k]}{r}"{s}><v>{x!r}</v></c>')
                elif sid:
                    parts.append(f'<c r="{letters[k]}{r}" s="{sid}"/>')
        ht = f' ht="{height:g}" customHeight="1"' if height else ""
        self._rows.append(f'<row r="{r}"{ht}>{"".join(parts)}</row>')
        self._max_col = max(self._max_col, len(values))
        self._next = r + 1
        return r

    def _filter_reference(self) -> str:
        title = self.title.replace("'", "''")
        first, last = str(self.auto_filter).split(":")
        (c1, r1), (c2, r2) = _split_ref(first), _split_ref(last)
        return f"'{title}'!${column_letter(c1)}${r1}:${column_letter(c2)}${r2}"

    def _xml(self, *, selected: bool) -> str:
        last_row = max(self._next - 1, 1)
        dim = f"A1:{column_letter(max(self._max_col, 1))}{last_row}"
        view = '<sheetView workbookViewId="0"' + (' tabSelected="1"' if selected else "")
        if self.freeze:
            col, row = _split_ref(self.freeze)
            xs, ys = col - 1, row - 1
            pane = "bottomRight" if xs and ys else ("bottomLeft" if ys else "topRight")
            view += (
                "><pane"
                + (f' xSplit="{xs}"' if xs else "")
                + (f' ySplit="{ys}"' if ys else "")
                + f' topLeftCell="{self.freeze}" activePane="{pane}" state="frozen"/>'
                + f'<selection pane="{pane}"/></sheetView>'
            )
        else:
            view += "/>"
        cols = "".join(
            f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
            for c, w in sorted(self.widths.items())
        )
        tail = f'<autoFilter ref="{self.auto_filter}"/>' if self.auto_filter else ""
        return (
            _HEAD + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="{dim}"/>'
            f"<sheetViews>{view}</sheetViews>"
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + "<sheetData>"
            + "".join(self._rows)
            + "</sheetData>"
            + tail
            + "</worksheet>"
        )


def _split_ref(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha()).upper()
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return col, int(ref[len(letters) :])


_ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/'
    'metadata/core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
    "</Relationships>"
)
_APP = (
    _HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
    'extended-properties"><Application>junheng</Application></Properties>'
)
