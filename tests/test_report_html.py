"""The HTML report: self-contained, Chinese, charts as inline SVG — and rendered in a real
browser (headless Chromium): a screenshot is taken and checked, the DOM holds the verdict
and the charts, and the browser logs no console errors.

Without Chromium the browser test is skipped with a visible reason (``pytest -ra`` lists it).
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
    # text stays text (svg.fonttype = none): Chinese labels inside the SVG
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert any("差异系数" in s and "<text" in s for s in svgs)
    assert "<path" in svgs[0] and "font-family" in svgs[0]
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


def test_import_junheng_does_not_import_matplotlib():
    code = (
        "import sys, junheng, junheng.outputs, junheng.cli;"
        "print('matplotlib' in sys.modules, 'jinja2' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


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
    import matplotlib.image

    img = matplotlib.image.imread(png)[..., :3]
    assert img.shape[:2] == (2000, 1280)
    pixels = (img.reshape(-1, 3) * 255).round().astype(np.uint8)
    colours = np.unique(pixels, axis=0)
    assert len(colours) > 200  # text, tables and charts, not a blank page
    non_white = (pixels.min(axis=1) < 240).mean()
    assert 0.05 < non_white < 0.9
    # the red of the failed verdict / failing bars and the green of met bars are on screen
    red = (pixels[:, 0] > 150) & (pixels[:, 1] < 90) & (pixels[:, 2] < 90)
    green = (pixels[:, 1] > 110) & (pixels[:, 0] < 90) & (pixels[:, 2] < 120)
    assert red.sum() > 500 and green.sum() > 5000


def test_charts_leave_pyplot_and_the_backend_alone():
    code = (
        "import sys, json, junheng;"
        "from importlib import resources;"
        "f = resources.files('junheng.sample');"
        "s = json.loads(f.joinpath('schools.json').read_text('utf-8'));"
        "from junheng.outputs import render;"
        "html = render(junheng.Engine().evaluate('national.quality.2017', s), 'html');"
        "print(b'<svg' in html, 'matplotlib.pyplot' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False"]
