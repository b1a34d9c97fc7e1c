"""Readers: turn a JSON, CSV or XLSX file into school or county records plus located issues.

The format is chosen by extension (``.json``, ``.csv``, ``.xlsx``/``.xlsm``).
Nothing here raises on user data: a missing, empty, truncated or mislabelled
file, an undecodable CSV, or a cell that cannot be converted all become
:class:`~junheng.issues.DataIssue` s with file, row, record id and field.

School files
    JSON: an array of school objects (or an object ``{"schools": [...]}``),
    taken as-is (JSON values are not coerced; the validator checks them).
    CSV/XLSX: one school per row. Row 1 holds headers, either the English
    field path (``primary.students``) or the schema's Chinese title
    (``小学在校生数``). An optional second header row of ``path [unit]`` cells
    (as in ``junheng template``) is recognised and skipped. Cells are
    converted to the schema's types using :mod:`junheng.fields`: numbers
    (``1,200`` and ``95%`` for percent fields are accepted), integers
    (``12.0`` is fine, ``12.5`` is an error), booleans (是/否, true/false,
    1/0, Y/N), enums by code or Chinese label; an empty cell is an absent
    value. Dotted paths rebuild the nested ``primary``/``junior`` objects. A
    cell that cannot be converted is reported and left out, never guessed.
    Unknown columns are reported once each as warnings.

County files
    JSON: one county object, or an array of county objects.
    CSV/XLSX: a two-column form, ``字段 (field)`` | ``值 (value)``, one item
    per row; an optional header row whose cells read 字段/值 (field/value) is
    skipped and any further columns (units, notes) are ignored. The field is a
    path or Chinese title (``items.teacher_rotation_pct`` / ``教师交流轮岗比例``).
    Finance series entries are written ``finance.2023.education_appropriation_yuan``
    or ``2023年教育财政拨款``; score items ``scores.<item id>``.

CSV encodings are detected: UTF-8 (with or without BOM), then GB18030 (what
Chinese Excel exports); UTF-16 with BOM is also accepted. XLSX files are read
with openpyxl in read-only, values-only mode from the first visible sheet.

Hostile or broken files (SECURITY.md): only regular files are read; JSON/CSV
files past :data:`MAX_INPUT_BYTES`, XLSX files past :data:`MAX_XLSX_BYTES` or
whose zip directory declares more than :data:`MAX_XLSX_UNCOMPRESSED_BYTES`
uncompressed (checked before openpyxl opens them) are refused with a
``too_large`` issue. JSON is strict: ``NaN``/``Infinity``, numbers that overflow,
nesting past the parser's limit and repeated keys in an object are errors. A
CSV row with values beyond the header, a NUL byte in a CSV, and an XLSX formula
cell without a cached result are errors, never guesses.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs

try:
    import orjson
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    orjson = None

from junheng.bulk import gc_paused
from junheng.fields import (
    FieldCatalogue,
    FieldInfo,
    county_fields,
    normalize_label,
    school_fields,
)
from junheng.issues import DataIssue

__all__ = ["ReadResult", "read_county", "read_schools"]

_Row = tuple[int, list[Any]]  # (1-based source row, cells)

_TRUE_WORDS = frozenset({"是", "true", "1", "y", "yes", "t", "有", "√", "对"})
_FALSE_WORDS = frozenset({"否", "false", "0", "n", "no", "f", "无", "×", "错"})
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")
_FINANCE_KEY = re.compile(r"^finance\s*[.\[]\s*(\d{4})\s*\]?\s*\.\s*(.+)$", re.IGNORECASE)
_FINANCE_TITLE = re.compile(r"^(\d{4})\s*年\s*(.+)$")
_SCORES_KEY = re.compile(r"^scores\s*\.\s*(.+)$", re.IGNORECASE)
_COUNTY_HEADER_KEYS = frozenset({"字段", "field", "字段(field)", "项目", "指标", "key"})
_COUNTY_HEADER_VALUES = frozenset({"值", "value", "值(value)", "数值", "数据"})

#: JSON and CSV files larger than this are refused before reading (a national
#: schools file of 210,000 schools is about 210 MiB)
MAX_INPUT_BYTES = 1 << 30
#: XLSX files: the file itself, the sum of the uncompressed sizes its zip
#: directory declares (checked before openpyxl opens it, so a zip bomb is
#: refused without being inflated), and the number of zip members
MAX_XLSX_BYTES = 256 << 20
MAX_XLSX_UNCOMPRESSED_BYTES = 1 << 30
MAX_XLSX_MEMBERS = 10_000
#: JSON files up to this size are parsed by the standard library with a check
#: for duplicate keys in an object; larger ones by orjson (several times faster),
#: where the last of duplicated keys wins unreported
DUPLICATE_KEY_CHECK_BYTES = 64 << 20


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

    @property
    def has_errors(self) -> bool:
        """True when any issue is an error."""
        return any(i.is_error for i in self.issues)


def read_schools(path: str | Path) -> ReadResult:
    """Read school records from a JSON, CSV or XLSX file (see the module docs)."""
    return _read(Path(path), _schools_from_json, _schools_from_table)


def read_county(path: str | Path) -> ReadResult:
    """Read county record(s) from a JSON file or a two-column CSV/XLSX form."""
    return _read(Path(path), _counties_from_json, _county_from_table)


# --------------------------------------------------------------------------- plugin readers

BUILTIN_EXTENSIONS = (".json", ".csv", ".xlsx", ".xlsm")

# extension -> (reader(path, kind) -> ReadResult, plugin name); filled by the Engine
# from the ``junheng_readers`` hook. Process-wide, like the field catalogue.
_PLUGIN_READERS: dict[str, tuple[Callable[[Path, str], ReadResult], str]] = {}


def register_reader(
    ext: str, reader: Callable[[Path, str], ReadResult], plugin: str = ""
) -> str | None:
    """Register a plugin reader for ``ext`` (``".dbf"``); return a problem message or None."""
    ext = ext.lower() if ext.startswith(".") else f".{ext.lower()}"
    if ext in BUILTIN_EXTENSIONS:
        return f"文件类型 {ext} 由内置读取器处理，不能替换"
    if not callable(reader):
        return f"文件类型 {ext} 的读取器不可调用"
    current = _PLUGIN_READERS.get(ext)
    if current is not None and current[1] != plugin:
        return f"文件类型 {ext} 已由插件 {current[1]} 提供读取器，已忽略"
    _PLUGIN_READERS[ext] = (reader, plugin)
    return None


def plugin_readers() -> dict[str, str]:
    """Extension -> plugin name of every registered plugin reader."""
    return {ext: plugin for ext, (_, plugin) in sorted(_PLUGIN_READERS.items())}


def _read_with_plugin(path: Path, ext: str, kind: str, ctx: _Ctx) -> ReadResult:
    reader, plugin = _PLUGIN_READERS[ext]
    try:
        result = reader(path, kind)
    except Exception as exc:  # a plugin bug must not look like an engine crash
        ctx.error("parse", f"插件 {plugin} 的 {ext} 读取器出错：{exc!r}")
        return _failed(ctx)
    if not isinstance(result, ReadResult):
        ctx.error("parse", f"插件 {plugin} 的 {ext} 读取器没有返回 ReadResult")
        return _failed(ctx)
    return result


# --------------------------------------------------------------------------- dispatch


class _Ctx:
    """Issue collector bound to one file."""

    def __init__(self, path: Path, row_unit: str, subject: str) -> None:
        self.file = path.name
        self.row_unit = row_unit
        self.subject = subject
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

    def unreadable(self, exc: _CellError, raw: Any, info: FieldInfo, **kw: Any) -> None:
        """A cell that cannot be converted to its field's type: reported, not guessed."""
        self.error(
            exc.code,
            f"值“{_cell_text(raw)}”{exc.problem}，应为{info.expected_text()}，该值未读入。",
            field_title=info.title,
            found=raw if isinstance(raw, (str, int, float, bool)) else str(raw),
            expected=info.expected_text(),
            **kw,
        )


_JsonHandler = Callable[[Any, _Ctx], ReadResult]
_TableHandler = Callable[[list[_Row], _Ctx], ReadResult]


def _read(path: Path, from_json: _JsonHandler, from_table: _TableHandler) -> ReadResult:
    subject = "县" if from_json is _counties_from_json else "学校"
    ext = path.suffix.lower()
    ctx = _Ctx(path, "条" if ext == ".json" else "行", subject)

    if not path.exists():
        ctx.error("parse", f"文件不存在（{path}）。")
        return _failed(ctx)
    if path.is_dir():
        ctx.error("parse", f"这是一个文件夹，不是数据文件（{path}）。")
        return _failed(ctx)
    if ext not in BUILTIN_EXTENSIONS and ext in _PLUGIN_READERS:
        return _read_with_plugin(path, ext, "county" if subject == "县" else "schools", ctx)
    if ext not in BUILTIN_EXTENSIONS:
        hint = "旧版 .xls 格式不受支持，请在 Excel 中另存为 .xlsx。" if ext == ".xls" else ""
        ctx.error(
            "parse",
            f"不支持的文件类型“{ext or '无扩展名'}”，应为 .json、.csv 或 .xlsx。{hint}",
            found=ext,
            expected=[".json", ".csv", ".xlsx"],
        )
        return _failed(ctx)
    if not path.is_file():
        ctx.error("parse", f"不是普通文件（可能是设备或管道），无法作为数据文件读取（{path}）。")
        return _failed(ctx)
    limit = MAX_XLSX_BYTES if ext in (".xlsx", ".xlsm") else MAX_INPUT_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            ctx.error(
                "too_large",
                f"文件过大：{_mib(size)}，上限 {_mib(limit)}；请按县拆分后分别评估。",
                found=size,
                expected=f"<= {limit} bytes",
            )
            return _failed(ctx)
        data = path.read_bytes()
    except OSError as exc:
        ctx.error("parse", f"无法读取文件：{exc.strerror or exc}。")
        return _failed(ctx)
    if not data.strip():
        ctx.error("parse", "文件为空。")
        return _failed(ctx)

    # the input's hash (for provenance) is computed beside the parsing: hashlib
    # releases the GIL, and the parser holds it
    with ThreadPoolExecutor(1, thread_name_prefix="junheng-sha256") as pool:
        digest = pool.submit(_sha256, data)
        result = _parse(path, ext, data, ctx, from_json, from_table)
        return attrs.evolve(result, sha256=digest.result())


def _failed(ctx: _Ctx) -> ReadResult:
    """No records: what a reader returns after the issue that stopped it."""
    return ReadResult([], ctx.issues, [], ctx.file, ctx.row_unit)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _parse(
    path: Path,
    ext: str,
    data: bytes,
    ctx: _Ctx,
    from_json: _JsonHandler,
    from_table: _TableHandler,
) -> ReadResult:
    if ext == ".json":
        with gc_paused():
            parsed = _parse_large_json(data)
            if parsed is None:
                text = _decode(data, ctx)
                if text is None:
                    return _failed(ctx)
                parsed = _parse_json(text, ctx)
                if parsed is None:
                    return _failed(ctx)
            doc, duplicates = parsed
            result = from_json(doc, ctx)
            if duplicates:
                _report_duplicate_keys(result, duplicates, ctx)
    else:
        rows = _csv_rows(data, ctx) if ext == ".csv" else _xlsx_rows(path, data, ctx)
        if rows is None:
            return _failed(ctx)
        result = from_table(rows, ctx)
    return result


# --------------------------------------------------------------------------- JSON


def _mib(size: int) -> str:
    return f"{size / (1 << 20):,.0f} MiB" if size >= 1 << 20 else f"{size:,} 字节"


class _JsonConstant(ValueError):
    """NaN, Infinity or -Infinity in a JSON file (Python's json accepts them; JSON does not)."""


def _reject_constant(name: str) -> Any:
    raise _JsonConstant(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 overflows to inf
        raise _JsonConstant(text)
    return value


def _loads(text: str, duplicates: list[tuple[dict[str, Any], list[str]]] | None = None) -> Any:
    """Parse JSON strictly: no NaN/Infinity; duplicated keys collected into ``duplicates``.

    Up to :data:`DUPLICATE_KEY_CHECK_BYTES` the standard library parses with a hook
    that notes every object repeating a key. Larger files go to orjson when
    installed (several times faster on national files; it keeps the last value of
    a repeated key); whatever orjson refuses is parsed again by :func:`json.loads`,
    so what is accepted and the error positions reported are the standard library's.
    """
    if orjson is not None and len(text) > DUPLICATE_KEY_CHECK_BYTES:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs) and duplicates is not None:
            seen: set[str] = set()
            repeated = [k for k, _ in pairs if k in seen or seen.add(k)]  # type: ignore[func-returns-value]
            duplicates.append((obj, repeated))
        return obj

    return json.loads(
        text,
        parse_constant=_reject_constant,
        parse_float=_finite_float,
        object_pairs_hook=pairs_hook,
    )


def _parse_large_json(data: bytes) -> tuple[Any, list[tuple[dict[str, Any], list[str]]]] | None:
    """A large UTF-8 file parsed by orjson straight from its bytes, or None.

    Decoding a national file to ``str`` first costs a second copy of it and makes
    orjson encode it back to UTF-8 (2.3 s instead of 0.9 s for 210,000 schools).
    None (a small file, one not in UTF-8, anything orjson refuses) sends the file
    down the text path, whose decoding and error messages are the reference.
    """
    if orjson is None or len(data) <= DUPLICATE_KEY_CHECK_BYTES:
        return None
    try:
        return orjson.loads(data.removeprefix(codecs.BOM_UTF8)), []
    except orjson.JSONDecodeError:
        return None


def _parse_json(text: str, ctx: _Ctx) -> tuple[Any, list[tuple[dict[str, Any], list[str]]]] | None:
    """The parsed document and the objects with repeated keys, or None after an issue."""
    duplicates: list[tuple[dict[str, Any], list[str]]] = []
    try:
        return _loads(text, duplicates), duplicates
    except json.JSONDecodeError as exc:
        ctx.error(
            "parse",
            f"不是有效的 JSON：第{exc.lineno}行第{exc.colno}列 {exc.msg}"
            "（文件可能不完整或并非 JSON）。",
            found=f"line {exc.lineno} column {exc.colno}",
        )
    except _JsonConstant as exc:
        line, col = _position(text, re.search(rf"(?<![\w.]){re.escape(str(exc))}(?![\w.])", text))
        what = (
            "不是 JSON 允许的数值"
            if str(exc).lstrip("-") in ("NaN", "Infinity")
            else "超出可表示的数值范围"
        )
        ctx.error(
            "parse",
            f"不是有效的 JSON：第{line}行第{col}列 {exc} {what}，请填写数字或留空（null）。",
            found=str(exc),
            expected="number",
        )
    except RecursionError:
        ctx.error("parse", "不是有效的 JSON：数组或对象嵌套过深（文件可能已损坏）。")
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        ctx.error("parse", f"不是有效的 JSON：{exc}。")
    return None


def _position(text: str, match: re.Match[str] | None) -> tuple[int, int]:
    if match is None:
        return 1, 1
    before = text[: match.start()]
    return before.count("\n") + 1, match.start() - (before.rfind("\n") + 1) + 1


def _report_duplicate_keys(
    result: ReadResult, duplicates: list[tuple[dict[str, Any], list[str]]], ctx: _Ctx
) -> None:
    """One located error per object that repeats a key (record position, id, field path)."""
    where = {id(obj): keys for obj, keys in duplicates}
    matched: set[int] = set()
    for record, row in zip(result.records, result.rows, strict=True):
        stack: list[tuple[Any, str, int]] = [(record, "", 0)]
        while stack:
            node, path, depth = stack.pop()
            if isinstance(node, dict):
                for key in where.get(id(node), []):
                    matched.add(id(node))
                    full = f"{path}.{key}" if path else key
                    rid = record.get("id") or record.get("county_code")
                    ctx.error(
                        "duplicate_key",
                        f"键“{key}”在同一对象中出现多次，无法确定取哪个值。",
                        row=row,
                        record_id=str(rid) if isinstance(rid, (str, int)) else None,
                        field=full,
                        found=key,
                    )
                if depth < 8:
                    stack.extend(
                        (v, f"{path}.{k}" if path else str(k), depth + 1) for k, v in node.items()
                    )
            elif isinstance(node, list) and depth < 8:
                stack.extend((v, f"{path}[{i}]", depth + 1) for i, v in enumerate(node))
    if len(matched) < len(where):  # e.g. a repeated key in the wrapper object
        ctx.error("duplicate_key", "JSON 中有对象的键重复出现，无法确定取哪个值。")


def _schools_from_json(doc: Any, ctx: _Ctx) -> ReadResult:
    if isinstance(doc, dict) and isinstance(doc.get("schools"), list):
        doc = doc["schools"]
    if not isinstance(doc, list):
        ctx.error(
            "parse",
            f"JSON 顶层应为学校记录的数组（array），实际是{_json_kind(doc)}。",
            found=_json_kind(doc),
            expected="array",
        )
        return _failed(ctx)
    return _json_objects(doc, ctx, "学校记录")


def _counties_from_json(doc: Any, ctx: _Ctx) -> ReadResult:
    if isinstance(doc, dict):
        doc = [doc]
    if not isinstance(doc, list):
        ctx.error(
            "parse",
            f"JSON 顶层应为县域数据对象（object）或其数组，实际是{_json_kind(doc)}。",
            found=_json_kind(doc),
            expected="object",
        )
        return _failed(ctx)
    return _json_objects(doc, ctx, "县域数据")


def _json_objects(items: list[Any], ctx: _Ctx, what: str) -> ReadResult:
    if items and set(map(type, items)) == {dict}:  # C-level check: the usual file
        return ReadResult(items, ctx.issues, list(range(1, len(items) + 1)), ctx.file, ctx.row_unit)
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    for pos, item in enumerate(items, start=1):
        if isinstance(item, dict):
            records.append(item)
            rows.append(pos)
        else:
            ctx.error(
                "parse",
                f"{what}应为对象（object），实际是{_json_kind(item)}，已跳过。",
                row=pos,
                found=_json_kind(item),
                expected="object",
            )
    if not items:
        ctx.error("parse", f"文件中没有{what}。")
    return ReadResult(records, ctx.issues, rows, ctx.file, ctx.row_unit)


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "对象（object）"
    if isinstance(value, list):
        return "数组（array）"
    if isinstance(value, str):
        return "文本（string）"
    if isinstance(value, bool):
        return "布尔值（boolean）"
    if isinstance(value, (int, float)):
        return "数字（number）"
    return "空值（null）"


# --------------------------------------------------------------------------- CSV / XLSX


def _decode(data: bytes, ctx: _Ctx) -> str | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    ctx.error(
        "encoding",
        "无法识别文件编码：既不是 UTF-8 也不是 GB18030。"
        "请在 Excel 中“另存为”CSV UTF-8 或 .xlsx 后重试。",
        expected=["utf-8", "utf-8-sig", "gb18030"],
    )
    return None


def _csv_rows(data: bytes, ctx: _Ctx) -> list[_Row] | None:
    if data.startswith(b"PK\x03\x04"):
        ctx.error(
            "parse", "文件内容是 XLSX（Excel 工作簿），但扩展名为 .csv；请改用 .xlsx 扩展名。"
        )
        return None
    text = _decode(data, ctx)
    if text is None:
        return None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        ctx.error(
            "encoding",
            f"第 {line} 行含有 NUL 字节：这不是普通文本 CSV（可能是二进制文件，"
            "或是没有 BOM 的 UTF-16 文本）；请在 Excel 中“另存为”CSV UTF-8。",
            row=line,
        )
        return None
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        for candidate in ("\t", ";"):
            if candidate in first_line:
                delimiter = candidate
                break
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        return [(n, row) for n, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        ctx.error("parse", f"CSV 格式错误：{exc}。")
        return None


def _xlsx_rows(path: Path, data: bytes, ctx: _Ctx) -> list[_Row] | None:
    if not data.startswith(b"PK\x03\x04"):
        ctx.error(
            "parse",
            "不是有效的 XLSX 文件（内容不是 Excel 工作簿，可能是扩展名与实际格式不符）。",
        )
        return None
    has_formulas = _check_zip(data, ctx)
    if has_formulas is None:
        return None
    import openpyxl  # deferred: importing openpyxl costs ~0.2 s

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on corrupt files
        ctx.error("parse", f"无法打开 XLSX 文件（{type(exc).__name__}: {exc}）。")
        return None
    try:
        index = next(
            (
                i
                for i, ws in enumerate(workbook.worksheets)
                if getattr(ws, "sheet_state", "visible") == "visible"
            ),
            None,
        )
        if index is None:
            ctx.error("parse", "工作簿中没有可见的工作表（数据所在的工作表被隐藏了？）。")
            return None
        sheet = workbook.worksheets[index]
        rows = [
            (n, list(values)) for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    except Exception as exc:
        ctx.error("parse", f"读取 XLSX 工作表失败（{type(exc).__name__}: {exc}）。")
        return None
    finally:
        workbook.close()
    hidden = [ws.title for ws in workbook.worksheets[:index]]
    if hidden and not any(any(not _is_blank(c) for c in cells) for _, cells in rows):
        ctx.error(
            "parse",
            f"第一个可见工作表“{sheet.title}”是空的；数据可能在隐藏的工作表"
            f"（{'、'.join(hidden)}）中，请取消隐藏并移到最前。",
        )
        return None
    if has_formulas:
        _formulas_without_values(data, index, rows, ctx)
    return rows


def _check_zip(data: bytes, ctx: _Ctx) -> bool | None:
    """Refuse a zip bomb from the zip directory alone; True if a sheet holds formulas.

    The uncompressed sizes declared in the directory are what :mod:`zipfile` will
    inflate at most (it stops at the declared size), so summing them bounds the
    work before openpyxl sees the file. Formulas are found by looking for ``<f>``
    elements in the worksheets' XML (only read when the sizes are acceptable).
    """
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_XLSX_MEMBERS:
                ctx.error(
                    "too_large",
                    f"不是有效的 XLSX 文件：压缩包内有 {len(infos):,} 个文件，上限 {MAX_XLSX_MEMBERS:,}。",
                )
                return None
            total = sum(i.file_size for i in infos)
            if total > MAX_XLSX_UNCOMPRESSED_BYTES:
                ctx.error(
                    "too_large",
                    f"XLSX 文件解压后有 {_mib(total)}，超过上限 {_mib(MAX_XLSX_UNCOMPRESSED_BYTES)}"
                    "（可能是压缩炸弹或异常文件），未读取。",
                    found=total,
                    expected=f"<= {MAX_XLSX_UNCOMPRESSED_BYTES} bytes",
                )
                return None
            return any(
                _has_formula(zf, i)
                for i in infos
                if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")
            )
    except Exception as exc:  # BadZipFile, truncated members, bad CRC ...
        ctx.error("parse", f"无法打开 XLSX 文件（{type(exc).__name__}: {exc}）。")
        return None


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


def _has_formula(zf: Any, info: Any) -> bool:
    """Whether a worksheet's XML has an ``<f>`` element, read in chunks (sheets can be large)."""
    tail = b""
    with zf.open(info) as fh:
        while chunk := fh.read(1 << 20):
            if _FORMULA_TAG.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _formulas_without_values(data: bytes, index: int, rows: list[_Row], ctx: _Ctx) -> None:
    """Error for each formula cell without a cached result (e.g. written by a program).

    Such a cell reads as empty with ``data_only=True``; guessing its value would be
    wrong, so the clerk is asked to open and save the file in Excel (or paste values).
    """
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # pragma: no cover - the same bytes just opened with data_only=True
        return
    try:
        sheet = workbook.worksheets[index]
        for (n, cached), formulas in zip(rows, sheet.iter_rows(values_only=True), strict=False):
            for j, cell in enumerate(formulas):
                if isinstance(cell, str) and cell.startswith("=") and j < len(cached):
                    if cached[j] is None:
                        ctx.error(
                            "formula",
                            f"第 {_column_letter(j)} 列是公式“{cell[:60]}”，但文件中没有它的计算结果；"
                            "请在 Excel 中打开并保存，或把公式“粘贴为数值”后重试。",
                            row=n,
                            found=cell[:200],
                        )
    finally:
        workbook.close()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _schools_from_table(rows: list[_Row], ctx: _Ctx) -> ReadResult:
    catalogue = school_fields()
    rows = [(n, cells) for n, cells in rows if not all(_is_blank(c) for c in cells)]
    if not rows:
        ctx.error("parse", "文件中没有表头和数据行。")
        return _failed(ctx)
    header_row, header = rows[0]
    body = rows[1:]
    columns = _map_columns(header_row, header, body, catalogue, ctx)
    if body and _is_unit_row(body[0][1], catalogue):
        body = body[1:]

    records: list[dict[str, Any]] = []
    record_rows: list[int] = []
    id_column = next((j for j, f in columns.items() if f.path == "id"), None)
    width = len(header)
    for row_number, cells in body:
        record: dict[str, Any] = {}
        raw_id = cells[id_column] if id_column is not None and id_column < len(cells) else None
        record_id = None if _is_blank(raw_id) else _cell_text(raw_id)
        extra = [c for c in cells[width:] if not _is_blank(c)]
        if extra:
            shown = "、".join(f"“{_cell_text(c)[:20]}”" for c in extra[:3])
            ctx.error(
                "ragged_row",
                f"该行有 {len(cells)} 个单元格，多于表头的 {width} 列，多出的值 {shown} 没有表头"
                "（常见原因：某个值里有逗号却没有加引号，整行错位）。",
                row=row_number,
                record_id=record_id,
                found=len(cells),
                expected=width,
            )
        for j, field in columns.items():
            raw = cells[j] if j < len(cells) else None
            if _is_blank(raw):
                continue
            try:
                value = _convert(raw, field)
            except _CellError as exc:
                ctx.unreadable(
                    exc, raw, field, row=row_number, record_id=record_id, field=field.path
                )
                continue
            _set_path(record, field.parts, value)
        records.append(record)
        record_rows.append(row_number)
    if not records:
        ctx.error("parse", "文件中只有表头，没有学校数据行。")
    return ReadResult(records, ctx.issues, record_rows, ctx.file, ctx.row_unit)


def _map_columns(
    header_row: int,
    header: list[Any],
    body: list[_Row],
    catalogue: FieldCatalogue,
    ctx: _Ctx,
) -> dict[int, FieldInfo]:
    columns: dict[int, FieldInfo] = {}
    seen: dict[str, int] = {}
    for j, raw in enumerate(header):
        letter = _column_letter(j)
        if _is_blank(raw):
            if any(j < len(cells) and not _is_blank(cells[j]) for _, cells in body):
                ctx.warning(
                    "unknown_column",
                    f"第 {letter} 列有数据但没有表头，该列已忽略。",
                    row=header_row,
                    found=None,
                )
            continue
        field = catalogue.resolve_header(raw)
        if field is None:
            ctx.warning(
                "unknown_column",
                f"第 {letter} 列的表头“{_cell_text(raw)}”不是已知字段，该列已忽略"
                "（表头应为字段路径如 primary.students 或中文名称如 小学在校生数）。",
                row=header_row,
                found=_cell_text(raw),
            )
            continue
        if field.path in seen:
            ctx.error(
                "duplicate_column",
                f"第 {letter} 列与第 {_column_letter(seen[field.path])} 列是同一字段，"
                "后一列已忽略。",
                row=header_row,
                field=field.path,
                field_title=field.title,
                found=_cell_text(raw),
            )
            continue
        seen[field.path] = j
        columns[j] = field
    return columns


def _is_unit_row(cells: list[Any], catalogue: FieldCatalogue) -> bool:
    """True for a second header row of ``path [unit]`` cells (template layout)."""
    texts = [str(c) for c in cells if not _is_blank(c)]
    return bool(texts) and all(
        isinstance(c, str) and catalogue.resolve_header(c) is not None for c in texts
    )


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _set_path(record: dict[str, Any], parts: Sequence[str], value: Any) -> None:
    target = record
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


# --------------------------------------------------------------------------- county form


def _county_from_table(rows: list[_Row], ctx: _Ctx) -> ReadResult:
    catalogue = county_fields()
    record: dict[str, Any] = {}
    field_rows: dict[str, int] = {}
    finance: dict[int, dict[str, Any]] = {}
    first_row: int | None = None
    header_checked = False
    for row_number, cells in rows:
        key_raw = cells[0] if cells else None
        value = cells[1] if len(cells) > 1 else None
        if _is_blank(key_raw) and _is_blank(value):
            continue
        if not header_checked:
            header_checked = True
            key_norm = _norm(key_raw)
            if key_norm in _COUNTY_HEADER_KEYS or _norm(value) in _COUNTY_HEADER_VALUES:
                continue
        if first_row is None:
            first_row = row_number
        key = _cell_text(key_raw) if not _is_blank(key_raw) else ""
        if not key:
            ctx.warning("unknown_column", "该行有值但没有字段名，已忽略。", row=row_number)
            continue
        target = _county_target(key, catalogue)
        if target is None:
            ctx.warning(
                "unknown_column",
                f"字段“{key}”不是已知的县域数据项，该行已忽略。",
                row=row_number,
                found=key,
            )
            continue
        field, year, score_id = target
        if _is_blank(value):
            continue
        shown = (
            f"finance[{year}].{field.parts[-1]}"
            if year is not None
            else (f"scores.{score_id}" if score_id is not None else field.path)
        )
        if shown in field_rows:
            ctx.error(
                "duplicate_column",
                f"字段 {shown} 重复出现（第{field_rows[shown]}行已有），本行已忽略。",
                row=row_number,
                field=shown,
                field_title=field.title,
            )
            continue
        try:
            converted = _convert(value, field)
        except _CellError as exc:
            ctx.unreadable(exc, value, field, row=row_number, field=shown)
            continue
        field_rows[shown] = row_number
        if year is not None:
            finance.setdefault(year, {"year": year})[field.parts[-1]] = converted
        elif score_id is not None:
            record.setdefault("scores", {})[score_id] = converted
        else:
            _set_path(record, field.parts, converted)
    if finance:
        ordered = sorted(finance)
        record["finance"] = [finance[y] for y in ordered]
        # finance[<year>] display paths become finance[<index>] for the validator
        renamed: dict[str, int] = {}
        for shown, row in field_rows.items():
            m = re.match(r"^finance\[(\d{4})\]\.(.+)$", shown)
            if m:
                renamed[f"finance[{ordered.index(int(m.group(1)))}].{m.group(2)}"] = row
            else:
                renamed[shown] = row
        field_rows = renamed
    if not record:
        ctx.error("parse", "文件中没有县域数据（应为两列：字段、值）。")
        return _failed(ctx)
    return ReadResult([record], ctx.issues, [first_row or 1], ctx.file, ctx.row_unit, [field_rows])


def _county_target(
    key: str, catalogue: FieldCatalogue
) -> tuple[FieldInfo, int | None, str | None] | None:
    m = _FINANCE_KEY.match(key.strip())
    if m:
        field = catalogue.get(f"finance[].{m.group(2).strip()}")
        return (field, int(m.group(1)), None) if field else None
    m = _FINANCE_TITLE.match(key.strip())
    if m:
        field = catalogue.resolve_header(m.group(2))
        if field is not None and field.series:
            return field, int(m.group(1)), None
    m = _SCORES_KEY.match(key.strip())
    if m:
        field = catalogue.get("scores.*")
        return (field, None, m.group(1).strip()) if field else None
    field = catalogue.resolve_header(key)
    if field is None or field.series or field.path.endswith(".*"):
        return None
    return field, None, None


def _norm(value: Any) -> str:
    return "" if value is None else normalize_label(str(value))


# --------------------------------------------------------------------------- conversion


class _CellError(Exception):
    def __init__(self, code: str = "schema.type", problem: str = "无法识别") -> None:
        super().__init__(code)
        self.code = code
        self.problem = problem


def _convert(raw: Any, field: FieldInfo) -> Any:
    """Convert one non-blank cell to the field's JSON type or raise _CellError."""
    if field.enum:
        code = field.parse_enum(_cell_text(raw))
        if code is None:
            raise _CellError("schema.enum")
        return code
    kind = field.type
    if kind == "boolean":
        return _to_bool(raw)
    if kind == "integer":
        number = _to_number(raw, field)
        if isinstance(number, float):
            if not number.is_integer():
                raise _CellError(problem="不是整数")
            return int(number)
        return number
    if kind == "number":
        return _to_number(raw, field)
    if kind == "string":
        if isinstance(raw, bool):
            return "是" if raw else "否"
        return _cell_text(raw)
    raise _CellError()


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    word = _norm(raw)
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise _CellError()


def _to_number(raw: Any, field: FieldInfo) -> int | float:
    if isinstance(raw, bool):
        raise _CellError()
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if not math.isfinite(raw):
            raise _CellError()
        return raw
    if not isinstance(raw, str):
        raise _CellError()
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
        raise _CellError() from None
    if not math.isfinite(value):
        raise _CellError()
    return value
