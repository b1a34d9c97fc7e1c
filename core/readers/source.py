"""What every reader shares: the result type, the issue collector bound to one file, the file checks.

:func:`read_bytes` does what must happen before any parsing, whatever the format:
only a regular file is read (a link to ``/dev/zero`` is refused), its size is
bounded before it is read, an empty file is an error. Every problem is a
located :class:`~junheng.issues.DataIssue` in the :class:`ReadContext`; nothing
here raises on user data.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import attrs

from ..fields import FieldCatalogue, FieldInfo
from ..issues import DataIssue

__all__ = [
    "DUPLICATE_KEY_CHECK_BYTES",
    "MAX_INPUT_BYTES",
    "MAX_XLSX_BYTES",
    "MAX_XLSX_CELLS",
    "MAX_XLSX_COLUMNS",
    "MAX_XLSX_MEMBERS",
    "MAX_XLSX_ROWS",
    "MAX_XLSX_STRINGS",
    "MAX_XLSX_UNCOMPRESSED_BYTES",
    "Limits",
    "ReadContext",
    "ReadResult",
    "Row",
    "check_fraction",
    "failed",
    "file_sha256",
    "read_bytes",
    "sha256",
]

Row = tuple[int, list[Any]]  # (1-based source row, cells)

#: JSON and CSV files larger than this are refused before reading (a national
#: schools file of 210,000 schools is about 210 MiB)
MAX_INPUT_BYTES = 1 << 30
#: XLSX files: the file itself, the sum of the uncompressed sizes its zip
#: directory declares (checked before openpyxl opens it, so a zip bomb is
#: refused without being inflated), and the number of zip members
MAX_XLSX_BYTES = 256 << 20
MAX_XLSX_UNCOMPRESSED_BYTES = 1 << 30
MAX_XLSX_MEMBERS = 10_000
#: XLSX contents, counted before openpyxl builds anything: shared strings, rows and
#: cells of a sheet (cells as openpyxl materialises them, every row padded to its last
#: cell), columns (Excel's own maximum)
MAX_XLSX_STRINGS = 2_000_000
MAX_XLSX_ROWS = 1_048_576
MAX_XLSX_CELLS = 20_000_000
MAX_XLSX_COLUMNS = 16_384
#: JSON files up to this size are parsed by the standard library with a check
#: for duplicate keys in an object; larger ones by orjson (several times faster),
#: where the last of duplicated keys wins unreported
DUPLICATE_KEY_CHECK_BYTES = 64 << 20


@attrs.frozen
class Limits:
    """The bounds of one read (SECURITY.md); :func:`junheng.readers.limits` builds them
    from :mod:`junheng.readers`' constants when a read starts."""

    input_bytes: int = MAX_INPUT_BYTES
    xlsx_bytes: int = MAX_XLSX_BYTES
    xlsx_uncompressed_bytes: int = MAX_XLSX_UNCOMPRESSED_BYTES
    xlsx_members: int = MAX_XLSX_MEMBERS
    xlsx_strings: int = MAX_XLSX_STRINGS
    xlsx_rows: int = MAX_XLSX_ROWS
    xlsx_cells: int = MAX_XLSX_CELLS
    xlsx_columns: int = MAX_XLSX_COLUMNS
    duplicate_key_check_bytes: int = DUPLICATE_KEY_CHECK_BYTES


@attrs.frozen
class ReadResult:
    """What a reader produced.

    ``rows[i]`` is the source location of ``records[i]``: the 1-based
    spreadsheet row (header rows included) or the 1-based position in a JSON
    array. ``row_unit`` is ``行`` for spreadsheets and ``条`` for JSON, for
    messages. ``field_rows[i]`` maps display paths of ``records[i]`` to the
    row they came from when a record spans rows (two-column county sheets);
    otherwise it is empty. ``file`` is the file name used in messages.
    """

    records: list[dict[str, Any]]
    issues: list[DataIssue]
    rows: list[int]
    file: str | None = None
    row_unit: str = "行"
    field_rows: list[dict[str, int]] = attrs.field(factory=list)
    #: SHA-256 of the file's bytes as read (for provenance); None from plugin readers
    sha256: str | None = None
    #: the records as Arrow columns (:class:`junheng.tables.TableColumns`) when read from
    #: a table: ``records`` is then its lazy dict view, and validation reads the columns
    columns: Any = attrs.field(default=None, repr=False, eq=False)

    @property
    def has_errors(self) -> bool:
        """True when any issue is an error."""
        return any(i.is_error for i in self.issues)


class ReadContext:
    """Issue collector bound to one file, and the field catalogue its headers resolve against."""

    def __init__(
        self,
        path: Path,
        row_unit: str,
        kind: str,
        fields: FieldCatalogue,
        limits: Limits | None = None,
    ) -> None:
        self.path = path
        self.limits = limits or Limits()
        self.file = path.name
        self.row_unit = row_unit
        self.kind = kind
        self.subject = "县" if kind == "county" else "学校"
        self.fields = fields
        self.issues: list[DataIssue] = []

    def add(self, severity: str, code: str, detail: str, **kw: Any) -> None:
        self.issues.append(
            DataIssue.located(
                severity,  # type: ignore[arg-type]
                code,
                detail,
                file=self.file,
                row_unit=self.row_unit,
                subject=self.subject,
                **kw,
            )
        )

    def error(self, code: str, detail: str, **kw: Any) -> None:
        self.add("error", code, detail, **kw)

    def warning(self, code: str, detail: str, **kw: Any) -> None:
        self.add("warning", code, detail, **kw)

    def unreadable(self, code: str, problem: str, raw: Any, info: FieldInfo, **kw: Any) -> None:
        """A cell that cannot be converted to its field's type: reported, not guessed."""
        from .cells import cell_text

        self.error(
            code,
            f"值“{cell_text(raw)}”{problem}，应为{info.expected_text()}，该值未读入。",
            field_title=info.title,
            found=raw if isinstance(raw, (str, int, float, bool)) else str(raw),
            expected=info.expected_text(),
            **kw,
        )


def check_fraction(ctx: ReadContext, value: Any, raw: Any, info: FieldInfo, **kw: Any) -> None:
    """Warn when a percent field usually far above 1 holds a value between 0 and 1 that was
    not a percent-formatted cell: 0.886 typed for 88.6 % would silently fail a rule."""
    from .cells import Percent

    if (
        info.typical_minimum is not None
        and isinstance(value, (int, float))
        and 0 < value <= 1
        and not isinstance(raw, Percent)
    ):
        ctx.warning(
            "fraction_percent",
            f"值 {value} 是百分数字段，却在 0 到 1 之间：可能填的是比例（如 0.886 表示 88.6%）。"
            f"请填写百分数（{round(value * 100, 10):g}），或在 Excel 中把单元格设为百分比格式。",
            field_title=info.title,
            found=value,
            expected=f"百分数，通常不低于 {info.typical_minimum:g}",
            **kw,
        )


def failed(ctx: ReadContext) -> ReadResult:
    """No records: what a reader returns after the issue that stopped it."""
    return ReadResult([], ctx.issues, [], ctx.file, ctx.row_unit)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def mib(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MiB" if size >= 1 << 20 else f"{size:,} 字节"


def checked_size(path: Path, limit: int, ctx: ReadContext) -> int | None:
    """The size of ``path`` when it is a regular file of at most ``limit`` bytes, or None
    after a located issue (not a regular file, too large, unreadable)."""
    if not path.is_file():
        ctx.error("parse", f"不是普通文件（可能是设备或管道），无法作为数据文件读取（{path}）。")
        return None
    try:
        size = path.stat().st_size
    except OSError as exc:
        ctx.error("parse", f"无法读取文件：{exc.strerror or exc}。")
        return None
    if size > limit:
        ctx.error(
            "too_large",
            f"文件过大：{mib(size)}，上限 {mib(limit)}；请按县拆分后分别评估。",
            found=size,
            expected=f"<= {limit} bytes",
        )
        return None
    return size


def read_bytes(path: Path, limit: int, ctx: ReadContext) -> bytes | None:
    """The file's bytes, or None after a located issue (not a regular file, too large,
    unreadable, empty)."""
    if checked_size(path, limit, ctx) is None:
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        ctx.error("parse", f"无法读取文件：{exc.strerror or exc}。")
        return None
    if not data.strip():
        ctx.error("parse", "文件为空。")
        return None
    return data
