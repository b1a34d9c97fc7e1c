"""Validation: check in-memory school and county records and report every problem at once.

Two layers:

1. JSON Schema (draft 2020-12, :mod:`jsonschema`), every error collected and
   translated into a located Chinese :class:`~junheng.issues.DataIssue`
   naming the field's English path, Chinese title, the value found and what
   is expected (bounds with unit). The schema step lives behind one private
   function, :func:`_schema_errors`, so a faster backend (e.g. jsonschema-rs)
   can be swapped in with a differential test against this one.
2. Cross-record and plausibility rules the schema cannot express: duplicate
   school ids, central schools missing from the input, county codes that
   differ from the county record, stage blocks that do not fit
   ``school_type``, and warnings for implausible values.

Used by the CLI (``junheng validate``), the API and the engine.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from jsonschema import Draft202012Validator

try:  # the fast schema backend (Rust); plain jsonschema stays the reference and fallback
    import jsonschema_rs
except ImportError:  # pragma: no cover - exercised by the fallback test via monkeypatch
    jsonschema_rs = None

from junheng.bulk import RecordColumns, gc_paused
from junheng.fields import (
    FieldCatalogue,
    county_fields,
    display_path,
    extensions_version,
    load_schema,
    school_fields,
)
from junheng.issues import DataIssue, Severity
from junheng.readers import ReadResult, read_county, read_schools

__all__ = ["STAGE_RULES", "validate", "validate_files", "validate_read"]

#: school_type → (stage blocks required, stage blocks allowed). ``special_education``
#: must have at least one of the two blocks.
STAGE_RULES: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "primary": (frozenset({"primary"}), frozenset({"primary"})),
    "junior": (frozenset({"junior"}), frozenset({"junior"})),
    "nine_year": (frozenset({"primary", "junior"}), frozenset({"primary", "junior"})),
    "twelve_year": (frozenset({"junior"}), frozenset({"primary", "junior"})),
    "complete_middle": (frozenset({"junior"}), frozenset({"junior"})),
    "teaching_point": (frozenset({"primary"}), frozenset({"primary"})),
    "special_education": (frozenset(), frozenset({"primary", "junior"})),
}

_STAGE_TITLES = {"primary": "小学", "junior": "初中"}

#: equipment value per student above this is implausible (yuan)
EQUIPMENT_PER_STUDENT_LIMIT = 1_000_000
#: teaching-room area per student above this is implausible (m²)
AREA_PER_STUDENT_LIMIT = 1_000

# (numerator, denominator): warn when numerator > denominator, within a stage block
_STAGE_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("teachers", "students", "专任教师数多于在校生数"),
    ("classes", "students", "班级数多于在校生数"),
    ("max_class_size", "students", "最大班额大于在校生数"),
    ("teachers_above_degree", "teachers", "高于规定学历教师数多于专任教师数"),
    ("senior_title_teachers", "teachers", "中级及以上职称教师数多于专任教师数"),
    ("backbone_teachers_county", "teachers", "县级及以上骨干教师数多于专任教师数"),
    (
        "backbone_teachers_city",
        "backbone_teachers_county",
        "市级及以上骨干教师数多于县级及以上骨干教师数",
    ),
    ("pe_arts_teachers", "teachers", "体育艺术专任教师数多于专任教师数"),
    ("large_classes", "classes", "大班额班级数多于班级数"),
    ("disabled_students", "students", "随班就读残疾学生数多于在校生数"),
    ("dropouts", "students", "辍学学生数多于在校生数"),
)


@attrs.frozen
class _Where:
    """Where the records came from, for messages."""

    file: str | None
    row_unit: str
    rows: Sequence[int] | None
    subject: str
    field_rows: Sequence[Mapping[str, int]] = ()

    def row(self, index: int, field: str | None = None) -> int:
        if field and index < len(self.field_rows):
            hit = self.field_rows[index].get(field)
            if hit is not None:
                return hit
        if self.rows is not None and index < len(self.rows):
            return self.rows[index]
        return index + 1


def validate(
    schools: Sequence[Mapping[str, Any]],
    county: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    *,
    schools_file: str | Path | None = None,
    county_file: str | Path | None = None,
    rows: Sequence[int] | None = None,
    county_rows: Sequence[int] | None = None,
    county_field_rows: Sequence[Mapping[str, int]] = (),
    required_fields: set[str] | None = None,
    columns: RecordColumns | None = None,
) -> list[DataIssue]:
    """Every problem in ``schools`` (and ``county``, one record or several), at once.

    ``schools_file`` / ``county_file`` name the sources in messages (only the
    file name is shown; a ``.csv``/``.xlsx`` name makes positions read as
    spreadsheet rows, anything else as record positions). ``rows[i]`` is the
    source row of ``schools[i]`` (default: position ``i + 1``).
    ``required_fields`` are school field paths the chosen ruleset needs; each
    one absent from a school is reported as a ``missing_field`` warning
    (stage fields such as ``primary.students`` only where that block exists).
    ``columns``: a :class:`~junheng.bulk.RecordColumns` of these very ``schools``, to
    share the fields pulled here with a later ``Engine.evaluate(..., columns=)``.
    Returns errors and warnings in check order: schema errors record by record,
    then the cross-record and plausibility rules (:func:`validate_files` sorts by row).
    """
    if columns is not None and columns.records is not schools:
        raise ValueError("columns 不是从这份学校记录中提取的 (columns.records is not schools)")
    if isinstance(county, Mapping):
        counties: list[Mapping[str, Any]] = [county]
    else:
        counties = list(county or [])
    school_where = _where(schools_file, rows, "学校")
    county_where = attrs.evolve(
        _where(county_file, county_rows, "县"), field_rows=tuple(county_field_rows)
    )

    with gc_paused():
        issues: list[DataIssue] = []
        catalogue = school_fields()
        valid = _valid_flags(schools, "school")
        for index, school in enumerate(schools):
            if valid[index]:
                continue  # the fast backend proved it valid: jsonschema would find nothing
            found = list(_schema_issues(school, "school", catalogue, school_where, index))
            valid[index] = not found
            issues.extend(found)
        for index, record in enumerate(counties):
            issues.extend(_schema_issues(record, "county", county_fields(), county_where, index))

        pulled = _columns_for(schools, columns)
        if pulled is not None:  # everything the rules below read, in one pass
            pulled.values(_head_keys(required_fields))
        if pulled is None or _cross_record_suspect(pulled, counties):
            issues.extend(_duplicate_ids(schools, school_where))
            issues.extend(_central_schools(schools, school_where))
            issues.extend(_county_mismatch(schools, counties, school_where))
        for index in _suspects(pulled, valid, required_fields):
            school = schools[index]
            issues.extend(_stage_issues(school, school_where, index))
            issues.extend(_implausible(school, school_where, index))
            if required_fields:
                issues.extend(_missing_fields(school, required_fields, school_where, index))
        for index, record in enumerate(counties):
            issues.extend(_finance_years(record, county_where, index))
    return issues


def validate_files(
    schools_path: str | Path,
    county_path: str | Path | None = None,
    *,
    required_fields: set[str] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[DataIssue]]:
    """Read and validate files: ``(schools, counties, issues)``.

    ``counties`` is a list (usually of one record; empty without ``county_path``).
    The issues are those of :func:`validate_read`.
    """
    school_read = read_schools(schools_path)
    county_read = read_county(county_path) if county_path else None
    issues = validate_read(school_read, county_read, required_fields=required_fields)
    return school_read.records, county_read.records if county_read else [], issues


def validate_read(
    school_read: ReadResult,
    county_read: ReadResult | None = None,
    *,
    required_fields: set[str] | None = None,
    columns: RecordColumns | None = None,
) -> list[DataIssue]:
    """The reader issues and every problem :func:`validate` finds in what was read.

    Positions are the source rows of the readers. Reader issues come first; a
    schema ``required`` error is dropped when the reader already reported that
    very cell as unreadable, so each problem is reported once. Sorted by file
    (schools, then county) and row. ``columns`` as for :func:`validate`.
    """
    issues = list(school_read.issues)
    if county_read is not None:
        issues.extend(county_read.issues)
    found = validate(
        school_read.records,
        county_read.records if county_read else [],
        schools_file=school_read.file,
        county_file=county_read.file if county_read else None,
        rows=school_read.rows,
        county_rows=county_read.rows if county_read else None,
        county_field_rows=county_read.field_rows if county_read else (),
        required_fields=required_fields,
        columns=columns,
    )
    reported = {(i.file, i.row, i.field) for i in issues if i.is_error}
    issues.extend(
        i
        for i in found
        if not (i.code == "schema.required" and (i.file, i.row, i.field) in reported)
    )
    files = {school_read.file: 0, county_read.file if county_read else None: 1}
    issues.sort(key=lambda i: (files.get(i.file, 2), i.row or 0))
    return issues


# --------------------------------------------------------------------------- schema step


@cache
def _validator(schema_name: str, extensions: int = 0) -> Draft202012Validator:
    # ``extensions`` (fields.extensions_version()) keys the cache: plugin fields change the schema
    schema = load_schema(schema_name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@attrs.frozen
class _SchemaError:
    """A backend-neutral schema error (what a faster backend must also produce)."""

    keyword: str
    path: tuple[str | int, ...]
    instance: Any
    keyword_value: Any
    schema: Mapping[str, Any] = attrs.field(eq=False)


@cache
def _fast_validator(schema_name: str, extensions: int = 0) -> Any:
    """The jsonschema-rs validator for the same (plugin-extended) schema, or None."""
    if jsonschema_rs is None:
        return None
    try:
        return jsonschema_rs.Draft202012Validator(load_schema(schema_name))
    except Exception:  # a schema the Rust backend cannot compile: use jsonschema only
        return None


def _fast_valid(instance: Any, schema_name: str) -> bool:
    """True when the fast backend proves ``instance`` valid; False means "ask jsonschema"."""
    fast = _fast_validator(schema_name, extensions_version())
    if fast is None:
        return False
    try:
        return bool(fast.is_valid(instance))
    except Exception:  # a value it cannot convert (not plain JSON data): let jsonschema judge
        return False


def _valid_flags(records: Sequence[Any], schema_name: str) -> list[bool]:
    """Per record: proven valid by the fast backend (all False without it)."""
    fast = _fast_validator(schema_name, extensions_version())
    if fast is None:
        return [False] * len(records)
    is_valid = fast.is_valid
    flags = []
    for record in records:
        try:
            flags.append(bool(is_valid(record)))
        except Exception:  # not plain JSON data: let jsonschema judge
            flags.append(False)
    return flags


def _schema_errors(instance: Any, schema_name: str) -> Iterator[_SchemaError]:
    """All JSON Schema errors of ``instance``; the one seam for the schema backend.

    jsonschema-rs (when installed) only decides validity: a record it finds valid
    has no errors; for any other record the errors, their paths and keywords come
    from :mod:`jsonschema`, the reference. ``tests/test_validation_backends.py``
    proves on valid and invalid corpora that both backends flag the same records,
    paths and keywords.
    """
    if _fast_valid(instance, schema_name):
        return
    for error in _validator(schema_name, extensions_version()).iter_errors(instance):
        yield _SchemaError(
            keyword=str(error.validator),
            path=tuple(error.absolute_path),
            instance=error.instance,
            keyword_value=error.validator_value,
            schema=error.schema if isinstance(error.schema, Mapping) else {},
        )


def _schema_issues(
    record: Any, schema_name: str, catalogue: FieldCatalogue, where: _Where, index: int
) -> Iterator[DataIssue]:
    record_id = _record_id(record, schema_name)
    errors = sorted(_schema_errors(record, schema_name), key=lambda e: [str(p) for p in e.path])
    seen: set[tuple[str, str]] = set()
    for error in errors:
        for path, detail, found, expected in _translate(error, catalogue):
            shown = display_path(path)
            key = (error.keyword, shown)
            if key in seen:
                continue
            seen.add(key)
            field = catalogue.for_instance_path(path) if path else None
            yield DataIssue.located(
                "error",
                f"schema.{error.keyword}",
                detail,
                file=where.file,
                row=where.row(index, shown),
                row_unit=where.row_unit,
                record_id=record_id,
                subject=where.subject,
                field=shown or None,
                field_title=field.title if field else None,
                found=found,
                expected=expected,
            )


def _translate(
    error: _SchemaError, catalogue: FieldCatalogue
) -> Iterator[tuple[tuple[str | int, ...], str, Any, Any]]:
    """(instance path, Chinese detail, found, expected) for one schema error."""
    path = error.path
    field = catalogue.for_instance_path(path) if path else None
    unit = f"（{field.unit}）" if field and field.unit else ""
    value = _show(error.instance)
    kw, expected = error.keyword, error.keyword_value

    if kw == "required":
        present = error.instance if isinstance(error.instance, Mapping) else {}
        for name in expected:
            if name not in present:
                missing = (*path, name)
                missing_field = catalogue.for_instance_path(missing)
                what = missing_field.expected_text() if missing_field else "一个值"
                yield missing, f"缺少必填字段，应为{what}。", None, name
        return
    if kw == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        present = error.instance if isinstance(error.instance, Mapping) else {}
        for name in present:
            if name not in known:
                yield (*path, name), f"“{name}”不是已知字段（拼写错误或多余字段）。", name, None
        return
    if kw == "minimum":
        yield path, f"值 {value} 小于最小值 {_show(expected)}{unit}。", error.instance, expected
    elif kw == "maximum":
        yield path, f"值 {value} 大于最大值 {_show(expected)}{unit}。", error.instance, expected
    elif kw == "exclusiveMinimum":
        yield path, f"值 {value} 应大于 {_show(expected)}{unit}。", error.instance, expected
    elif kw == "exclusiveMaximum":
        yield path, f"值 {value} 应小于 {_show(expected)}{unit}。", error.instance, expected
    elif kw == "type":
        want = field.expected_text() if field else _type_words(expected)
        yield path, f"值 {value} 的类型不对，应为{want}。", error.instance, expected
    elif kw == "enum":
        want = field.expected_text() if field else "、".join(map(str, expected))
        yield path, f"值 {value} 不是可选值，应为{want}。", error.instance, list(expected)
    elif kw == "pattern":
        hint = f"（{field.description}）" if field and field.description else ""
        yield (
            path,
            f"值 {value} 格式不对，应符合 {expected}{hint}。",
            error.instance,
            expected,
        )
    elif kw in ("minLength", "maxLength"):
        word = "不少于" if kw == "minLength" else "不超过"
        yield path, f"值 {value} 的长度应{word} {expected} 个字符。", error.instance, expected
    elif kw in ("minItems", "maxItems"):
        word = "不少于" if kw == "minItems" else "不超过"
        yield path, f"列表应有{word} {expected} 项。", None, expected
    else:
        yield path, f"值 {value} 不符合要求（{kw}: {_show(expected)}）。", error.instance, expected


def _type_words(expected: Any) -> str:
    words = {
        "integer": "整数",
        "number": "数字",
        "string": "文本",
        "boolean": "是/否",
        "object": "对象",
        "array": "数组",
        "null": "空值",
    }
    names = expected if isinstance(expected, list) else [expected]
    return "或".join(words.get(str(n), str(n)) for n in names)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, str):
        return f"“{value}”"
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        text = repr(value)
        return text if len(text) <= 60 else text[:57] + "..."
    return str(value)


# --------------------------------------------------------------------------- beyond the schema

_PAIR_FIELDS = sorted({f for a, b, _ in _STAGE_PAIRS for f in (a, b)} | {"students", "classes"})
_PER_STUDENT_LIMITS = (
    ("equipment_value_yuan", EQUIPMENT_PER_STUDENT_LIMIT),
    ("teaching_room_area_m2", AREA_PER_STUDENT_LIMIT),
)
_FUNDS_PAIR = ("teacher_training_funds_yuan", "public_funds_yuan")
#: top-level keys pulled (in one pass) for the cross-record rules and :func:`_suspects`;
#: ``name`` is for evaluation, which shares the pulled columns (``columns=``)
_HEAD_KEYS = (
    "id",
    "name",
    "central_school_id",
    "county_code",
    "year",
    "school_type",
    "primary",
    "junior",
    *(k for k, _ in _PER_STUDENT_LIMITS),
    *_FUNDS_PAIR,
)


def _columns_for(schools: Sequence[Any], columns: RecordColumns | None) -> RecordColumns | None:
    """Where the rules below pull their fields from (None: not every record is a dict)."""
    if not all(type(s) is dict for s in schools):
        return None
    return columns if columns is not None else RecordColumns(schools)


def _head_keys(required: set[str] | None) -> list[str]:
    tops = {p.split(".", 1)[0] for p in required or ()} - {"primary", "junior"}
    return list(dict.fromkeys([*_HEAD_KEYS, *sorted(tops)]))


def _suspects(
    pulled: RecordColumns | None, valid: Sequence[bool], required: set[str] | None
) -> Sequence[int]:
    """Indices of the records the per-record rules below may have something to say about.

    A superset, found with whole-column arithmetic on the pulled fields: schema-invalid
    records, stage blocks that do not fit the type, any pair/ratio/missing-field
    condition of :func:`_implausible` and :func:`_missing_fields`. The exact rules
    then run on these records only, so the issues (and their order) are those of
    running them on every record. Exact for schema-valid records, whose numbers are
    non-negative ints/floats or absent and whose stage blocks are objects (never
    null, so an absent block and a null one read alike); everything else is a
    suspect anyway.
    """
    n = len(valid)
    if pulled is None:
        return range(n)
    if n == 0:
        return []
    required = required or set()
    heads = pulled.values(_head_keys(required))
    flag = ~np.fromiter(valid, bool, n)
    bad_combos = set()
    for t, (req, allowed) in STAGE_RULES.items():
        for p in (False, True):
            for j in (False, True):
                present = {s for s, h in (("primary", p), ("junior", j)) if h}
                if req - present or present - allowed or (t == "special_education" and not present):
                    bad_combos.add((t, p, j))
    primary, junior = heads["primary"], heads["junior"]
    flag |= np.fromiter(
        (
            (_text(t), p is not None, j is not None) in bad_combos
            for t, p, j in zip(heads["school_type"], primary, junior, strict=True)
        ),
        bool,
        n,
    )
    for path in required:
        if "." not in path and heads[path].count(None):  # C-level count: usually none
            flag |= np.fromiter((v is None for v in heads[path]), bool, n)

    total = np.zeros(n)
    with np.errstate(invalid="ignore", divide="ignore"):
        for stage in ("primary", "junior"):
            has = pulled.has_block(stage)
            keys = list(_PAIR_FIELDS)
            keys += sorted(
                {p.split(".", 1)[1] for p in required if p.startswith(f"{stage}.")} - set(keys)
            )
            cols = pulled.stage_floats(stage, keys)
            for a, b, _ in _STAGE_PAIRS:
                flag |= cols[a] > cols[b]
            students = cols["students"]
            flag |= (students > 0) & (cols["classes"] == 0)
            total += np.where(students >= 0, students, 0.0)
            for path in required:
                head, _, key = path.partition(".")
                if head == stage and key:
                    flag |= has & np.isnan(cols[key])
        wide = pulled.floats([k for k, _ in _PER_STUDENT_LIMITS] + list(_FUNDS_PAIR))
        for key, limit in _PER_STUDENT_LIMITS:
            flag |= (total > 0) & (wide[key] / total > limit)
        training, funds = (wide[k] for k in _FUNDS_PAIR)
        flag |= training > funds
    deep = [p for p in required if "." in p and p.split(".", 1)[0] not in ("primary", "junior")]
    for path in sorted(deep):
        head, rest = path.split(".", 1)
        flag |= np.fromiter((_dig(v, rest) is None for v in heads[head]), bool, n)
    return np.nonzero(flag)[0].tolist()


def _text(value: Any) -> str | None:
    """``value`` if it is a string, else None (keys of sets and dicts must be hashable)."""
    return value if isinstance(value, str) else None


def _dig(record: Any, path: str) -> Any:
    target = record
    for part in path.split("."):
        target = target.get(part) if isinstance(target, Mapping) else None
    return target


def _where(file: str | Path | None, rows: Sequence[int] | None, subject: str) -> _Where:
    name = Path(file).name if file is not None else None
    spreadsheet = name is not None and Path(name).suffix.lower() in (".csv", ".xlsx", ".xlsm")
    return _Where(name, "行" if spreadsheet else "条", rows, subject)


def _record_id(record: Any, schema_name: str) -> str | None:
    if not isinstance(record, Mapping):
        return None
    key = "id" if schema_name == "school" else "county_code"
    value = record.get(key)
    return value if isinstance(value, str) and value else None


def _issue(
    severity: Severity,
    code: str,
    detail: str,
    where: _Where,
    index: int,
    record: Any,
    field: str | None = None,
    found: Any = None,
    expected: Any = None,
) -> DataIssue:
    info = None
    if field:
        catalogue = school_fields() if where.subject == "学校" else county_fields()
        info = catalogue.get(re.sub(r"\[\d+\]", "[]", field))
    return DataIssue.located(
        severity,
        code,
        detail,
        file=where.file,
        row=where.row(index, field),
        row_unit=where.row_unit,
        record_id=_record_id(record, "school" if where.subject == "学校" else "county"),
        subject=where.subject,
        field=field,
        field_title=info.title if info else None,
        found=found,
        expected=expected,
    )


def _cross_record_suspect(pulled: RecordColumns, counties: Sequence[Mapping[str, Any]]) -> bool:
    """False when the cross-record rules below certainly find nothing (checked on whole sets).

    Unique ids, every central school id another school's id, every county code and
    year the county records': the usual national batch, settled on the pulled
    columns instead of three record-by-record walks. Anything else runs the exact rules.
    """
    ids, centrals, codes, years = pulled.values(
        ("id", "central_school_id", "county_code", "year")
    ).values()
    try:  # an unhashable value (invalid data) makes the set operations raise: suspect
        id_set = set(ids)
        if len(id_set) != len(ids) or set(map(type, ids)) != {str}:
            return True
        named_centrals = set(centrals) - {None}
        if not named_centrals <= id_set or any(map(operator.eq, centrals, ids)):
            return True
        if not counties:
            return False
        county_codes = {c.get("county_code") for c in counties if isinstance(c, Mapping)}
        county_years = {c.get("year") for c in counties if isinstance(c, Mapping)}
        return not set(codes) <= county_codes or (
            len(county_years) == 1 and not set(years) <= county_years
        )
    except TypeError:
        return True


def _duplicate_ids(schools: Sequence[Mapping[str, Any]], where: _Where) -> Iterator[DataIssue]:
    first: dict[str, int] = {}
    for index, school in enumerate(schools):
        sid = school.get("id") if isinstance(school, Mapping) else None
        if not isinstance(sid, str):
            continue
        if sid in first:
            yield _issue(
                "error",
                "duplicate_id",
                f"学校标识码 {sid} 重复，与第{where.row(first[sid])}{where.row_unit}相同；"
                "每所学校的标识码必须唯一。",
                where,
                index,
                school,
                "id",
                found=sid,
                expected="unique",
            )
        else:
            first[sid] = index


def _central_schools(schools: Sequence[Mapping[str, Any]], where: _Where) -> Iterator[DataIssue]:
    ids = {_text(s.get("id")) for s in schools if isinstance(s, Mapping)}
    for index, school in enumerate(schools):
        if not isinstance(school, Mapping):
            continue
        central = school.get("central_school_id")
        if not isinstance(central, str) or not central:
            continue
        if central == school.get("id"):
            yield _issue(
                "error",
                "missing_central_school",
                "所属中心校不能是学校自己。",
                where,
                index,
                school,
                "central_school_id",
                found=central,
            )
        elif central not in ids:
            yield _issue(
                "error",
                "missing_central_school",
                f"所属中心校 {central} 不在输入数据中；请补充该中心校的记录或更正标识码。",
                where,
                index,
                school,
                "central_school_id",
                found=central,
                expected="an id present in the input",
            )


def _county_mismatch(
    schools: Sequence[Mapping[str, Any]],
    counties: Sequence[Mapping[str, Any]],
    where: _Where,
) -> Iterator[DataIssue]:
    codes = [c.get("county_code") for c in counties if isinstance(c, Mapping)]
    codes = [c for c in codes if isinstance(c, str)]
    years = {
        y
        for y in (c.get("year") for c in counties if isinstance(c, Mapping))
        if isinstance(y, int) and not isinstance(y, bool)
    }
    if not codes:
        return
    shown = "、".join(codes)
    known = set(codes)  # a national batch has ~2,900 county codes: no list scan per school
    for index, school in enumerate(schools):
        if not isinstance(school, Mapping):
            continue
        code = school.get("county_code")
        if isinstance(code, str) and code not in known:
            yield _issue(
                "error",
                "county_mismatch",
                f"县级行政区划代码 {code} 与县域数据的代码 {shown} 不一致。",
                where,
                index,
                school,
                "county_code",
                found=code,
                expected=codes if len(codes) > 1 else codes[0],
            )
        year = school.get("year")
        if len(years) == 1 and isinstance(year, int) and year not in years:
            (county_year,) = years
            yield _issue(
                "warning",
                "year_mismatch",
                f"统计年度 {year} 与县域数据的评估年度 {county_year} 不一致。",
                where,
                index,
                school,
                "year",
                found=year,
                expected=county_year,
            )


def _stage_issues(school: Mapping[str, Any], where: _Where, index: int) -> Iterator[DataIssue]:
    if not isinstance(school, Mapping):
        return
    school_type = _text(school.get("school_type"))
    if school_type not in STAGE_RULES:
        return
    required, allowed = STAGE_RULES[school_type]
    present = {s for s in ("primary", "junior") if s in school}
    type_title = school_fields().get("school_type").enum_label(school_type)  # type: ignore[union-attr]
    for stage in sorted(required - present):
        yield _issue(
            "error",
            "stage_mismatch",
            f"学校类型为{type_title}（{school_type}），但缺少{_STAGE_TITLES[stage]}学段数据"
            f"（{stage} 各列/字段）。",
            where,
            index,
            school,
            stage,
            found=sorted(present),
            expected=sorted(required),
        )
    for stage in sorted(present - allowed):
        yield _issue(
            "error",
            "stage_mismatch",
            f"学校类型为{type_title}（{school_type}），不应有{_STAGE_TITLES[stage]}学段数据"
            f"（{stage}）；请更正学校类型或删除该学段数据。",
            where,
            index,
            school,
            stage,
            found=sorted(present),
            expected=sorted(allowed),
        )
    if school_type == "special_education" and not present:
        yield _issue(
            "error",
            "stage_mismatch",
            "特殊教育学校应至少有小学或初中学段数据之一（primary 或 junior）。",
            where,
            index,
            school,
            "primary",
            found=[],
            expected=["primary", "junior"],
        )


def _number(block: Any, key: str) -> int | float | None:
    if not isinstance(block, Mapping):
        return None
    value = block.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        return None  # absent, wrong type or negative: the schema step reports those
    return value


def _implausible(school: Mapping[str, Any], where: _Where, index: int) -> Iterator[DataIssue]:
    if not isinstance(school, Mapping):
        return
    total_students = 0
    for stage in ("primary", "junior"):
        block = school.get(stage)
        students = _number(block, "students")
        if students is not None:
            total_students += students
        for numerator, denominator, words in _STAGE_PAIRS:
            a, b = _number(block, numerator), _number(block, denominator)
            if a is None or b is None or a <= b:
                continue
            path = f"{stage}.{numerator}"
            yield _issue(
                "warning",
                "implausible",
                f"{_STAGE_TITLES[stage]}{words}（{a} > {b}），请核实。",
                where,
                index,
                school,
                path,
                found=a,
                expected=f"<= {stage}.{denominator} ({b})",
            )
        classes = _number(block, "classes")
        if students and classes == 0:
            yield _issue(
                "warning",
                "implausible",
                f"{_STAGE_TITLES[stage]}有 {students} 名在校生但班级数为 0，请核实。",
                where,
                index,
                school,
                f"{stage}.classes",
                found=0,
                expected="> 0",
            )
    if total_students <= 0:
        return
    for key, limit, words in (
        ("equipment_value_yuan", EQUIPMENT_PER_STUDENT_LIMIT, "生均教学仪器设备值"),
        ("teaching_room_area_m2", AREA_PER_STUDENT_LIMIT, "生均教学及辅助用房面积"),
    ):
        value = _number(school, key)
        if value is None:
            continue
        per_student = value / total_students
        if per_student > limit:
            unit = "元" if key.endswith("_yuan") else "m²"
            yield _issue(
                "warning",
                "implausible",
                f"{words}为 {per_student:,.0f} {unit}，超过 {limit:,} {unit}，"
                "可能是单位填错（如万元、平方米），请核实。",
                where,
                index,
                school,
                key,
                found=value,
                expected=f"<= {limit} per student",
            )
    funds, training = (
        _number(school, "public_funds_yuan"),
        _number(school, "teacher_training_funds_yuan"),
    )
    if funds is not None and training is not None and training > funds:
        yield _issue(
            "warning",
            "implausible",
            f"教师培训经费（{training}）多于公用经费支出（{funds}），请核实。",
            where,
            index,
            school,
            "teacher_training_funds_yuan",
            found=training,
            expected=f"<= public_funds_yuan ({funds})",
        )


def _missing_fields(
    school: Mapping[str, Any], required: set[str], where: _Where, index: int
) -> Iterator[DataIssue]:
    if not isinstance(school, Mapping):
        return
    for path in sorted(required):
        parts = path.split(".")
        target: Any = school
        if len(parts) > 1 and parts[0] in ("primary", "junior") and parts[0] not in school:
            continue  # the school does not teach that stage
        for part in parts:
            target = target.get(part) if isinstance(target, Mapping) else None
        if target is None:
            yield _issue(
                "warning",
                "missing_field",
                "所选规则集需要该字段，但未填写；相关指标将无法计算。",
                where,
                index,
                school,
                path,
                expected=path,
            )


def _finance_years(record: Any, where: _Where, index: int) -> Iterator[DataIssue]:
    finance = record.get("finance") if isinstance(record, Mapping) else None
    if not isinstance(finance, list):
        return
    seen: set[int] = set()
    for pos, entry in enumerate(finance):
        year = entry.get("year") if isinstance(entry, Mapping) else None
        if not isinstance(year, int):
            continue
        if year in seen:
            yield _issue(
                "error",
                "duplicate_year",
                f"近年教育经费中年度 {year} 出现了不止一次。",
                where,
                index,
                record,
                f"finance[{pos}].year",
                found=year,
            )
        seen.add(year)
