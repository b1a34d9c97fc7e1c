"""Columnar data in and out (issue 17): Parquet/Feather/Arrow files, pyarrow Tables, pandas and
polars DataFrames in; Arrow/pandas/polars tables and a Parquet folder out.

Real files are written with pyarrow, openpyxl and the csv module and read back through
the CLI (in process) and the library; nothing is mocked but the absence of pyarrow,
which is a subprocess that blocks its import.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

import junheng
import junheng.readers.arrow as arrow_reader
from junheng.cli import main

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
feather = pytest.importorskip("pyarrow.feather")
pd = pytest.importorskip("pandas")
pl = pytest.importorskip("polars")

RULESET = "national.quality.2017"


pytestmark = pytest.mark.usefixtures("wide_consoles")


@pytest.fixture(scope="module")
def sample(engine):
    return engine.sample()


def _flat(record: dict) -> dict:
    out = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def _header(schools: list[dict]) -> list[str]:
    return list(dict.fromkeys(k for s in schools for k in _flat(s)))


def _write_csv(path: Path, schools: list[dict]) -> Path:
    header = _header(schools)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for s in schools:
            flat = _flat(s)
            writer.writerow(["" if flat.get(k) is None else _cell(flat.get(k)) for k in header])
    return path


def _cell(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _write_xlsx(path: Path, schools: list[dict]) -> Path:
    header = _header(schools)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(header)
    for s in schools:
        flat = _flat(s)
        ws.append([flat.get(k) for k in header])
    wb.save(path)
    return path


def _struct_table(schools: list[dict]):
    return pa.Table.from_struct_array(pa.array(schools))


def _report(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    data.pop("provenance")
    # the data issues name their file and row kind (第 3 条 / 第 3 行): compare what they say
    data["data_issues"] = [
        {k: v for k, v in i.items() if k not in ("message", "file")} for i in data["data_issues"]
    ]
    return data


def _cli(*args: str) -> int:
    return main(list(args))


# -- acceptance: one county, every format, one report ---------------------------------------


def test_the_sample_county_in_every_format_gives_one_report(engine, sample, tmp_path):
    schools, county = sample
    (tmp_path / "county.json").write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    (tmp_path / "schools.json").write_text(json.dumps(schools, ensure_ascii=False), "utf-8")
    _write_csv(tmp_path / "schools.csv", schools)
    _write_xlsx(tmp_path / "schools.xlsx", schools)
    table = _struct_table(schools)
    pq.write_table(table, tmp_path / "schools.parquet")
    pq.write_table(pa.Table.from_pandas(pd.json_normalize(schools)), tmp_path / "flat.parquet")
    feather.write_feather(table, tmp_path / "schools.feather")
    with pa.OSFile(str(tmp_path / "schools.arrow"), "wb") as sink:  # the IPC stream format
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    reports = {}
    for name in (
        "schools.json",
        "schools.csv",
        "schools.xlsx",
        "schools.parquet",
        "flat.parquet",
        "schools.feather",
        "schools.arrow",
    ):
        out = tmp_path / f"{name}.report.json"
        code = _cli("evaluate", str(tmp_path / name), "--county", str(tmp_path / "county.json"), "--ruleset", RULESET, "--output", str(out))  # fmt: skip
        assert code == 1, name  # the sample county fails a few criteria
        reports[name] = _report(out)
    for label, frame in (
        ("pandas flat", pd.json_normalize(schools)),
        ("pandas nested", pd.DataFrame(schools)),
        ("polars", pl.from_arrow(table)),
        ("pyarrow", table),
    ):
        report = engine.evaluate(RULESET, frame, county)
        out = tmp_path / f"{label}.json"
        junheng.outputs.write_report(report, "json", out)
        reports[label] = _report(out)
    reference = reports.pop("schools.json")
    assert reference["schools"] and reference["counties"]
    for name, report in reports.items():
        assert report == reference, name


def test_a_parquet_file_with_three_faults_exits_2_with_three_located_messages(
    sample, tmp_path, capsys
):
    schools, county = sample
    schools = [json.loads(json.dumps(s)) for s in schools]
    schools[2]["primary"]["students"] = -12  # a negative count
    schools[7]["id"] = schools[5]["id"]  # a duplicated id
    flat = pd.json_normalize(schools)
    flat["books"] = flat["books"].map(lambda v: None if pd.isna(v) else str(int(v)))
    flat.loc[10, "books"] = "一千二"  # a string in a numeric column (exported as text)
    pq.write_table(pa.Table.from_pandas(flat, preserve_index=False), tmp_path / "bad.parquet")
    (tmp_path / "county.json").write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    # the same faults in a CSV file
    csv_rows = [json.loads(json.dumps(s)) for s in schools]
    _write_csv(tmp_path / "bad.csv", csv_rows)
    text = (tmp_path / "bad.csv").read_text("utf-8").splitlines()
    header = text[0].split(",")
    cells = next(csv.reader([text[11]]))
    cells[header.index("books")] = "一千二"
    text[11] = ",".join(cells)
    (tmp_path / "bad.csv").write_text("\n".join(text) + "\n", "utf-8")

    found = {}
    for name in ("bad.parquet", "bad.csv"):
        capsys.readouterr()
        out = tmp_path / f"{name}.json"
        code = _cli("evaluate", str(tmp_path / name), "--county", str(tmp_path / "county.json"), "--ruleset", RULESET, "--output", str(out))  # fmt: skip
        err = capsys.readouterr().err
        assert code == 2, err
        assert "Traceback" not in err and not out.exists()
        capsys.readouterr()
        assert _cli("validate", str(tmp_path / name), "--county", str(tmp_path / "county.json"), "--format", "json") == 2  # fmt: skip
        issues = [
            i for i in json.loads(capsys.readouterr().out)["issues"] if i["severity"] == "error"
        ]
        assert len(issues) == 3, issues
        found[name] = issues
        assert all(i["file"] == name for i in issues)
        by_field = {i["field"]: i for i in issues}
        assert by_field["primary.students"]["record_id"] == schools[2]["id"]
        assert by_field["primary.students"]["found"] == -12
        assert by_field["books"]["found"] == "一千二"
        assert by_field["id"]["found"] == schools[5]["id"]
        for issue in issues:  # file, row, school id, field in the message
            assert name in issue["message"] and f"第{issue['row']}行" in issue["message"]
    # a Parquet row is the table's row; a CSV row counts the header: one apart
    assert [i["row"] for i in found["bad.parquet"]] == [i["row"] - 1 for i in found["bad.csv"]]
    assert [i["code"] for i in found["bad.parquet"]] == [i["code"] for i in found["bad.csv"]]


# -- reading ------------------------------------------------------------------------------


def test_chinese_titles_as_column_names_and_int_fields_held_as_floats(engine, sample):
    schools, county = sample
    frame = pd.json_normalize(schools).rename(
        columns={"primary.students": "小学在校生数", "name": "学校名称"}
    )
    assert frame["小学在校生数"].dtype == float  # pandas' way with gaps
    inputs = engine.load(frame, county, ruleset=RULESET)
    assert not inputs.errors, inputs.errors
    record = inputs.schools[0]
    assert isinstance(record["primary"]["students"], int)
    assert record["name"] == schools[0]["name"]
    reference = engine.evaluate(RULESET, schools, county).to_dict()
    got = engine.evaluate(RULESET, inputs).to_dict()
    reference.pop("provenance"), got.pop("provenance")
    assert got == reference


def test_the_records_of_a_table_are_the_dicts_of_the_dict_api(engine, sample):
    schools, county = sample
    inputs = engine.load(_struct_table(schools), county)
    # a null is an absent value (the sample writes "central_school_id": null)
    schools = [{k: v for k, v in s.items() if v is not None} for s in schools]
    assert len(inputs.schools) == len(schools)
    assert list(inputs.schools) == schools
    assert inputs.schools[-1] == schools[-1] and inputs.schools[3:5] == schools[3:5]


def test_a_struct_and_a_flat_column_of_one_field_is_a_duplicate_column(engine, sample):
    schools = sample[0]
    table = _struct_table(schools)
    table = table.append_column(
        "primary.students", table.column("primary").combine_chunks().field("students")
    )
    read = arrow_reader.read_table(table, "schools", engine.registry.school_fields)
    assert [i.code for i in read.issues] == ["duplicate_column"]


def test_engine_validate_takes_a_dataframe(engine, sample):
    schools, county = sample
    bad = [json.loads(json.dumps(s)) for s in schools]
    bad[0]["school_type"] = "college"
    issues = engine.validate(pl.from_arrow(_struct_table(bad)), county)
    assert [(i.row, i.field, i.code) for i in issues if i.is_error] == [
        (1, "school_type", "schema.enum")
    ]


def test_a_county_file_as_parquet(engine, sample, tmp_path):
    county = sample[1]
    pq.write_table(pa.Table.from_pylist([county]), tmp_path / "county.parquet")
    read = engine.read_county(tmp_path / "county.parquet")
    assert not read.issues and read.records == [county]


# -- hostile columnar files (SECURITY.md) ----------------------------------------------------


def _validate_file(path: Path, capsys) -> tuple[int, list[dict], str]:
    capsys.readouterr()
    code = _cli("validate", str(path), "--format", "json")
    captured = capsys.readouterr()
    issues = json.loads(captured.out)["issues"] if captured.out.strip() else []
    return code, issues, captured.err


@pytest.mark.parametrize(
    "make",
    [
        lambda p, t: p.write_bytes(b"PAR1 this is not parquet at all PAR1"),
        lambda p, t: p.write_bytes(_parquet_bytes(t)[:-100]),  # truncated
        lambda p, t: p.write_bytes(b""),
        lambda p, t: p.write_bytes(b"\x00" * 4096),
    ],
    ids=["not-parquet", "truncated", "empty", "zeros"],
)
def test_a_broken_parquet_file_is_refused_located(sample, tmp_path, capsys, make):
    path = tmp_path / "s.parquet"
    make(path, _struct_table(sample[0]))
    code, issues, err = _validate_file(path, capsys)
    assert code == 2 and "Traceback" not in err
    assert issues and all(i["file"] == "s.parquet" for i in issues)


def _parquet_bytes(table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def test_parquet_bounds_rows_columns_nesting_decoded_size(sample, tmp_path, capsys, monkeypatch):
    table = _struct_table(sample[0])
    path = tmp_path / "s.parquet"
    pq.write_table(table, path)
    monkeypatch.setattr(arrow_reader, "MAX_TABLE_ROWS", 10)
    code, issues, _ = _validate_file(path, capsys)
    assert code == 2 and "行数 45 超过上限 10" in issues[0]["message"]
    monkeypatch.setattr(arrow_reader, "MAX_TABLE_ROWS", 10**6)
    monkeypatch.setattr(arrow_reader, "MAX_TABLE_COLUMNS", 20)
    code, issues, _ = _validate_file(path, capsys)
    assert code == 2 and "列数" in issues[0]["message"]
    monkeypatch.setattr(arrow_reader, "MAX_TABLE_COLUMNS", 1000)
    monkeypatch.setattr(arrow_reader, "MAX_TABLE_DECODED_BYTES", 1000)
    code, issues, _ = _validate_file(path, capsys)
    assert code == 2 and "解码后大小" in issues[0]["message"]
    monkeypatch.setattr(arrow_reader, "MAX_TABLE_DECODED_BYTES", 2 << 30)
    deep = pa.table({"id": ["a"], "primary": pa.array([{"x": {"y": {"z": 1}}}])})
    pq.write_table(deep, path)
    code, issues, _ = _validate_file(path, capsys)
    assert code == 2 and "嵌套过深" in issues[0]["message"]


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        (pa.array([[1, 2]] * 45), "list"),
        (pa.array([b"x"] * 45), "binary"),
        (pa.array([0] * 45, type=pa.timestamp("s")), "timestamp"),
    ],
)
def test_a_column_of_a_type_no_field_takes_is_refused_naming_it(
    sample, tmp_path, capsys, column, kind
):
    table = _struct_table(sample[0]).append_column("books2", column)
    path = tmp_path / "s.parquet"
    pq.write_table(table, path)
    code, issues, _ = _validate_file(path, capsys)
    assert code == 2 and "books2" in issues[0]["message"] and kind in issues[0]["message"]


def test_a_feather_file_past_the_decoded_bound_is_refused(sample, tmp_path, capsys, monkeypatch):
    path = tmp_path / "s.feather"
    feather.write_feather(_struct_table(sample[0]), path, compression="zstd")
    monkeypatch.setattr(arrow_reader, "MAX_TABLE_DECODED_BYTES", 2000)
    code, issues, _ = _validate_file(path, capsys)
    assert code == 2 and "解码后大小" in issues[0]["message"]


# -- without the extra --------------------------------------------------------------------


def test_without_pyarrow_a_clear_message_names_the_extra(sample, tmp_path):
    pq.write_table(_struct_table(sample[0]), tmp_path / "s.parquet")
    script = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "from junheng.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    for args in (
        ["validate", str(tmp_path / "s.parquet")],
        ["evaluate", "--ruleset", RULESET, str(tmp_path / "s.parquet")],
    ):
        done = subprocess.run(
            [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2, done.stderr
        assert (
            "junheng[arrow]" in done.stderr + done.stdout and "pyarrow" in done.stderr + done.stdout
        )
        assert "Traceback" not in done.stderr
    api = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "import junheng\n"
        "e = junheng.Engine(); s, c = e.sample()\n"
        "r = e.evaluate('national.quality.2017', s, c)\n"
        "try:\n    r.schools.to_arrow()\nexcept ImportError as exc:\n    print(exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", api], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "junheng[arrow]" in done.stdout, done.stderr


def test_demo_without_pyarrow_writes_every_other_format_and_says_so_last(tmp_path):
    script = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "from junheng.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "demo", "--output", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr  # the sample county fails, as documented
    written = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert written == ["report.html", "report.json", "report.md", "report.xlsx"]
    assert "Traceback" not in done.stderr
    # the verdict and the reports written on standard output; the one note on standard error
    assert "评估结论" in done.stdout and "report.md" in done.stdout
    note = " ".join(done.stderr.split())
    assert note.startswith("未生成 parquet 格式（可选）") and "junheng[arrow]" in note


# -- out: tables and the Parquet folder -------------------------------------------------------


def test_schools_table_holds_the_json_reports_values(engine, sample):
    schools, county = sample
    report = engine.evaluate(RULESET, schools, county)
    rows = report.to_dict()["schools"]
    table = report.schools.to_arrow()
    assert table.num_rows == len(rows)
    got = table.to_pylist()
    for row, line in zip(rows, got, strict=True):
        assert line["id"] == row["id"] and line["stage"] == row["stage"]
        assert line["passed"] == row["passed"]
        for cid, check in row["checks"].items():
            for key in ("value", "threshold", "met", "shortfall"):
                assert line[f"{cid}.{key}"] == check[key], (row["id"], cid, key)
    frame = report.schools.to_pandas()
    assert list(frame["id"]) == [r["id"] for r in rows]
    assert report.schools.to_polars().shape == (len(rows), table.num_columns)
    every = report.schools.to_arrow(included_only=False)
    assert every.num_rows == len(rows) + len(report.to_dict()["excluded_schools"])
    counties = report.counties_to_pandas()
    c = report.counties[0]
    assert list(counties["county_code"]) == [c.county_code]
    assert list(counties["failed_criteria"][0]) == [k.id for k in c.failed_criteria]


def test_format_parquet_writes_a_folder_with_the_provenance(sample, tmp_path, capsys):
    schools, county = sample
    (tmp_path / "s.json").write_text(json.dumps(schools, ensure_ascii=False), "utf-8")
    (tmp_path / "c.json").write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    out = tmp_path / "report"
    code = _cli("evaluate", str(tmp_path / "s.json"), "--county", str(tmp_path / "c.json"), "--ruleset", RULESET, "--format", "parquet", "--output", str(out))  # fmt: skip
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["counties.parquet", "schools.parquet"]
    assert _cli("evaluate", str(tmp_path / "s.json"), "--county", str(tmp_path / "c.json"), "--ruleset", RULESET, "--output", str(tmp_path / "r.json")) == 1  # fmt: skip
    reference = json.loads((tmp_path / "r.json").read_text("utf-8"))
    for name, kind in (("schools.parquet", "schools"), ("counties.parquet", "counties")):
        table = pq.read_table(out / name)
        meta = table.schema.metadata
        assert meta[b"junheng.table"] == kind.encode()
        provenance = json.loads(meta[b"junheng.provenance"])
        assert provenance["ruleset_sha256"] == reference["provenance"]["ruleset_sha256"]
        assert provenance["inputs"]["schools"]["sha256"] == reference["provenance"]["inputs"]["schools"]["sha256"]  # fmt: skip
    assert pq.read_table(out / "schools.parquet").num_rows == len(reference["schools"])
    # a file where the folder should be, or standard output: refused, nothing written
    (tmp_path / "file").write_text("x")
    capsys.readouterr()
    assert _cli("evaluate", str(tmp_path / "s.json"), "--ruleset", RULESET, "--format", "parquet", "--output", str(tmp_path / "file")) == 2  # fmt: skip
    assert _cli("evaluate", str(tmp_path / "s.json"), "--ruleset", RULESET, "--format", "parquet") == 2  # fmt: skip
    assert "Traceback" not in capsys.readouterr().err


def test_a_large_table_gives_the_values_and_report_of_its_dicts(engine, sample):
    # past 4,096 rows repeating columns (county code, school type, year, central school)
    # are converted once per distinct value and shared: the values must be the records'
    schools, county = sample
    copies = 5000 // len(schools) + 1
    many = [
        {
            **s,
            "id": f"{s['id']}-{k}",
            "central_school_id": s["central_school_id"] and f"{s['central_school_id']}-{k}",
        }
        for k in range(copies)
        for s in schools
    ]
    inputs = engine.load(_struct_table(many), county, ruleset=RULESET)
    assert len(inputs.schools) > 4096 and not inputs.errors, inputs.errors[:3]
    keys = ["id", "county_code", "school_type", "year", "central_school_id", "name"]
    shared = inputs.columns.values(keys)
    expected = junheng.bulk.RecordColumns(
        [{k: v for k, v in s.items() if v is not None} for s in many]
    ).values(keys)
    assert shared == expected
    codes = shared["county_code"]
    assert codes[0] is codes[-1]  # one object per distinct value: the shared path ran
    assert [type(v) for v in shared["year"]] == [type(v) for v in expected["year"]]
    reference = engine.evaluate(RULESET, many, county).to_dict()
    got = engine.evaluate(RULESET, inputs).to_dict()
    reference.pop("provenance"), got.pop("provenance")
    assert got == reference
