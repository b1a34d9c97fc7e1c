"""The HTML report: self-contained, Chinese, charts as inline SVG — and rendered in a real
browser (headless Chromium): a screenshot is taken and checked, the DOM holds the verdict
and the charts, and the browser logs no console errors. A batch of counties starts with
the overview (counts, every county linked both ways, the counties' CVs, frequent failures),
also screenshotted; a single county's report has none.

Without Chromium the browser tests are skipped with a visible reason (``pytest -ra`` lists it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from junheng.outputs import render, write_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def html(engine, sample):
    return render(engine.evaluate("national.quality.2017", *sample), "html").decode("utf-8")


def test_verdict_and_failed_criteria_come_first(html):
    body = html[html.index("<body>") :]
    verdict = body.index("未通过")
    for title in (
        "每所学校资源配置达标",
        "小学生均体育运动场馆面积校际差异系数",
        "每年交流轮岗教师比例不低于符合交流条件教师总数的10%",
        "优质高中招生名额分配比例不低于50%",
    ):
        assert title in body
    first_chart = body.index("<svg")
    assert verdict < body.index("未达标项目") < first_chart
    assert 'data-verdict="failed"' in body


def test_sections_charts_and_gaps_in_real_units(html):
    for heading in (
        "一票否决",
        "校际差异系数",
        "各指标的学校分布",
        "未达标学校及差距",
        "未评估项目",
        "数据问题",
    ):
        assert heading in html
    # 2 CV charts (primary, junior) + 14 distribution charts (7 indicators × 2 stages)
    assert html.count("<svg") == 16
    # text stays text: Chinese labels inside the SVG, in the page's CJK fonts
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert any("差异系数" in s and "<text" in s for s in svgs)
    assert "<rect" in svgs[0] and "Noto Sans CJK SC" in svgs[0]
    assert "生均体育运动场馆面积" in svgs[0] and ">0.612<" in svgs[0]  # the failing CV, labelled
    assert all("<path" in s and "标准 " in s for s in svgs[2:])  # bars, the requirement line
    for gap in ("缺 1,404 m²", "缺 3,240 m²", "缺 4 人", "缺 2 人", "缺 4 间", "缺 212,800 元"):
        assert gap in html
    assert "青溪县第二小学" in html and "双河乡中学" in html
    # ids are unique across the inline SVGs (clip paths must not collide)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_self_contained_and_print_friendly(html):
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html)
    assert "@media print" in html and "@page" in html
    assert '<html lang="zh-CN">' in html and '<meta charset="utf-8">' in html


def test_score_sheet_and_not_evaluated_without_county(engine, sample):
    html = render(engine.evaluate("national.basic.2012", sample[0]), "html").decode("utf-8")
    assert "评分自查表" in html and "推进工作得分" in html and "未评" in html
    assert "未提供县级数据" in html and "未通过" in html
    assert "综合差异系数" in html


def test_autoescape(engine, sample):
    schools = [dict(s) for s in sample[0]]
    target = next(s for s in schools if s["id"] == "360199-004")
    target["name"] = "<script>alert(1)</script>城南小学"
    html = render(engine.evaluate("national.quality.2017", schools, sample[1]), "html").decode()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;城南小学" in html


def test_vetoes_read_in_chinese(html):
    table = html[html.index('<table class="vetoes">') :]
    table = table[: table.index("</table>")]
    for condition in ("考试招生为“是”", "社会认可度低于 85%", "设重点校或重点班为“是”"):
        assert f"<td>{condition}</td>" in table
    for name in ("admission_by_exam", "social_recognition_pct", "key_schools_or_classes"):
        assert name not in table  # the formula stays in junheng explain


def test_import_junheng_does_not_import_jinja2():
    code = "import sys, junheng, junheng.outputs, junheng.cli; print('jinja2' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"]


def test_one_county_has_no_overview(html):
    assert 'id="overview"' not in html and "<nav" not in html and "返回总览" not in html
    body = html[html.index("<body>") :]
    assert body.index("青溪县（360199）：评估结论") < body.index("未通过")


# --------------------------------------------------------------------------- the overview


def _overview(html: str) -> str:
    return html[html.index('<section id="overview"') : html.index('<section class="county"')]


def test_a_batch_starts_with_the_overview_naming_every_county(basic_batch):
    html = render(basic_batch, "html").decode("utf-8")
    body = html[html.index("<body>") :]
    ov = _overview(html)
    # the overview comes before every county section, right after the title and contents
    assert (
        body.index('<nav class="toc"') < body.index('id="overview"') < body.index("甲县（360198）")
    )
    assert 'data-counties="3"' in ov
    assert re.search(r"<b>1</b>个未通过", ov) and re.search(r"<b>1</b>个通过", ov)
    assert re.search(r"<b>1</b>个未能认定", ov)
    # one row per county: failing first, then not judged, then passing, each linked to its section
    rows = re.findall(r'<tr data-county="(\d+)">(.*?)</tr>', ov, flags=re.S)
    assert [code for code, _ in rows] == ["360198", "360197", "360199"]
    verdicts = [re.findall(r"(未通过|未能认定|通过)</td>", row)[0] for _, row in rows]
    assert verdicts == ["未通过", "未能认定", "通过"]
    assert "县级指标 1" in rows[0][1]
    for code, name in (("360198", "甲县"), ("360197", "乙县"), ("360199", "青溪县")):
        assert f'<a href="#county-{code}">{name}</a>' in ov
        assert f'<section class="county" id="county-{code}">' in html  # linked both ways:
    assert html.count('<a href="#overview">↑ 返回总览</a>') == 3  # every section links back
    # the criteria that fail most often, and the counties' composite CVs against the limit
    frequent = ov[ov.index('<table class="frequent">') :]
    assert "学校均达到省定办学基本标准" in frequent[: frequent.index("</table>")]
    assert ov.count('<figure class="counties-cv">') == 2 + 2 * 8  # 8 CVs + composite, 2 stages
    assert "初中 · 综合差异系数" in ov


def test_the_overview_lists_vetoes_frequent_failures_and_worst_cvs(quality_batch):
    ov = _overview(render(quality_batch, "html").decode("utf-8"))
    rows = dict(re.findall(r'<tr data-county="(\d+)">(.*?)</tr>', ov, flags=re.S))
    assert "以考试方式招生" in rows["360198"] and "以考试方式招生" not in rows["360199"]
    assert "一票否决 1" in rows["360198"]
    # the worst CV of the sample: primary sports ground 0.612 against 0.5, in red
    assert "小学 · 生均体育运动场馆面积" in rows["360199"]
    assert '<td class="n bad">0.612</td>' in rows["360199"]
    frequent = ov[ov.index('<table class="frequent">') : ov.index("</table>", ov.index("frequent"))]
    # all three counties fail the sample's four criteria; only 甲县 has the veto
    counts = dict(
        re.findall(r"<td>([^<]+)</td>\s*<td>[^<]+</td>\s*<td class=\"n\">(\d+)</td>", frequent)
    )
    assert counts["每所学校资源配置达标"] == "3" and counts["以考试方式招生"] == "1"
    assert list(counts.values()) == sorted(counts.values(), reverse=True)
    charts = ov[ov.index('id="overview-cv"') :]
    chart = charts[charts.index("小学 · 生均体育运动场馆面积") :]
    assert "超过限值 3 个" in chart[:400]


def test_charts_are_deterministic_and_hold_no_ids(quality_batch):
    one, two = render(quality_batch, "html"), render(quality_batch, "html")
    assert one == two
    svgs = re.findall(rb"<svg.*?</svg>", one, flags=re.S)
    assert len(svgs) == 14 + 3 * (2 + 14)  # the overview's, each county's CVs and distributions
    assert not any(b" id=" in svg for svg in svgs)


# --------------------------------------------------------------------------- browser


def _browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(
        "chromium not installed: the HTML report's real-browser test needs headless Chromium "
        "(Debian: apt-get install chromium; .ci/run installs it)"
    )


def _run_browser(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    cmd = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, errors="replace")


def _pixels(png: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(png) as img:
        return np.asarray(img.convert("RGB"))


def test_sample_report_renders_in_headless_chromium(engine, sample, tmp_path):
    browser = _browser()
    page = write_report(
        engine.evaluate("national.quality.2017", *sample), "html", tmp_path / "report.html"
    )
    url = page.resolve().as_uri()

    dom = _run_browser(browser, tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert "未通过" in dom.stdout and 'data-verdict="failed"' in dom.stdout
    assert dom.stdout.count("<svg") == 16
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console  # the page runs no script: any console message is a fault

    png = tmp_path / "shot.png"
    shot = _run_browser(browser, tmp_path, f"--screenshot={png}", "--window-size=1280,2000", url)
    assert shot.returncode == 0 and png.exists(), shot.stderr[-2000:]
    assert png.stat().st_size > 20_000
    img = _pixels(png)
    assert img.shape[:2] == (2000, 1280)
    pixels = img.reshape(-1, 3)
    colours = np.unique(pixels, axis=0)
    assert len(colours) > 200  # text, tables and charts, not a blank page
    non_white = (pixels.min(axis=1) < 240).mean()
    assert 0.05 < non_white < 0.9
    # the red of the failed verdict / failing bars and the green of met bars are on screen
    red = (pixels[:, 0] > 150) & (pixels[:, 1] < 90) & (pixels[:, 2] < 90)
    green = (pixels[:, 1] > 110) & (pixels[:, 0] < 90) & (pixels[:, 2] < 120)
    assert red.sum() > 500 and green.sum() > 5000


def test_a_batch_report_renders_overview_first_in_headless_chromium(quality_batch, tmp_path):
    browser = _browser()
    page = write_report(quality_batch, "html", tmp_path / "batch.html")
    url = page.resolve().as_uri()
    dom = _run_browser(browser, tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert [line for line in dom.stderr.splitlines() if "CONSOLE" in line] == []
    top = dom.stdout[: dom.stdout.index('<section class="county"')]
    assert 'id="overview"' in top and all(name in top for name in ("青溪县", "甲县", "乙县"))
    assert top.count("<svg") == 14

    # the first screen is the overview: the red count of failing counties, the table, charts
    png = tmp_path / "overview.png"
    shot = _run_browser(browser, tmp_path, f"--screenshot={png}", "--window-size=1280,2400", url)
    assert shot.returncode == 0 and png.exists(), shot.stderr[-2000:]
    pixels = _pixels(png).reshape(-1, 3).astype(int)
    assert len(np.unique(pixels, axis=0)) > 200
    red = (pixels[:, 0] > 150) & (pixels[:, 1] < 90) & (pixels[:, 2] < 90)
    green = (pixels[:, 1] > 110) & (pixels[:, 0] < 90) & (pixels[:, 2] < 120)
    assert red.sum() > 500 and green.sum() > 5000  # failing counties' bars and verdicts, met bars
    # CJK glyphs are drawn (not tofu boxes): the text of the overview covers real ink
    assert 0.05 < (pixels.min(axis=1) < 240).mean() < 0.9


def test_rendering_html_imports_no_plotting_library():
    code = (
        "import sys, json, junheng;"
        "from importlib import resources;"
        "f = resources.files('junheng.sample');"
        "s = json.loads(f.joinpath('schools.json').read_text('utf-8'));"
        "from junheng.outputs import render;"
        "html = render(junheng.Engine().evaluate('national.quality.2017', s), 'html');"
        "print(b'<svg' in html, any(m.startswith('matplotlib') for m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False"]


# --------------------------------------------------------------------------- the charts


def test_chart_ticks_are_round_and_reach_the_top():
    from junheng.outputs.charts import nice_ticks

    assert nice_ticks(0.62) == [0.0, 0.2, 0.4, 0.6, 0.8]
    assert nice_ticks(0.5) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert nice_ticks(3450, 4) == [0.0, 1000.0, 2000.0, 3000.0, 4000.0]
    assert nice_ticks(0) == [0.0, 1.0] and nice_ticks(float("nan")) == [0.0, 1.0]


def test_the_counties_chart_names_a_city_and_marks_counties_past_the_limit():
    from junheng.outputs.charts import counties_chart

    points = [("甲县", 0.3, True), ("<b>乙</b>县", 0.7, False), ("丙县", None, None)]
    svg = counties_chart(points, 0.5, label="小学生均体育运动场馆面积")
    assert svg.startswith('<svg class="chart" role="img" aria-label="小学生均体育运动场馆面积"')
    assert svg.count("<rect") == 2 + 1  # two counties with a CV, the limit's label box
    # worst first, red past the limit, each bar's county and value as its tooltip
    bars = re.findall(r'fill="(#[0-9a-f]+)"><title>([^<]*)</title>', svg)
    assert bars == [("#c0392b", "&lt;b&gt;乙&lt;/b&gt;县 0.700"), ("#3b8c5a", "甲县 0.300")]
    assert "rotate(-60)" in svg and "限值 0.5" in svg and "共 2 个" in svg
    many = counties_chart([(f"县{k}", k / 100, True) for k in range(60)], 0.5, label="x")
    assert "rotate(-60)" not in many and many.count("<title>") == 60  # a province: no names
    assert many == counties_chart([(f"县{k}", k / 100, True) for k in range(60)], 0.5, label="x")


def test_the_cv_chart_says_what_cannot_be_computed():
    from junheng.outputs.charts import cv_chart

    svg = cv_chart(["甲指标", "乙指标"], [0.62, None], [0.5, 0.5])
    assert ">0.620<" in svg and ">无法计算<" in svg and 'fill="#c0392b"' in svg
    assert 'fill="#9e9e9e"' in svg  # the undefined one, grey
