"""Spreadsheet cells to JSON values, by the field's type in the schema — or a located refusal.

Numbers (``1,200``; ``95%`` in a percent field), integers (``12.0`` is fine,
``12.5`` is not), booleans (是/否, true/false, 1/0, Y/N, 有/无, √/×), enums by
code or Chinese label, text. A cell that cannot be converted raises
:class:`CellError`; the reader reports it at its row and field and leaves the
value out — never a guess.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from ..fields import FieldInfo, normalize_label

__all__ = ["CellError", "cell_text", "convert", "is_blank", "norm"]

_TRUE_WORDS = frozenset({"是", "true", "1", "y", "yes", "t", "有", "√", "对"})
_FALSE_WORDS = frozenset({"否", "false", "0", "n", "no", "f", "无", "×", "错"})
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


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
    text = "".join(unicodedata.normalize("NFKC", raw).split())
    if field.unit == "%" and text.endswith("%"):
        text = text[:-1]
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        value = float(text)
    except ValueError:
        raise CellError() from None
    if not math.isfinite(value):
        raise CellError()
    return value
