"""Spreadsheet cells to JSON values, by the field's type in the schema — or a located refusal.

Numbers (``1,200``; ``95%`` in a percent field), integers (``12.0`` is fine,
``12.5`` is not), booleans (是/否, true/false, 1/0, Y/N, 有/无, √/×), enums by
code or Chinese label, text. A cell that cannot be converted raises
:class:`CellError`; the reader reports it at its row and field and leaves the
value out — never a guess.

Two kinds of Excel cells are marked by the XLSX reader, because their value alone
would mislead: :class:`Percent` — a number shown with a percent format (a cell
showing ``88.6%`` stores 0.886: in a percent field it is 88.6, in any other field
it is refused), and :class:`ExcelError` — ``#N/A``, ``#DIV/0!`` … (refused in any
field, never read as text). Digits are the ASCII (or full-width) ones: ``٤٢٠``,
``4²`` and ``4_200`` are not numbers.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..fields import FieldInfo, normalize_label

__all__ = ["CellError", "ExcelError", "Percent", "cell_text", "convert", "is_blank", "norm"]

_TRUE_WORDS = frozenset({"是", "true", "1", "y", "yes", "t", "有", "√", "对"})
_FALSE_WORDS = frozenset({"否", "false", "0", "n", "no", "f", "无", "×", "错"})
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$", re.ASCII)
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
_INTEGER = re.compile(r"^[+-]?\d+$", re.ASCII)
#: text Excel writes for a formula that failed
EXCEL_ERRORS = frozenset(
    {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!", "#CALC!"}
)


class Percent:
    """A number an XLSX cell shows with a percent format: ``fraction`` is what it stores."""

    __slots__ = ("fraction",)

    def __init__(self, fraction: float) -> None:
        self.fraction = fraction

    def __str__(self) -> str:
        return f"{round(self.fraction * 100, 10):g}%"

    def __repr__(self) -> str:
        return f"Percent({self.fraction!r})"


class ExcelError:
    """An XLSX cell holding an Excel error value (``#N/A``, ``#DIV/0!`` …)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text


class CellError(Exception):
    """A cell that cannot be converted: ``code`` for the issue, ``problem`` for the sentence."""

    def __init__(self, code: str = "schema.type", problem: str = "无法识别") -> None:
        super().__init__(code)
        self.code = code
        self.problem = problem


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def norm(value: Any) -> str:
    return "" if value is None else normalize_label(str(value))


def convert(raw: Any, field: FieldInfo) -> Any:
    """Convert one non-blank cell to the field's JSON type or raise :class:`CellError`."""
    if isinstance(raw, ExcelError) or (isinstance(raw, str) and raw.strip() in EXCEL_ERRORS):
        raise CellError(problem="是 Excel 错误值（公式计算出错），不是数据")
    if isinstance(raw, Percent):
        if field.unit != "%" or field.type not in ("number", "integer"):
            raise CellError(problem="是百分比格式的单元格，但该字段不是百分数")
        raw = round(raw.fraction * 100, 10)
    if field.enum:
        code = field.parse_enum(cell_text(raw))
        if code is None:
            raise CellError("schema.enum")
        return code
    kind = field.type
    if kind == "boolean":
        return _to_bool(raw)
    if kind == "integer":
        number = _to_number(raw, field)
        if isinstance(number, float):
            if not number.is_integer():
                raise CellError(problem="不是整数")
            return int(number)
        return number
    if kind == "number":
        return _to_number(raw, field)
    if kind == "string":
        if isinstance(raw, bool):
            return "是" if raw else "否"
        return cell_text(raw)
    raise CellError()


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    word = norm(raw)
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise CellError()


def _to_number(raw: Any, field: FieldInfo) -> int | float:
    if isinstance(raw, bool):
        raise CellError()
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise CellError()
        return raw
    if not isinstance(raw, str):
        raise CellError()
    text = "".join(_fold_width(raw).split())
    if field.unit == "%" and text.endswith("%"):
        text = text[:-1]
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):  # ASCII digits only: not ٤٢٠, 4², 4_200, ½
        raise CellError()
    try:
        if _INTEGER.match(text):
            return int(text)
        value = float(text)
    except ValueError:  # an integer of more than 4,300 digits
        raise CellError(problem="位数过多") from None
    if not math.isfinite(value):
        raise CellError()
    return value


_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20  # ideographic space


def _fold_width(text: str) -> str:
    """Full-width ASCII (``１２０``, ``，``, ``．``, Chinese IME input) as ASCII; nothing else
    changes (NFKC would also turn ``4²`` into ``42``)."""
    return text.translate(_FULL_WIDTH)
