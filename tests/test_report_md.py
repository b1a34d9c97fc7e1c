"""The Markdown report: the verdict, failed criteria, CV tables, school gaps and the score
sheet as GitHub-flavoured Markdown, ready to paste into a 自评报告 draft."""

from __future__ import annotations

import re

import pytest

from junheng.outputs import render


def _tables(md: str) -> list[list[list[str]]]:
    """Pipe tables as lists of rows of cells (header first, separator dropped)."""
    tables, current = [], []
    for line in md.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            if not set(line) <= {"|", "-"}:
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def test_quality_report(engine, sample):
    md = render(engine.evaluate("national.quality.2017", *sample), "md").decode("utf-8")
    assert md.startswith("# 县域义务教育优质均衡发展督导评估（国家标准）")
    assert "## 青溪县（360199）" in md and "**评估结论：未通过。**" in md
    assert "未达标学校（学段）6 个" in md
    tables = _tables(md)
    failed = next(t for t in tables if t[0][0] == "项目" and t[0][1] == "类别")
    assert [r[0] for r in failed[1:]] == [
        "每所学校资源配置达标",
        "小学生均体育运动场馆面积校际差异系数",
        "每年交流轮岗教师比例不低于符合交流条件教师总数的10%",
        "优质高中招生名额分配比例不低于50%",
    ]
    gaps = [r for t in tables if t[0][0] == "学校" for r in t[1:]]
    # every failed school check appears once: 15 in the sample county
    assert len(gaps) == 15
    row = next(r for r in gaps if r[0] == "青溪县城南小学（360199-004）" and "体育" in r[2])
    assert row[1:] == ["小学", "生均体育运动场馆面积", "4.8 m²/生", "≥ 7.5 m²/生", "缺 3,240 m²"]
    # every table row has as many cells as its header
    for t in tables:
        assert all(len(r) == len(t[0]) for r in t), t[0]


def test_score_sheet_and_not_evaluated(engine, sample):
    md = render(engine.evaluate("national.basic.2012", sample[0]), "md").decode("utf-8")
    assert "### 评分自查表：县级人民政府推进义务教育均衡发展工作评估" in md
    assert "| government\\_effort |" in md and "未评" in md  # ids escaped: _ is emphasis
    assert "### 未评估项目" in md and "未提供县级数据" in md
    assert "综合差异系数" in md


def test_pipes_in_names_are_escaped(engine, sample):
    schools = [dict(s) for s in sample[0]]
    next(s for s in schools if s["id"] == "360199-004")["name"] = "城南|小学"
    md = render(engine.evaluate("national.quality.2017", schools, sample[1]), "md").decode()
    assert "城南\\|小学" in md


def test_plugin_sections_appear_in_markdown_and_html(engine, sample):
    import attrs

    report = engine.evaluate("national.quality.2017", *sample)
    section = {
        "id": "testprov.summary",
        "title": "测试省汇总",
        "columns": ["县", "通过", "学校数"],
        "rows": [["360199", False, 40], ["<b>x</b>", True, 1.5]],
        "note": "插件提供的附加表",
        "plugin": "testprov",
    }
    report = attrs.evolve(report, sections=(section,))
    md = render(report, "md").decode("utf-8")
    assert "## 测试省汇总" in md and "| 360199 | 否 | 40 |" in md
    html = render(report, "html").decode("utf-8")
    assert "<h2>测试省汇总</h2>" in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<td>否</td>" in html and "由插件 testprov 提供" in html


def test_terminal_summary_is_compact(engine, sample):
    import io

    from rich.console import Console

    from junheng.summary import print_summary

    def text(report):
        out = Console(file=io.StringIO(), width=160, highlight=False)
        print_summary(report, out)
        return out.file.getvalue()

    no_county = text(engine.evaluate("national.quality.2017", sample[0]))
    assert "未评估 31 项（未提供县级数据）" in no_county and "详见报告 not_evaluated" in no_county
    assert len(no_county.splitlines()) < 50
    # many counties: one row per county
    schools = []
    for k in range(7):
        code = f"3601{k:02d}"
        for s in sample[0]:
            schools.append({**s, "id": f"{code}-{s['id'][-3:]}", "county_code": code})
            if s.get("central_school_id"):
                schools[-1]["central_school_id"] = f"{code}-{s['central_school_id'][-3:]}"
    many_report = engine.evaluate("national.quality.2017", schools)
    many = text(many_report)
    assert "共 7 个县（区），通过 0 个" in many
    assert sum(1 for line in many.splitlines() if "（3601" in line and "未通过" in line) == 7
    # a national batch: failing counties first, the table capped, the rest counted
    import junheng.summary

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(junheng.summary, "MAX_TABLE_COUNTIES", 3)
        lines = text(many_report).splitlines()
    rows = [line for line in lines if re.search(r"（3601\d\d）", line)]  # county rows
    assert len(rows) == 3 and all("未通过" in line for line in rows)
    assert any("另有 4 个县（区）未列出，详见报告 counties" in line for line in lines)
