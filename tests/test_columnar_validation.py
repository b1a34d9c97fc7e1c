"""Differential test: validation on Arrow columns reports exactly what the record path reports.

Tables are generated column by column (seeded): every field of the school schema in
its own type or a wrong one (floats, whole and not, NaN and infinity in integer
fields; true/false in numbers; numbers in text; text in numbers, read like CSV
cells), values inside and outside the bounds, off the enumeration, against the
pattern, too long, empty, with control characters or spaces around ids, required
fields left null, unknown columns, stage blocks that do not fit the school type,
duplicated ids, missing central schools, county codes that differ from the county
record. The stage blocks are struct columns in some tables and flat
``primary.students`` columns in others.

For every table, the columnar path (:class:`junheng.tables.TableColumns`, the schema
decided on columns) and the record path (the same rows as dicts: jsonschema-rs,
jsonschema, :class:`junheng.bulk.RecordColumns`) must give the same issues, message
for message — and over all tables every kind of issue must have occurred, so the
comparison is never vacuous.
"""

from __future__ import annotations

import random

import pytest

import junheng
from junheng.fields import FieldInfo
from junheng.readers import ReadResult
from junheng.readers.arrow import read_table
from junheng.validation import validate_read

pa = pytest.importorskip("pyarrow")

RULESET = "national.quality.2017"
ROWS = 120
SEEDS = range(60)


def _good(field: FieldInfo, rng: random.Random, row: int):
    if field.enum:
        return rng.choice(field.enum)
    if field.type == "boolean":
        return rng.random() < 0.5
    if field.type == "string":
        if field.path == "county_code":
            return rng.choice(["360101", "360102"])
        if field.path in ("id", "central_school_id"):
            return f"S{rng.randrange(ROWS * 2):04d}"
        return f"学校{row}"
    low = field.minimum if field.minimum is not None else 0
    high = field.maximum if field.maximum is not None else 1000
    high = min(high, low + 3000)
    if field.type == "integer":
        return rng.randint(int(low), int(high))
    return round(rng.uniform(low, high), 2)


def _bad(field: FieldInfo, rng: random.Random, row: int):
    """A value of the field's own type that the schema (or a rule) refuses."""
    if field.enum:
        return rng.choice(["other", field.enum[0].upper(), "小学"])
    if field.type == "boolean":
        return rng.random() < 0.5
    if field.type == "string":
        return rng.choice(
            [
                "",
                "x" * 300,
                "36010",
                "36010a",
                " S0001",
                "S0002 ",
                "名\x0b称",
                "a\x00b",
                "\u3000S3",
            ]
        )
    if field.type == "integer":
        return rng.choice(
            [-1, int(field.maximum or 10**6) + 1, 10**12, 2101 if field.path == "year" else -5]
        )
    return rng.choice([-0.5, float(field.maximum or 1e12) * 2, -1e300])


_REQUIRED = ("id", "school_type", "name", "county_code", "year", "students", "classes", "teachers")


def _column(field: FieldInfo, rng: random.Random, n: int, faulty: bool = True):
    """One column for ``field``: its own Arrow type or (``faulty``) a wrong one, some values
    null or bad. A clean column is of its own type with good values (an optional one may
    have nulls), so that each table's few faults are each seen on their own."""
    required = field.path.rsplit(".", 1)[-1] in _REQUIRED
    kind = rng.random() if faulty else 0.0
    null_share = rng.choice([0.0, 0.05, 0.3])
    if required:
        null_share = rng.choice([0.0, 0.03]) if faulty else 0.0
    bad_share = rng.choice([0.02, 0.1]) if faulty else 0.0

    def values(make):
        out = []
        for row in range(n):
            r = rng.random()
            if r < null_share:
                out.append(None)
            elif r < null_share + bad_share:
                out.append(make(True, row))
            else:
                out.append(make(False, row))
        return out

    own = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}.get(
        field.type, pa.string()
    )
    if kind < 0.75:  # the field's own type
        return pa.array(
            values(lambda bad, row: (_bad if bad else _good)(field, rng, row)), type=own
        )
    if field.type in ("integer", "number") and kind < 0.85:  # floats: whole, not, NaN, inf

        def floaty(bad, row):
            if bad:
                return rng.choice([float("nan"), float("inf"), -float("inf"), 2.5, 1e400])
            return float(_good(field, rng, row))

        return pa.array(values(floaty), type=pa.float64())
    if field.type in ("integer", "number", "boolean") and kind < 0.92:  # text, read as cells

        def texty(bad, row):
            if bad:
                return rng.choice(["abc", "1.5.2", "是的", "#N/A", "  "])
            good = _good(field, rng, row)
            if isinstance(good, bool):
                return "是" if good else "否"
            return f"{good:,}" if rng.random() < 0.2 else str(good)

        return pa.array(values(texty), type=pa.string())
    # a wrong type the schema refuses: true/false in a number, a number in a text or yes/no
    if field.type in ("integer", "number"):
        return pa.array(values(lambda bad, row: rng.random() < 0.5), type=pa.bool_())
    return pa.array(values(lambda bad, row: rng.randint(0, 9)), type=pa.int64())


def _table(engine, seed: int):
    rng = random.Random(seed)
    fields = [
        f
        for f in engine.registry.school_fields
        if f.path.split(".")[0] not in ("primary", "junior")
    ]
    stage_fields = [f for f in engine.registry.school_fields if f.path.startswith("primary.")]
    n = ROWS
    columns = {}
    leaves = [f.path for f in fields] + [f"primary.{f.path.split('.', 1)[1]}" for f in stage_fields]
    faulty = set(rng.sample(leaves, 3))
    for field in fields:
        if field.path in faulty and rng.random() < 0.15 and field.path not in ("id", "school_type"):
            continue  # an absent column (a required one: every row lacks it)
        columns[field.path] = _column(field, rng, n, field.path in faulty)
    # stage blocks: a school type's blocks mostly, sometimes the wrong ones
    types = columns["school_type"].to_pylist()
    from junheng.domain import STAGE_BLOCKS

    flip = rng.choice([0.0, 0.0, 0.03])
    for stage in ("primary", "junior"):
        present = [
            (t in STAGE_BLOCKS and stage in STAGE_BLOCKS[t][0]) != (rng.random() < flip)
            for t in types
        ]
        children = {}
        for field in stage_fields:
            key = field.path.split(".", 1)[1]
            bad = f"primary.{key}" in faulty
            if bad and rng.random() < 0.15:
                continue
            info = engine.registry.school_fields.get(f"{stage}.{key}")
            array = _column(info, rng, n, bad)
            col = array.to_pylist()
            if key in ("students", "classes", "teachers"):  # required in a block: rarely null
                filler = next((v for v in col if v is not None), None)
                col = [v if v is not None or rng.random() < 0.1 else filler for v in col]
            values = [v if has else None for v, has in zip(col, present, strict=True)]
            children[key] = pa.array(values, type=array.type)
        if rng.random() < 0.15:
            children["bogus"] = pa.array(
                [1 if has and rng.random() < 0.03 else None for has in present], type=pa.int64()
            )
        if seed % 2:  # struct columns (a row without the block: a null struct)
            mask = pa.array([not has for has in present])
            columns[stage] = pa.StructArray.from_arrays(
                list(children.values()), names=list(children), mask=mask
            )
        else:  # flat dotted columns
            for key, array in children.items():
                columns[f"{stage}.{key}"] = array
    if rng.random() < 0.15:
        columns["bogus_field"] = pa.array([None if rng.random() < 0.97 else "x" for _ in range(n)])
    return pa.table(columns)


def _county():
    return {"county_code": "360101", "name": "测试县", "year": 2025}


def _compare(engine, table, county):
    rs = engine.ruleset(RULESET)
    required = engine.required_fields(rs)
    read = read_table(table, "schools", engine.registry.school_fields)
    county_read = ReadResult([county], [], [1], None, "条")
    columnar = validate_read(
        read, county_read, required_fields=required, columns=read.columns, registry=engine.registry
    )
    records = list(read.records)
    as_records = ReadResult(records, list(read.issues), read.rows, None, "条")
    reference = validate_read(
        as_records, county_read, required_fields=required, registry=engine.registry
    )
    return [i.to_dict() for i in columnar], [i.to_dict() for i in reference]


def test_columnar_and_record_paths_report_the_same_issues(engine):
    seen: set[str] = set()
    for seed in SEEDS:
        columnar, reference = _compare(engine, _table(engine, seed), _county())
        assert columnar == reference, f"seed {seed}"
        seen |= {i["code"] for i in reference}
    expected = {
        "schema.type",
        "schema.minimum",
        "schema.maximum",
        "schema.enum",
        "schema.required",
        "schema.additionalProperties",
        "schema.pattern",
        "schema.minLength",
        "schema.maxLength",
        "stage_mismatch",
        "duplicate_id",
        "missing_central_school",
        "text.unsafe",
        "text.whitespace",
        "county_mismatch",
        "implausible",
        "missing_field",
    }
    assert expected <= seen, f"never generated: {sorted(expected - seen)}"


def test_a_valid_table_has_no_issue_on_either_path(engine):
    schools, county = engine.sample()
    table = pa.Table.from_struct_array(pa.array(schools))
    columnar, reference = _compare(engine, table, county)
    assert columnar == reference
    assert not [i for i in columnar if i["severity"] == "error"]


# -- issue-12 guarantees on the columnar path ---------------------------------------------


def _sample_table(engine, change):
    schools, county = engine.sample()
    schools = [dict(s) for s in schools]
    change(schools)
    return pa.Table.from_struct_array(pa.array(schools)), county


@pytest.mark.parametrize(
    ("value", "shown"),
    [(float("nan"), "nan"), (float("inf"), "inf"), (-float("inf"), "-inf")],
)
def test_nan_and_infinity_in_a_float_column_are_refused_and_located(engine, value, shown):
    def change(schools):
        for s in schools:
            s["teaching_room_area_m2"] = float(s.get("teaching_room_area_m2") or 0)
        schools[4]["teaching_room_area_m2"] = value

    table, county = _sample_table(engine, change)
    inputs = engine.load(table, county, ruleset=RULESET)
    errors = inputs.errors
    assert len(errors) == 1, errors
    (error,) = errors
    assert (error.row, error.field, error.code) == (5, "teaching_room_area_m2", "schema.type")
    assert error.record_id == "360199-005" and shown in error.message.lower()
    with pytest.raises(junheng.InputError):
        engine.evaluate(RULESET, table, county)


def test_huge_numbers_in_a_column_are_refused_not_overflowed(engine):
    def change(schools):
        for s in schools:
            s["books"] = float(s.get("books") or 0)
        schools[2]["books"] = 1e300

    table, county = _sample_table(engine, change)
    errors = engine.load(table, county).errors
    assert [(e.row, e.field, e.code) for e in errors] == [(3, "books", "schema.maximum")]


def test_control_characters_and_spaced_ids_in_text_columns_are_located(engine):
    def change(schools):
        schools[1]["name"] = "青溪\x0b小学"
        schools[3]["id"] = schools[3]["id"] + " "

    table, county = _sample_table(engine, change)
    errors = engine.load(table, county).errors
    codes = {(e.row, e.field, e.code) for e in errors}
    assert (2, "name", "text.unsafe") in codes
    assert (4, "id", "text.whitespace") in codes
    # the same rows as dicts: the same messages
    reference = engine.load(
        list(read_table(table, "schools", engine.registry.school_fields).records), county
    ).errors
    assert [e.message for e in errors] == [e.message for e in reference]


def test_a_lone_surrogate_in_a_dataframe_is_located_not_a_crash(engine):
    pd = pytest.importorskip("pandas")
    schools, county = engine.sample()
    frame = pd.json_normalize(schools)
    frame["name"] = frame["name"].astype(object)  # pandas 3's Arrow strings cannot hold one
    frame.loc[6, "name"] = "青溪\ud800中学"  # nor can Arrow: these rows are judged as dicts
    inputs = engine.load(frame, county)
    (error,) = inputs.errors
    assert (error.row, error.field, error.code) == (7, "name", "text.unsafe")
