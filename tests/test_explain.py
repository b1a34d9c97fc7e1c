"""``junheng explain``: the reasoning chain for one school (per stage) or one county, with
the formula, the numbers substituted, the requirement, the result, the gap and the source."""

from __future__ import annotations

import json
from importlib import resources

import pytest

import junheng
from junheng.explain import explain_county, explain_school, substitute

SAMPLE = resources.files("junheng.sample")
RS = "national.quality.2017"


@pytest.fixture
def files(tmp_path):
    for name in ("schools.json", "county.json"):
        (tmp_path / name).write_bytes(SAMPLE.joinpath(name).read_bytes())
    return tmp_path


@pytest.fixture(scope="module")
def report():
    schools = json.loads(SAMPLE.joinpath("schools.json").read_text("utf-8"))
    county = json.loads(SAMPLE.joinpath("county.json").read_text("utf-8"))
    return junheng.Engine().evaluate(RS, schools, county), county


def test_school_chain_substitutes_the_numbers(run_cli, files):
    done = run_cli(
        "explain", "360199-024", "schools.json", "--county", "county.json", "--ruleset", RS
    )
    assert done.returncode == 1, done.stderr  # the school fails
    out = done.stdout
    assert "双河乡中学（360199-024）· 初中 · 在校生 420 人" in out and "结论：未达标" in out
    assert "teachers_above_degree / students * 100 = 19 / 420 × 100 = 4.524 ≥ 5.3 ✗" in out
    assert "差距：缺 4 人（需 22.26，现有 19）" in out
    assert (
        "依据：教育部《县域义务教育优质均衡发展督导评估办法》（教督〔2017〕6号）"
        "资源配置（一）：小学、初中分别达到4.2人以上、5.3人以上"
    ) in out
    assert "达标 5 项 / 7 项" in out and "为要求的 71.4%" in out
    assert "27,900 >= 0.05 × 493,100 → 成立 ✓" in out


def test_passing_school_exits_0(run_cli, files):
    done = run_cli(
        "explain", "360199-001", "schools.json", "--county", "county.json", "--ruleset", RS
    )
    assert done.returncode == 0, done.stderr
    assert "结论：达标" in done.stdout and "✗" not in done.stdout


def test_stage_filter_and_json_output(run_cli, files, report):
    rep, _ = report
    nine_year = next(s for s in rep.schools.rows() if s.school_type == "nine_year")
    done = run_cli(
        "explain", nine_year.id, "schools.json", "--county", "county.json",
        "--ruleset", RS, "--stage", "junior", "--format", "json",
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    doc = json.loads(done.stdout)
    assert [u["stage"] for u in doc["units"]] == ["junior"]
    both = json.loads(
        run_cli("explain", nine_year.id, "schools.json", "--ruleset", RS, "--format", "json").stdout
    )
    assert [u["stage"] for u in both["units"]] == ["primary", "junior"]


def test_county_chain(run_cli, files):
    done = run_cli(
        "explain",
        "--county-code",
        "360199",
        "schools.json",
        "--county",
        "county.json",
        "--ruleset",
        RS,
    )
    assert done.returncode == 1, done.stderr
    out = done.stdout
    assert "青溪县（360199）" in out and "结论：未通过" in out
    assert "CV = 8.743 / 14.29 = 0.612 ≤ 0.5 ✗" in out
    assert "teacher_rotation_pct = 8.5 ≥ 10% ✗" in out
    assert "青溪县第二小学（360199-002，小学）" in out  # the failing schools are listed
    assert "否决情形不存在 ✓" in out


def test_county_without_county_data_is_not_evaluated(run_cli, files):
    done = run_cli("explain", "--county-code", "360199", "schools.json", "--ruleset", RS)
    assert done.returncode == 1
    assert "未提供县级数据" in done.stdout and "？" in done.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("explain", "no-such-school", "schools.json", "--ruleset", RS),
        ("explain", "--county-code", "999999", "schools.json", "--ruleset", RS),
        ("explain", "--county-code", "360199", "360199-001", "schools.json", "--ruleset", RS),
        ("explain", "schools.json", "--ruleset", RS),
        ("explain", "360199-001", "schools.json", "--ruleset", "no.such.ruleset"),
    ],
)
def test_bad_usage_exits_2_and_prints_nothing_on_stdout(run_cli, files, args):
    done = run_cli(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == "" and done.stderr


def test_api_inputs_and_values_agree(report):
    rep, county = report
    result = explain_school(rep, "360199-004")
    (unit,) = result["units"]
    steps = {s["id"]: s for s in unit["steps"]}
    sports = steps["sports_area_per_student"]
    assert sports["inputs"] == {"sports_area_m2": 5760.0, "students": 1200.0}
    assert sports["value"] == pytest.approx(4.8)  # 7.5 × 1200 − 5760 = 3240 m² short
    assert sports["met"] is False and sports["shortfall"] == 3240 and sports["unit"] == "m²"
    # every indicator's inputs reproduce its value
    for s in unit["steps"]:
        if s["kind"] == "indicator":
            assert s["value"] == pytest.approx(_eval(s["formula"], s["inputs"]))
    chain = explain_county(rep, "360199", county)
    ids = [s["id"] for s in chain["steps"]]
    assert ids == [c.id for c in rep.county("360199").criteria]
    with pytest.raises(KeyError):
        explain_school(rep, "360199-004", "junior")


def test_check_objects_carry_their_inputs(report):
    rep, _ = report
    row = rep.schools.row(rep.schools.find("360199-002")[0])
    check = row.checks["teaching_room_area_per_student"]
    assert check.inputs == {"students": 1950.0, "teaching_room_area_m2": 7371.0}
    assert "inputs" not in check.to_dict()  # the JSON report shape is unchanged


def test_substitute_keeps_function_names():
    text = substitute("a >= max(1, ceil(b / 12)) and c * 2 > 0", {"a": 3, "b": 47.0, "c": 0.5})
    assert text == "3 >= max(1, ceil(47 / 12)) and 0.5 × 2 > 0"


def _eval(formula, inputs):
    from junheng.formula import as_division

    num, den, scale = as_division(_F(formula))
    return inputs[num] / inputs[den] * scale


class _F:
    def __init__(self, text):
        self.text = text
