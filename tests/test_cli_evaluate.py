"""The evaluating commands end to end through the installed CLI: demo, evaluate, rulesets."""

import json
from importlib import resources

SAMPLE = resources.files("junheng.sample")


def sample_files(tmp_path):
    for name in ("schools.json", "county.json"):
        (tmp_path / name).write_bytes(SAMPLE.joinpath(name).read_bytes())
    return tmp_path / "schools.json", tmp_path / "county.json"


def test_demo_writes_report_and_exits_1_because_the_sample_fails(run_cli, tmp_path):
    done = run_cli("demo", "--output", "out")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
    county = report["counties"][0]
    assert county["county_code"] == "360199" and county["passed"] is False
    failed = {c["id"] for c in county["failed_criteria"]}
    assert failed == {
        "schools",
        "cv.primary.sports_area_per_student",
        "teacher_rotation",
        "quality_high_school_quota",
    }
    assert "未通过" in done.stdout and "青溪县第二小学" in done.stdout
    # the 1,404 m² gap of 青溪县第二小学 (1950 students × (4.5 − 3.78))
    school = next(s for s in report["schools"] if s["id"] == "360199-002")
    check = school["checks"]["teaching_room_area_per_student"]
    assert check["met"] is False and check["unit"] == "m²"
    assert abs(check["shortfall"] - 1404) < 1e-6


def test_evaluate_json_to_stdout_and_file(run_cli, tmp_path):
    schools, county = sample_files(tmp_path)
    done = run_cli("evaluate", schools, "--county", county, "--ruleset", "national.quality.2017")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ruleset"]["id"] == "national.quality.2017"
    prov = report["provenance"]
    assert len(prov["inputs"]["schools"]["sha256"]) == 64
    assert len(prov["ruleset_sha256"]) == 64
    done = run_cli(
        "evaluate", schools, "--county", county, "--ruleset", "national.basic.2012", "-o", "r.json"
    )
    assert done.returncode == 1
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    groups = {g["stage"]: g for g in report["counties"][0]["groups"]}
    assert groups["primary"]["composite_cv"] < 0.65 and groups["junior"]["composite_cv"] < 0.55


def test_evaluate_without_county_still_reports_school_results(run_cli, tmp_path):
    schools, _ = sample_files(tmp_path)
    done = run_cli("evaluate", schools, "--ruleset", "national.quality.2017", "-o", "r.json")
    assert done.returncode == 1
    report = json.loads((tmp_path / "r.json").read_text("utf-8"))
    county = report["counties"][0]
    assert county["has_county_record"] is False
    statuses = {c["id"]: c["status"] for c in county["criteria"]}
    assert statuses["teacher_rotation"] == "not_evaluated"
    assert statuses["cv.primary.sports_area_per_student"] == "failed"
    assert statuses["schools"] == "failed"
    assert len(report["schools"]) == 40


def test_bad_input_exits_2_and_writes_nothing(run_cli, tmp_path):
    schools, county = sample_files(tmp_path)
    data = json.loads(schools.read_text("utf-8"))
    data[0]["primary"]["students"] = -5
    data[1]["teaching_room_area_m2"] = "很多"
    schools.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    done = run_cli(
        "evaluate",
        schools,
        "--county",
        county,
        "--ruleset",
        "national.quality.2017",
        "-o",
        "r.json",
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "primary.students" in done.stderr and "teaching_room_area_m2" in done.stderr
    assert not (tmp_path / "r.json").exists()


def test_unknown_ruleset_exits_2(run_cli, tmp_path):
    schools, _ = sample_files(tmp_path)
    done = run_cli("evaluate", schools, "--ruleset", "nowhere.1999")
    assert done.returncode == 2
    assert "未知的规则集" in done.stderr


def test_rulesets_list_and_show(run_cli):
    done = run_cli("rulesets", "list")
    assert done.returncode == 0
    assert "national.quality.2017" in done.stdout and "national.basic.2012" in done.stdout
    done = run_cli("rulesets", "show", "national.quality.2017")
    assert done.returncode == 0
    assert "资源配置" in done.stdout and "0.45" in done.stdout
