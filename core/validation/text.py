"""Text values no report can carry, and identifiers with spaces around them.

* A lone surrogate, a control character (NUL, the vertical tab Word writes for a
  manual line break, U+001F …) or a non-character in any text field is an error
  (``text.unsafe``): the JSON, HTML, Markdown and XLSX writers could not put it out
  as it is, and a name holding one is not what the clerk typed
  (:mod:`junheng.text`).
* An identifier (``id``, ``central_school_id``) with spaces before or after it is an
  error (``text.whitespace``): ``"x"`` and ``"x "`` would be two schools, and a
  teaching point would not find its central school. The spreadsheet readers strip
  cells already; this is for JSON and the API.

Settled per column first: the column's strings joined and searched once in C, so
a national batch with none costs a few milliseconds; only a column with a hit is
searched value by value.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..bulk import RecordColumns
from ..fields import FieldCatalogue
from ..issues import DataIssue
from ..text import UNSAFE, describe_unsafe, printable
from .where import Where

__all__ = ["IDENTIFIERS", "county_text_issues", "school_text_issues", "text_fields"]

#: identifiers matched against one another: spaces around them are refused
IDENTIFIERS = ("id", "central_school_id")
#: the spaces a clerk's data carries around an id (tab, no-break, ideographic …)
_SPACES = (" ", "\t", "\r", "\n", "\xa0", "\u3000")


def text_fields(catalogue: FieldCatalogue) -> list[str]:
    """The top-level free-text fields of a schema (enumerations are checked by the schema)."""
    return [f.path for f in catalogue if f.type == "string" and not f.enum and "." not in f.path]


def school_text_issues(
    records: Sequence[Any], pulled: RecordColumns, where: Where
) -> list[DataIssue]:
    """``text.unsafe`` and ``text.whitespace`` errors, in record order."""
    keys = text_fields(where.catalogue)
    columns = pulled.values(keys)
    found: list[tuple[int, DataIssue]] = []
    for key in keys:
        values = columns[key]
        if set(map(type, values)) <= {str, type(None)}:  # C-level: the usual column
            joined = " ".join(filter(None, values))
        else:
            joined = " ".join(v for v in values if type(v) is str)
        # every unsafe character is unprintable: one C-level pass settles the usual column
        if not joined.isprintable() and UNSAFE.search(joined):
            found += _unsafe(records, values, key, where)
        if key in IDENTIFIERS and _edge_space(joined):
            found += _spaced(records, values, key, where)
    found.sort(key=lambda hit: hit[0])
    return [issue for _, issue in found]


def _edge_space(joined: str) -> bool:
    """Whether a value of ``" ".join(values)`` may start or end with a space (substring
    searches, in C): a double space, a space beside the joining one, or at either end."""
    return any(
        f" {c}" in joined or f"{c} " in joined or joined.startswith(c) or joined.endswith(c)
        for c in _SPACES
    )


def _unsafe(
    records: Sequence[Any], values: Sequence[Any], key: str, where: Where
) -> Iterator[tuple[int, DataIssue]]:
    for index, value in enumerate(values):
        if type(value) is not str:
            continue
        problem = describe_unsafe(value)
        if problem is not None:
            yield (
                index,
                where.issue(
                    "error",
                    "text.unsafe",
                    f"“{printable(value)}”中{problem}，报告无法写出；请删去或改为普通字符"
                    "（常见于从 Word 或网页复制的文字）。",
                    index,
                    records[index],
                    key,
                    found=value,
                    expected="不含控制字符的文本",
                ),
            )


def _spaced(
    records: Sequence[Any], values: Sequence[Any], key: str, where: Where
) -> Iterator[tuple[int, DataIssue]]:
    for index, value in enumerate(values):
        if type(value) is str and value != value.strip():
            yield (
                index,
                where.issue(
                    "error",
                    "text.whitespace",
                    f"标识码“{printable(value)}”前后有空格：与“{printable(value.strip())}”"
                    "会被当作两所学校；请删去空格。",
                    index,
                    records[index],
                    key,
                    found=value,
                    expected=value.strip(),
                ),
            )


def county_text_issues(counties: Sequence[Any], where: Where) -> list[DataIssue]:
    """``text.unsafe`` errors in the text fields of the county records (a value of another
    type in a text field, or an unknown key, is the schema step's: its message shows the
    text escaped)."""
    paths = [f.path for f in where.catalogue if f.type == "string" and not f.enum]
    paths = [p for p in paths if "[" not in p and "*" not in p]
    out = []
    for index, record in enumerate(counties):
        if not isinstance(record, Mapping):
            continue
        for path in paths:
            value = _at(record, path)
            if type(value) is not str or UNSAFE.search(value) is None:
                continue
            out.append(
                where.issue(
                    "error",
                    "text.unsafe",
                    f"“{printable(value)}”中{describe_unsafe(value)}，报告无法写出；"
                    "请删去或改为普通字符。",
                    index,
                    record,
                    path,
                    found=value,
                    expected="不含控制字符的文本",
                )
            )
    return out


def _at(record: Mapping[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
