"""The county data template of each ruleset (issue 13): written, filled, read back, evaluated.

Real files only: the template is written by the CLI, filled with the sample county's
values with openpyxl (or as CSV text), saved, and read back by the county reader; the
read-back record must equal the sample's values for every row and evaluate to the same
verdict, criterion by criterion, as the sample itself.
"""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

import junheng
from junheng.cli import main

YEAR = 2025


pytestmark = pytest.mark.usefixtures("wide_consoles")


@pytest.fixture(scope="module")
def sample(engine):
    return engine.sample()


def _lookup(county: dict, key: str):
    if key.startswith("finance."):
        _, year, field = key.split(".", 2)
        entry = next((e for e in county.get("finance", []) if e["year"] == int(year)), {})
        return entry.get(field)
    node = county
    for part in key.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _shown(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def _projection(county: dict, keys: list[str]) -> dict:
    """The part of ``county`` the template's rows ask for, as the reader builds it."""
    out: dict = {}
    finance: dict[int, dict] = {}
    for key in keys:
        value = _lookup(county, key)
        if value is None:
            continue
        if key.startswith("finance."):
            _, year, field = key.split(".", 2)
            finance.setdefault(int(year), {"year": int(year)})[field] = value
            continue
        *heads, last = key.split(".")
        node = out
        for head in heads:
            node = node.setdefault(head, {})
        node[last] = value
    if finance:
        out["finance"] = [finance[y] for y in sorted(finance)]
    return out


def _write(tmp_path, rid: str, fmt: str):
    path = tmp_path / f"county.{fmt}"
    assert (
        main(["template", "--county", "--ruleset", rid, "--year", str(YEAR), "-o", str(path)]) == 0
    )
    return path


def _fill_xlsx(path, county) -> list[str]:
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["县域数据"]
    keys = []
    for row in range(2, sheet.max_row + 1):
        key = sheet.cell(row, 1).value
        keys.append(key)
        value = _lookup(county, key)
        if value is not None:
            sheet.cell(row, 2).value = _shown(value)
    workbook.save(path)
    return keys


def _fill_csv(path, county) -> list[str]:
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8-sig"))))
    keys = []
    for row in rows[1:]:
        keys.append(row[0])
        value = _lookup(county, row[0])
        if value is not None:
            row[1] = str(_shown(value))
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), "utf-8-sig")
    return keys


RULESETS = junheng.Engine().ruleset_ids()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("rid", RULESETS)
def test_the_filled_template_reads_back_as_the_county_record(engine, sample, tmp_path, rid, fmt):
    schools, county = sample
    path = _write(tmp_path, rid, fmt)
    keys = (_fill_xlsx if fmt == "xlsx" else _fill_csv)(path, county)
    read = engine.read_county(path)
    assert not read.issues, read.issues
    (record,) = read.records
    assert record == _projection(county, keys)
    # nothing the ruleset reads is missing: it evaluates as the whole sample does
    expected = engine.evaluate(rid, schools, county).counties[0]
    got = engine.evaluate(rid, schools, record).counties[0]
    assert got.passed == expected.passed
    assert {c.id: c.status for c in got.criteria} == {c.id: c.status for c in expected.criteria}
    assert not got.not_evaluated


def test_the_chongqing_template_lists_the_score_sheet_with_maximum_points(tmp_path):
    path = _write(tmp_path, "chongqing.qualified", "xlsx")
    sheet = openpyxl.load_workbook(path)["县域数据"]
    rows = {
        sheet.cell(r, 1).value: [c.value for c in sheet[r]] for r in range(2, sheet.max_row + 1)
    }
    disparity = rows["scores.disparity"]
    assert (
        disparity[2] == "差异程度"
        and "满分 30" in disparity[5]
        and "不得低于 26 分" in disparity[5]
    )
    assert disparity[4].startswith("评分自查表")
    for node, points in (("safeguards", 70), ("public_evaluation", 70), ("bonus", 5)):
        assert f"满分 {points}" in rows[f"scores.{node}"][5], node
    assert "加分项" in rows["scores.bonus"][5]
    for veto in ("education_funds_diverted", "enrolment_below_pujiu_standard"):
        assert rows[f"vetoes.{veto}"][4] == "一票否决情形"
    # Excel refuses a score above the maximum and offers 是/否 for a veto fact
    rules = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    row_of = {key: r for r, key in enumerate(rows, start=2)}
    score_rule = next(
        v for ref, v in rules.items() if f"B{row_of['scores.disparity']}" in ref.split()
    )
    assert score_rule.type == "decimal" and float(score_rule.formula2) == 30
    veto_rule = next(
        v
        for ref, v in rules.items()
        if f"B{row_of['vetoes.education_funds_diverted']}" in ref.split()
    )
    assert veto_rule.type == "list" and "是,否" in veto_rule.formula1


def test_the_finance_rows_cover_every_year_a_multi_year_rule_judges(tmp_path):
    path = _write(tmp_path, "gansu.basic", "csv")
    keys = [row[0] for row in csv.reader(io.StringIO(path.read_text("utf-8-sig")))][1:]
    years = sorted({int(k.split(".")[1]) for k in keys if k.startswith("finance.")})
    assert years == [2021, 2022, 2023, 2024]  # 3 years judged, each against the year before


def test_a_template_without_ruleset_lists_every_county_field(tmp_path, engine):
    path = tmp_path / "all.csv"
    assert main(["template", "--county", "--year", "2025", "-o", str(path)]) == 0
    keys = {row[0] for row in csv.reader(io.StringIO(path.read_text("utf-8-sig")))}
    for field in engine.registry.county_fields:
        head = field.path.split(".", 1)[0]
        if head in ("items", "survey", "vetoes"):
            assert field.path in keys, field.path


# -- validate --county against the ruleset ----------------------------------------------------


def _county_file(tmp_path, county) -> str:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    return str(path)


def _validate(capsys, *args) -> tuple[int, list[dict]]:
    status = main(["validate", *args, "--format", "json"])
    return status, json.loads(capsys.readouterr().out)["issues"]


def test_a_score_above_its_maximum_is_an_error(sample, tmp_path, capsys):
    county = json.loads(json.dumps(sample[1]))
    county["scores"]["disparity"] = 35
    status, issues = _validate(
        capsys, "--county", _county_file(tmp_path, county), "--ruleset", "chongqing.qualified"
    )
    assert status == 2
    (error,) = [i for i in issues if i["severity"] == "error"]
    assert error["code"] == "score_above_maximum" and error["field"] == "scores.disparity"
    assert "满分 30" in error["message"]


def test_a_missing_year_and_a_blank_veto_fact_are_said(sample, tmp_path, capsys):
    county = json.loads(json.dumps(sample[1]))
    county["finance"] = [e for e in county["finance"] if e["year"] != 2022]
    del county["vetoes"]["serious_violation"]
    status, issues = _validate(
        capsys, "--county", _county_file(tmp_path, county), "--ruleset", "gansu.basic"
    )
    assert status == 0  # warnings: the criteria will be "not evaluated"
    codes = {(i["code"], i["field"]) for i in issues}
    assert ("missing_year", "finance") in codes
    assert ("missing_field", "vetoes.serious_violation") in codes
    year = next(i for i in issues if i["code"] == "missing_year")
    assert "2022年" in year["message"] and "2021–2024" in year["message"]


def test_the_sample_county_passes_the_county_checks_of_every_ruleset(sample, tmp_path, capsys):
    path = _county_file(tmp_path, sample[1])
    for rid in RULESETS:
        status, issues = _validate(capsys, "--county", path, "--ruleset", rid)
        assert status == 0 and not [
            i for i in issues if i["code"] in ("missing_year", "missing_field")
        ], rid
