"""``junheng compare OLD NEW``: the acceptance test on the bundled sample, every format written
to disk and read back (JSON against its schema, XLSX with openpyxl, HTML in headless
Chromium), bad input refused with a located message (exit 2, nothing written), the ruleset
and provenance notes, the Python API, and the package's independence from the engine."""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from compare_helpers import assert_valid_comparison, compare_schema

import junheng
from junheng.cli import main
from junheng.compare import compare_reports, render
from junheng.compare.read import schema_version
from junheng.issues import InputError
from junheng.outputs import render as render_report
from junheng.results.report import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[1]
FIXED = "360199-002"  # 青溪县第二小学: 1,404 m² of teaching rooms short


@pytest.fixture(autouse=True)
def _wide_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "400")  # the issue table does not fold a path in two


pytestmark = pytest.mark.usefixtures("wide_consoles")


def _cli(capfd, *args: object) -> tuple[int, str, str]:
    status = main([str(a) for a in args])
    out = capfd.readouterr()
    return status, out.out, out.err


@pytest.fixture(scope="module")
def evaluations(tmp_path_factory):
    """The sample evaluated by the CLI twice from files on disk: as shipped, and after fixing
    one school's shortfall (+1,404 m²) and the teacher rotation (8.5 % → 10 %)."""
    root = tmp_path_factory.mktemp("compare")
    assert main(["sample", "--output", str(root / "before")]) == 0
    schools = json.loads((root / "before" / "schools.json").read_text("utf-8"))
    county = json.loads((root / "before" / "county.json").read_text("utf-8"))
    (fixed,) = [s for s in schools if s["id"] == FIXED]
    assert county["items"]["teacher_rotation_pct"] == 8.5
    fixed["teaching_room_area_m2"] += 1404
    county["items"]["teacher_rotation_pct"] = 10
    (root / "after").mkdir()
    (root / "after" / "schools.json").write_text(json.dumps(schools, ensure_ascii=False), "utf-8")
    (root / "after" / "county.json").write_text(json.dumps(county, ensure_ascii=False), "utf-8")
    for name in ("before", "after"):
        status = main(
            [
                "evaluate",
                str(root / name / "schools.json"),
                "--county",
                str(root / name / "county.json"),
                "--ruleset",
                "national.quality.2017",
                "--output",
                str(root / f"{name}.json"),
            ]
        )
        assert status == 1  # the sample county still fails quality balance after the fix
    return root


def test_acceptance_one_school_gap_closed_and_teacher_rotation_newly_met(evaluations, capfd):
    old, new, out = evaluations / "before.json", evaluations / "after.json", evaluations / "c.json"
    status, _, err = _cli(capfd, "compare", old, new, "--output", out)
    assert status == 0, err
    doc = json.loads(out.read_text("utf-8"))
    assert_valid_comparison(doc)

    (county,) = doc["counties"]
    assert county["county_code"] == "360199" and county["verdict"] == "unchanged"
    assert [c["id"] for c in county["newly_met"]] == ["teacher_rotation"]
    rotation = county["newly_met"][0]
    assert (rotation["old_value"], rotation["new_value"], rotation["new_limit"]) == (8.5, 10, 10)
    assert county["newly_failed"] == [] and county["newly_not_evaluated"] == []
    assert county["criteria_only_old"] == [] and county["criteria_only_new"] == []
    assert [v for v in county["cv"] if v["change"] in ("newly_met", "newly_failed")] == []
    # what still fails, failed before: only the count of failing schools moved (6 → 5)
    still = {c["id"]: c for c in county["still_failed"]}
    assert set(still) == {
        "schools",
        "cv.primary.sports_area_per_student",
        "quality_high_school_quota",
    }
    assert (still["schools"]["old_value"], still["schools"]["new_value"]) == (6, 5)
    assert still["schools"]["movement"] == "closer"
    assert still["quality_high_school_quota"]["movement"] == "same"
    assert still["cv.primary.sports_area_per_student"]["movement"] == "same"

    (school,) = doc["schools"]
    assert (school["id"], school["stage"]) == (FIXED, "primary")
    assert (school["old_passed"], school["new_passed"]) == (False, True)
    assert {g["change"] for g in school["gaps"]} == {"closed"}
    gaps = {g["check"]: g for g in school["gaps"]}
    assert set(gaps) == {"teaching_room_area_per_student", "resource_allocation"}
    room = gaps["teaching_room_area_per_student"]
    assert (room["old_shortfall"], room["new_shortfall"], room["unit"]) == (1404, 0, "m²")
    assert doc["schools_only_old"] == [] and doc["schools_only_new"] == []
    assert doc["summary"]["schools_unchanged"] == 39
    assert doc["notes"] == [] and doc["ruleset"]["same"] is True
    inputs = {i["name"]: i["status"] for i in doc["inputs"]}
    assert inputs == {"schools": "changed", "county": "changed"}
    # the terminal summary says the same, on standard error
    assert "新达标" in err and "每年交流轮岗教师比例" in err
    assert "青溪县第二小学" in err and "差距消除" in err and "缺 1,404 m² → 达标" in err
    assert f"对比结果已写入 {out}" in err


def test_json_goes_to_standard_output_without_output(evaluations, capfd):
    old, new = evaluations / "before.json", evaluations / "after.json"
    status, stdout, err = _cli(capfd, "compare", old, new)
    assert status == 0
    doc = json.loads(stdout)
    assert_valid_comparison(doc)
    assert doc == json.loads(render(compare_reports(old, new), "json"))
    assert "新达标" in err  # the summary stays off standard output
    status, dash, _ = _cli(capfd, "compare", old, new, "--output", "-")
    assert status == 0 and json.loads(dash)["summary"] == doc["summary"]


def test_xlsx_read_back(evaluations, capfd):
    import openpyxl

    out = evaluations / "c.xlsx"
    status, _, err = _cli(
        capfd, "compare", evaluations / "before.json", evaluations / "after.json",
        "--format", "xlsx", "--output", out,
    )  # fmt: skip
    assert status == 0, err
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [
        "概况",
        "县域结论",
        "评估项目变化",
        "差异系数",
        "学校差距变化",
        "仅一方的学校",
    ]
    rows = lambda name: [[c.value for c in r] for r in wb[name].iter_rows(min_row=2)]  # noqa: E731
    (county,) = rows("县域结论")
    assert county[:5] == ["360199", "青溪县", "未通过", "未通过", "结论未变"]
    assert county[5:7] == [1, 0]  # newly met, newly failed
    changes = {(r[2], r[3]) for r in rows("评估项目变化")}
    assert ("新达标", "teacher_rotation") in changes
    assert {r[2] for r in rows("评估项目变化")} == {"新达标", "仍未达标"}
    gaps = rows("学校差距变化")
    assert {r[1] for r in gaps} == {FIXED}
    room = next(r for r in gaps if r[6] == "teaching_room_area_per_student")
    assert room[8:12] == ["差距消除", 1404, 0, "m²"]
    assert isinstance(room[9], (int, float))  # numbers stay numbers: an office sums them
    cv = rows("差异系数")
    assert len(cv) == 14 and all(isinstance(r[5], float) for r in cv)
    assert rows("仅一方的学校") == []


def test_markdown(evaluations, capfd):
    out = evaluations / "c.md"
    status, _, _ = _cli(
        capfd, "compare", evaluations / "before.json", evaluations / "after.json",
        "--format", "md", "--output", out,
    )  # fmt: skip
    assert status == 0
    text = out.read_text("utf-8")
    assert text.startswith("# 两次评估对比")
    assert (
        "| 新达标 | 每年交流轮岗教师比例不低于符合交流条件教师总数的10% | 8.5% → 10%（要求 10%） |"
        in text
    )
    assert "青溪县第二小学（360199-002）" in text and "缺 1,404 m² → 达标" in text


def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(
        "chromium not installed: the comparison's real-browser test needs headless Chromium"
    )


def _run_browser(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--hide-scrollbars", "--enable-logging=stderr", "--v=0",
        f"--user-data-dir={tmp_path / 'profile'}", *args,
    ]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, errors="replace")


def test_html_in_headless_chromium(evaluations, capfd, tmp_path):
    out = tmp_path / "c.html"
    status, _, _ = _cli(
        capfd, "compare", evaluations / "before.json", evaluations / "after.json",
        "--format", "html", "--output", out,
    )  # fmt: skip
    assert status == 0
    page = out.read_text("utf-8")
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    browser = _browser()
    dom = _run_browser(browser, tmp_path, "--dump-dom", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-verdict="unchanged"' in dom.stdout and "青溪县第二小学" in dom.stdout
    assert "新达标" in dom.stdout and "差距消除" in dom.stdout
    assert dom.stdout.count("<svg") == 14  # one CV track per indicator × stage
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console
    png = tmp_path / "shot.png"
    shot = _run_browser(
        browser, tmp_path, f"--screenshot={png}", "--window-size=1100,1600", out.as_uri()
    )
    assert shot.returncode == 0 and png.exists(), shot.stderr[-2000:]
    import numpy as np
    from PIL import Image

    with Image.open(png) as img:
        pixels = np.asarray(img.convert("RGB")).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 100  # text, tables and tracks, not a blank page
    green = (pixels[:, 1] > 110) & (pixels[:, 0] < 90) & (pixels[:, 2] < 120)
    assert green.sum() > 300  # the green of 新达标 / 差距消除 and the met CVs


# --------------------------------------------------------------------------- bad input


def _report_bytes(evaluations) -> bytes:
    return (evaluations / "before.json").read_bytes()


def _bad_inputs(evaluations, tmp: Path):
    good = _report_bytes(evaluations)
    doc = json.loads(good)
    yield "missing", tmp / "nope.json", "文件不存在"
    (tmp / "folder").mkdir()
    yield "directory", tmp / "folder", "文件夹"
    (tmp / "empty.json").write_bytes(b"")
    yield "empty", tmp / "empty.json", "空的"
    (tmp / "cut.json").write_bytes(good[: len(good) // 2])
    yield "truncated", tmp / "cut.json", "中断"
    cut = good.index("青溪县".encode()) + 1  # inside a character
    (tmp / "cut-char.json").write_bytes(good[:cut])
    yield "truncated inside a character", tmp / "cut-char.json", "中断"
    (tmp / "data.csv.json").write_text("id,name\n360199-001,实验小学\n", "utf-8")
    yield "not json", tmp / "data.csv.json", "不是有效的 JSON：第 1 行"
    (tmp / "utf16.json").write_bytes(good.decode("utf-8").encode("utf-16"))
    yield "utf-16", tmp / "utf16.json", "UTF-8"
    (tmp / "schools.json").write_bytes((evaluations / "before" / "schools.json").read_bytes())
    yield "school data", tmp / "schools.json", "学校数据文件"
    (tmp / "county.json").write_bytes((evaluations / "before" / "county.json").read_bytes())
    yield "county data", tmp / "county.json", "县级数据文件"
    (tmp / "compare.json").write_bytes(render(compare_reports(doc, doc), "json"))
    yield "a comparison", tmp / "compare.json", "对比结果"
    (tmp / "v2.json").write_text(json.dumps({**doc, "schema_version": 2}), "utf-8")
    yield "schema version 2", tmp / "v2.json", "schema_version）为 2"
    broken = copy.deepcopy(doc)
    broken["counties"][0]["passed"] = "yes"
    del broken["schools"][3]["checks"]
    (tmp / "broken.json").write_text(json.dumps(broken, ensure_ascii=False), "utf-8")
    yield "schema errors", tmp / "broken.json", "counties[0].passed"
    twice = copy.deepcopy(doc)
    twice["schools"].append(twice["schools"][0])
    (tmp / "twice.json").write_text(json.dumps(twice, ensure_ascii=False), "utf-8")
    yield "a school twice", tmp / "twice.json", "出现两次"
    report = junheng.Engine().evaluate("national.quality.2017", *junheng.Engine().sample())
    (tmp / "report.xlsx.json").write_bytes(render_report(report, "xlsx"))
    yield "an xlsx report", tmp / "report.xlsx.json", "XLSX"
    (tmp / "report.html").write_bytes(render_report(report, "html"))
    yield "an html report", tmp / "report.html", "HTML"


@pytest.fixture(scope="module")
def bad_inputs(evaluations, tmp_path_factory):
    return list(_bad_inputs(evaluations, tmp_path_factory.mktemp("bad")))


BAD = [
    "missing", "directory", "empty", "truncated", "truncated inside a character", "not json", "utf-16", "school data",
    "county data", "a comparison", "schema version 2", "schema errors", "a school twice",
    "an xlsx report", "an html report",
]  # fmt: skip


@pytest.mark.parametrize("kind", BAD)
@pytest.mark.parametrize("side", ["old", "new"])
def test_bad_input_exits_2_with_a_located_message_and_writes_nothing(
    kind, side, bad_inputs, evaluations, capfd, tmp_path
):
    (path, words) = next((p, w) for k, p, w in bad_inputs if k == kind)
    good = evaluations / "before.json"
    old, new = (path, good) if side == "old" else (good, path)
    out = tmp_path / "out.json"
    status, stdout, err = _cli(capfd, "compare", old, new, "--output", out)
    assert status == 2
    assert not out.exists() and stdout == ""
    flat = " ".join(err.split())  # the issue table folds long cells
    assert words in flat.replace(" ", "") or words in flat, err
    assert path.name in flat.replace(" ", "")
    assert "Traceback" not in err and "内部错误" not in err


def test_every_problem_of_both_files_at_once(bad_inputs):
    paths = {k: p for k, p, _ in bad_inputs}
    with pytest.raises(InputError) as caught:
        compare_reports(paths["schema errors"], paths["truncated"])
    issues = caught.value.issues
    files = {i.file for i in issues}
    assert files == {str(paths["schema errors"]), str(paths["truncated"])}
    fields = {i.field for i in issues}
    assert "counties[0].passed" in fields and "schools[3]" in fields
    county = next(i for i in issues if i.field == "counties[0].passed")
    assert county.record_id == "360199" and county.code == "schema.type"
    assert county.found == "yes" and county.expected == ["boolean"]
    school = next(i for i in issues if i.field == "schools[3]")
    assert school.code == "schema.required" and school.expected == ["checks"]
    assert school.record_id.startswith("360199-")


def test_output_that_is_an_input_is_refused(evaluations, capfd, tmp_path):
    old = tmp_path / "old.json"
    old.write_bytes(_report_bytes(evaluations))
    before = old.read_bytes()
    status, _, err = _cli(capfd, "compare", old, evaluations / "after.json", "--output", old)
    assert status == 2 and "就是输入文件" in err
    assert old.read_bytes() == before


def test_output_options(evaluations, capfd, tmp_path):
    old, new = evaluations / "before.json", evaluations / "after.json"
    status, _, err = _cli(capfd, "compare", old, new, "--format", "html")
    assert status == 2 and "需要 --output" in err
    status, _, err = _cli(capfd, "compare", old, new, "--format", "pdf", "-o", tmp_path / "x.pdf")
    assert status == 2 and "不支持的对比结果格式 pdf" in err and not (tmp_path / "x.pdf").exists()
    folder = tmp_path / "out"
    folder.mkdir()
    status, _, _ = _cli(capfd, "compare", old, new, "--format", "html", "-o", folder)
    assert status == 0 and (folder / "compare.html").read_bytes().startswith(b"<!DOCTYPE html>")
    (tmp_path / "file.txt").write_text("x", "utf-8")
    status, _, err = _cli(capfd, "compare", old, new, "-o", tmp_path / "file.txt" / "c.json")
    assert status == 2 and "无法写入" in err


# --------------------------------------------------------------------------- notes


def _doc(evaluations, name: str = "before.json") -> dict:
    return json.loads((evaluations / name).read_text("utf-8"))


def test_same_id_another_version_is_said_first(evaluations, capfd, tmp_path):
    old = _doc(evaluations)
    old["ruleset"]["version"] = "2016.1"  # an older release of the same ruleset
    old["provenance"]["ruleset_sha256"] = "0" * 64
    (tmp_path / "old.json").write_text(json.dumps(old, ensure_ascii=False), "utf-8")
    status, stdout, err = _cli(capfd, "compare", tmp_path / "old.json", evaluations / "after.json")
    assert status == 0
    doc = json.loads(stdout)
    assert doc["ruleset"] == {
        "same": False,
        "same_id": True,
        "same_version": False,
        "same_content": False,
    }
    new_version = _doc(evaluations, "after.json")["ruleset"]["version"]
    assert (
        f"规则集 national.quality.2017 的版本不同：原报告为 2016.1，新报告为 {new_version}"
        in doc["notes"][0]
    )
    assert "规则集不同" in err and "注意" in err


def _valid(comparison):
    """The comparison, after checking its JSON document against the schema."""
    assert_valid_comparison(json.loads(render(comparison, "json")))
    return comparison


def test_same_id_and_version_other_content(evaluations):
    old = _doc(evaluations)
    old["provenance"]["ruleset_sha256"] = "f" * 64
    comparison = _valid(compare_reports(old, _doc(evaluations, "after.json")))
    assert not comparison.same_ruleset
    assert "编号和版本相同，但内容不同" in comparison.notes[0]


def test_new_evaluated_before_old_and_identical_inputs(evaluations):
    old, new = _doc(evaluations), _doc(evaluations, "after.json")
    old["provenance"]["evaluated_at"] = "2026-06-01T10:00:00+0800"
    new["provenance"]["evaluated_at"] = "2025-06-01T10:00:00+0800"
    assert any("顺序是否颠倒" in n for n in _valid(compare_reports(old, new)).notes)
    same = _valid(compare_reports(evaluations / "before.json", evaluations / "before.json"))
    assert same.notes == ("两次评估的输入数据（SHA-256 相同）与规则集完全相同。",)
    assert same.schools == () and same.schools_unchanged == 40
    (county,) = same.counties
    assert not county.changed and county.newly_met == county.newly_failed == ()


def test_another_junheng_version_is_said(evaluations):
    old = _doc(evaluations)
    old["provenance"]["engine_version"] = "0.0.9"
    notes = _valid(compare_reports(old, _doc(evaluations, "after.json"))).notes
    assert notes == (f"两份报告由不同版本的 junheng 生成（0.0.9 → {junheng.__version__}）。",)


# --------------------------------------------------------------------------- batches, API


def _generate(n: int):
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate(n)


def test_a_batch_of_counties(capfd, tmp_path):
    schools, counties = _generate(700)
    engine = junheng.Engine()
    old = engine.evaluate("national.quality.2017", schools, counties)
    # next year: the first county fixes its rotation, the last closes; one school is new
    counties2 = copy.deepcopy(counties)
    counties2[0].setdefault("items", {})["teacher_rotation_pct"] = 15
    gone = counties2.pop()["county_code"]
    schools2 = [s for s in copy.deepcopy(schools) if s["county_code"] != gone]
    new = engine.evaluate("national.quality.2017", schools2, counties2)
    (tmp_path / "old.json").write_bytes(render_report(old, "json"))
    (tmp_path / "new.json").write_bytes(render_report(new, "json"))
    status, stdout, err = _cli(capfd, "compare", tmp_path / "old.json", tmp_path / "new.json")
    assert status == 0, err
    doc = json.loads(stdout)
    assert_valid_comparison(doc)
    assert [c["county_code"] for c in doc["counties_only_old"]] == [gone]
    assert doc["counties_only_new"] == []
    assert len(doc["counties"]) == len(counties) - 1
    assert {s["county_code"] for s in doc["schools_only_old"]} == {gone}
    assert doc["schools"] == []  # no school of the remaining counties changed
    first = doc["counties"][0]
    assert first["county_code"] == counties[0]["county_code"]
    assert all(c["id"] != "teacher_rotation" for c in first["newly_failed"] + first["still_failed"])
    assert "共 " in err and "仅原报告有的县" in err  # the county table of a batch
    for fmt in ("html", "xlsx", "md"):
        assert render(compare_reports(old, new), fmt)


def test_the_api_takes_reports_documents_and_paths(evaluations):
    engine = junheng.Engine()
    schools, county = engine.sample()
    report = engine.evaluate("national.quality.2017", schools, county)
    from_objects = _valid(compare_reports(report, report))
    from_paths = _valid(compare_reports(evaluations / "before.json", evaluations / "after.json"))
    assert from_objects.old.file == "OLD" and from_objects.schools == ()
    assert from_paths.old.file == str(evaluations / "before.json")
    assert [g.change for s in from_paths.schools for g in s.gaps] == ["closed", "closed"]
    with pytest.raises(InputError) as caught:
        compare_reports([1, 2], {"ruleset": {}})
    assert {i.file for i in caught.value.issues} == {"OLD", "NEW"}


def test_schemas_and_versions():
    jsonschema.Draft202012Validator.check_schema(compare_schema())
    assert (
        compare_schema()["properties"]["schema_version"]["const"] == junheng.compare.SCHEMA_VERSION
    )
    assert schema_version() == SCHEMA_VERSION == 1
    engine = junheng.Engine()
    report = engine.evaluate("national.quality.2017", *engine.sample())
    assert json.loads(render_report(report, "json"))["schema_version"] == SCHEMA_VERSION


def test_a_report_without_schema_version_is_read_as_version_1(evaluations):
    old = _doc(evaluations)
    del old["schema_version"]  # written before the key existed
    assert _valid(compare_reports(old, _doc(evaluations, "after.json"))).counties


def test_the_package_reads_documents_not_the_engine():
    allowed = {"issues", "text", "numbers", "atomic", "bulk", "compare", "__version__"}
    for path in sorted((ROOT / "core" / "compare").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                names = (node.module or "").split(".")
                target = names[0] if node.level == 2 else "compare"
                if node.level == 2 and not node.module:
                    target = node.names[0].name
                assert target in allowed, f"{path.name}: from {'.' * node.level}{node.module}"
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                assert not (module or "").startswith("junheng"), f"{path.name}: {module}"


# --------------------------------------------------------------------------- hostile text, sizes

HOSTILE = '=HYPERLINK("http://evil.example","点击")<script>alert(1)</script>[x](javascript:alert(1))[/red]*b*'


def test_hostile_names_stay_text_in_every_format(evaluations, capfd, tmp_path):
    import openpyxl
    from markdown_it import MarkdownIt

    new = _doc(evaluations, "after.json")
    for school in new["schools"]:
        if school["id"] == FIXED:
            school["name"] = HOSTILE
    new["counties"][0]["name"] = HOSTILE
    (tmp_path / "new.json").write_text(json.dumps(new, ensure_ascii=False), "utf-8")
    old = evaluations / "before.json"
    for fmt in ("html", "xlsx", "md"):
        status, _, err = _cli(
            capfd,
            "compare",
            old,
            tmp_path / "new.json",
            "--format",
            fmt,
            "-o",
            tmp_path / f"c.{fmt}",
        )
        assert status == 0, err
    assert "[/red]" in " ".join(err.split())  # the terminal printed it as text, not as markup
    html = (tmp_path / "c.html").read_text("utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html
    rendered = MarkdownIt().render((tmp_path / "c.md").read_text("utf-8"))
    assert "<script" not in rendered and "<a " not in rendered and "<em>" not in rendered
    wb = openpyxl.load_workbook(tmp_path / "c.xlsx")
    cells = [c for ws in wb for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == HOSTILE for c in cells)


def test_devices_and_huge_files_are_not_read(capfd, tmp_path, monkeypatch, evaluations):
    zero = tmp_path / "zero.json"
    zero.symlink_to("/dev/zero")
    status, _, err = _cli(capfd, "compare", zero, evaluations / "after.json")
    assert status == 2 and "不是普通文件" in err
    from junheng.compare import read

    monkeypatch.setattr(read, "MAX_REPORT_BYTES", 1000)
    status, _, err = _cli(capfd, "compare", evaluations / "before.json", evaluations / "after.json")
    assert status == 2 and "文件过大" in err


# --------------------------------------------------------------------------- any mutation


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for k, value in enumerate(node[:3]):
            yield from _paths(value, (*prefix, k))


@pytest.fixture(scope="module")
def small_report():
    engine = junheng.Engine()
    schools, county = engine.sample()
    report = engine.evaluate("national.quality.2017", schools[:6], county)
    return json.loads(render_report(report, "json"))


@pytest.mark.parametrize("stage", [[], {}, ["primary"], 1])
def test_a_school_whose_stage_is_not_text_is_refused_naming_the_school(
    small_report, stage, tmp_path
):
    """Found by the mutation test below: the issue's record column read the bad stage."""
    doc = copy.deepcopy(small_report)
    doc["schools"][0]["stage"] = stage
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(small_report, ensure_ascii=False), "utf-8")
    with pytest.raises(InputError) as refused:
        compare_reports(good, bad)
    (issue,) = [i for i in refused.value.issues if i.field and "schools[0]" in i.field]
    assert issue.record_id == small_report["schools"][0]["id"] and issue.file.endswith("bad.json")


def test_any_mutation_of_a_report_is_compared_or_refused_never_a_crash(small_report):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    paths = [p for p in _paths(small_report) if p]
    values = st.sampled_from([None, 0, -1, 1.5, 1e308, "", "x", [], {}, True, [{}], {"id": 1}])

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(paths), values, st.booleans(), st.booleans())
    def run(path, value, delete, as_old):
        doc = copy.deepcopy(small_report)
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if delete and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        pair = (doc, small_report) if as_old else (small_report, doc)
        try:
            comparison = compare_reports(*pair)
        except InputError as exc:
            assert exc.issues and all(i.is_error and i.file in ("OLD", "NEW") for i in exc.issues)
            return
        doc = json.loads(render(comparison, "json"))
        assert_valid_comparison(doc)
        for fmt in ("html", "xlsx", "md"):
            assert render(comparison, fmt)

    run()
