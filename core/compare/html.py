"""The comparison as one self-contained HTML page (no scripts, no external resources; prints
on A4): what the reader must know first (a different ruleset, a different junheng, the order
of the files), the two reports side by side, then per county the verdict, the criteria that
changed and every CV against its limit (an inline SVG track: the old value grey, the new one
green or red, the limit a dark bar), then the schools whose gaps changed and the schools only
one report has. With several counties a county table with links comes first.

Written directly as text (no template engine, no chart library): deterministic bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from .. import __version__
from .labels import (
    CRITERION_CHANGE,
    CV_CHANGE,
    GAP_CHANGE,
    MOVEMENT,
    NEW,
    OLD,
    STATUS,
    VERDICT,
    criterion_values,
    num,
    only_in_note,
    passed_word,
    school_word,
    stage_word,
)
from .model import Comparison, CountyComparison, CvChange, SchoolOnlyIn

__all__ = ["render"]

_CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       sans-serif; color: #1a1a1a; margin: 0 auto; max-width: 1100px; padding: 16px;
       font-size: 14px; line-height: 1.5; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 2px solid #333; padding-bottom: 2px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
.files { color: #444; margin: 0 0 12px; }
.notice { border: 2px solid #b26b00; background: #fff4e0; padding: 8px 12px; margin: 12px 0; }
.notice.ruleset { border-color: #b00020; background: #fdecee; }
.notice p { margin: 4px 0; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
tr { page-break-inside: avoid; }
td.w { white-space: nowrap; }
td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.verdict { display: inline-block; padding: 1px 8px; border-radius: 3px; font-weight: bold; }
.good { color: #0a6b2e; }
.bad { color: #b00020; }
.warn { color: #8a5a00; }
.info { color: #1f5f8b; }
.verdict.good { background: #e3f4e8; }
.verdict.bad { background: #fdecee; }
.verdict.same { background: #eee; }
.grid { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.grid div { border: 1px solid #ccc; padding: 4px 10px; min-width: 120px; }
.grid b { display: block; font-size: 18px; }
.muted { color: #666; }
footer { margin-top: 24px; color: #666; font-size: 12px; }
@media print { body { max-width: none; padding: 0; } h2 { page-break-after: avoid; } }
"""

_CHANGE_CLASS = {
    "newly_met": "good",
    "newly_failed": "bad",
    "still_failed": "warn",
    "newly_not_evaluated": "warn",
    "only_old": "info",
    "only_new": "info",
    "still_met": "",
    "undetermined": "warn",
    "no_limit": "muted",
    "closed": "good",
    "reduced": "good",
    "now_met": "good",
    "grown": "bad",
    "new": "bad",
}


def _e(text: object) -> str:
    return escape("" if text is None else str(text))


def _table(
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[int] = (),
    nowrap: Sequence[int] = (),
) -> str:
    """A table; ``rows`` hold HTML already escaped; columns in ``numeric`` align right,
    columns in ``nowrap`` (short words: 小学, 差距消除) never break."""
    out = ["<table><thead><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr></thead><tbody>"]
    css = {**dict.fromkeys(nowrap, ' class="w"'), **dict.fromkeys(numeric, ' class="n"')}
    for row in rows:
        cells = (f"<td{css.get(k, '')}>{cell}</td>" for k, cell in enumerate(row))
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _tag(change: str, words: dict) -> str:
    return f'<span class="{_CHANGE_CLASS.get(change, "")}">{_e(words[change])}</span>'


def render(comparison: Comparison) -> bytes:
    c = comparison
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>两次评估对比：{_e(c.old.file)} → {_e(c.new.file)}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>两次评估对比</h1>",
        f'<p class="files">{OLD}：{_e(c.old.file)}　→　{NEW}：{_e(c.new.file)}</p>',
    ]
    parts += _notices(c)
    parts += _sides(c)
    parts += _summary(c)
    if len(c.counties) > 1:
        parts += _county_index(c)
    for county in c.counties:
        parts += _county(county)
    parts += _only_counties(c)
    parts += _schools(c)
    parts += _only_schools(c)
    parts.append(f"<footer>由 junheng {_e(__version__)} 的 junheng compare 生成。</footer>")
    parts.append("</body></html>")
    return "\n".join(parts).encode("utf-8")


def _notices(c: Comparison) -> list[str]:
    if not c.notes:
        return []
    css = "notice" if c.same_ruleset else "notice ruleset"
    head = "<p><b>请先注意：</b></p>"
    return [
        f'<div class="{css}" role="note">{head}',
        *(f"<p>{_e(n)}</p>" for n in c.notes),
        "</div>",
    ]


def _sides(c: Comparison) -> list[str]:
    a, b = c.old, c.new

    def row(label: str, x: object, y: object) -> list[str]:
        mark = "" if x == y else ' <span class="warn">（不同）</span>'
        return [_e(label), _e(x if x is not None else "—"), _e(y if y is not None else "—") + mark]

    rows = [
        row(
            "规则集", f"{a.ruleset.title}（{a.ruleset.id}）", f"{b.ruleset.title}（{b.ruleset.id}）"
        ),
        row("规则集版本", a.ruleset.version, b.ruleset.version),
        row("规则集内容 SHA-256", (a.ruleset.sha256 or "—")[:16], (b.ruleset.sha256 or "—")[:16]),
        row("junheng 版本", a.engine_version, b.engine_version),
        row("评估时间", a.evaluated_at, b.evaluated_at),
        row("县数", a.counties, b.counties),
        row("参评学校（学段）数", a.schools, b.schools),
    ]
    words = {"same": "未变", "changed": "已变", "only_old": "仅原报告有", "only_new": "仅新报告有"}
    for i in c.inputs:
        status = words.get(i.status, "无法判断")
        rows.append(
            [
                _e(f"输入 {i.name}（{status}）"),
                _e(f"{i.old_file or '—'} {(i.old_sha256 or '')[:12]}"),
                _e(f"{i.new_file or '—'} {(i.new_sha256 or '')[:12]}"),
            ]
        )
    return ["<h2>两份报告</h2>", _table(("", OLD, NEW), rows)]


def _summary(c: Comparison) -> list[str]:
    s = c.summary()
    items = [
        ("由未通过变为通过的县", s["failed_to_passed"], "good"),
        ("由通过变为未通过的县", s["passed_to_failed"], "bad"),
        ("新达标的项目", s["criteria_newly_met"], "good"),
        ("新未达标的项目", s["criteria_newly_failed"], "bad"),
        ("消除的学校差距", s["gaps_closed"], "good"),
        ("缩小的学校差距", s["gaps_reduced"], "good"),
        ("扩大的学校差距", s["gaps_grown"], "bad"),
        ("新增的学校差距", s["gaps_new"], "bad"),
    ]
    cells = "".join(f'<div><b class="{css}">{n}</b>{_e(label)}</div>' for label, n, css in items)
    return ["<h2>概况</h2>", f'<div class="grid">{cells}</div>']


def _verdict(county: CountyComparison) -> str:
    css = {"failed_to_passed": "good", "passed_to_failed": "bad"}.get(county.verdict, "same")
    return (
        f'<span class="verdict {css}" data-verdict="{county.verdict}">'
        f"{passed_word(county.old_passed)} → {passed_word(county.new_passed)}"
        f"（{VERDICT[county.verdict]}）</span>"
    )


def _name(code: str, name: str | None) -> str:
    return f"{name}（{code}）" if name else code


def _county_index(c: Comparison) -> list[str]:
    rows = []
    order = {"passed_to_failed": 0, "failed_to_passed": 1, "unchanged": 2}
    for x in sorted(c.counties, key=lambda x: order[x.verdict]):
        rows.append(
            [
                f'<a href="#county-{_e(x.county_code)}">{_e(_name(x.county_code, x.name))}</a>',
                _verdict(x),
                str(len(x.newly_met)),
                str(len(x.newly_failed)),
                str(len(x.still_failed)),
                str(len(x.cv_crossed)),
            ]
        )
    head = ("县（区）", "结论", "新达标", "新未达标", "仍未达标", "差异系数越限变化")
    return ["<h2>各县结论</h2>", _table(head, rows, numeric=(2, 3, 4, 5))]


def _county(x: CountyComparison) -> list[str]:
    out = [
        f'<h2 id="county-{_e(x.county_code)}">{_e(_name(x.county_code, x.name))}　{_verdict(x)}</h2>'
    ]
    changes = [
        *x.newly_met,
        *x.newly_failed,
        *x.newly_not_evaluated,
        *x.still_failed,
        *x.criteria_only_old,
        *x.criteria_only_new,
    ]
    out.append("<h3>评估项目变化</h3>")
    if changes:
        rows = [
            [
                _tag(r.change, CRITERION_CHANGE),
                _e(r.title),
                f"{_e(STATUS[r.old_status])} → {_e(STATUS[r.new_status])}",
                _e(criterion_values(r)),
                _e(MOVEMENT[r.movement]),
            ]
            for r in changes
        ]
        head = ("变化", "项目", "状态", f"{OLD} → {NEW}", "相对要求")
        out.append(_table(head, rows, nowrap=(0, 2, 4)))
    else:
        out.append('<p class="muted">评估项目无变化。</p>')
    if x.still_not_evaluated:
        out.append(
            f'<p class="muted">两次均未评估（缺少数据）的项目 {len(x.still_not_evaluated)} 项。</p>'
        )
    if x.cv:
        out.append("<h3>差异系数与限值</h3>")
        rows = [
            [
                _e(stage_word(v.stage)),
                _e(v.title),
                num(v.old_cv),
                num(v.new_cv),
                num(v.new_limit)
                if v.old_limit == v.new_limit
                else f"{num(v.old_limit)} → {num(v.new_limit)}",
                _tag(v.change, CV_CHANGE),
                _track(v),
            ]
            for v in x.cv
        ]
        head = ("学段", "指标", f"{OLD}", f"{NEW}", "限值", "变化", "相对限值")
        out.append(_table(head, rows, numeric=(2, 3, 4), nowrap=(0, 5)))
        out.append(
            '<p class="muted">相对限值：灰点为原报告的差异系数，彩色点为新报告的'
            "（绿色达标、红色超限），竖线为限值；越靠左，校际越均衡。</p>"
        )
    return out


def _track(v: CvChange, width: int = 160, height: int = 16) -> str:
    """An inline SVG: the limit (dark bar), the old CV (grey), the new CV (green or red)."""
    values = [x for x in (v.old_cv, v.new_cv, v.old_limit, v.new_limit) if x is not None]
    if not values or (v.new_cv is None and v.old_cv is None):
        return ""
    top = max(values) * 1.15 or 1.0

    def x(value: float) -> float:
        return round(4 + (width - 8) * min(value, top) / top, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">',
        f'<line x1="4" y1="{height / 2}" x2="{width - 4}" y2="{height / 2}" stroke="#ccc" stroke-width="2"/>',
    ]
    if v.new_limit is not None:
        lx = x(v.new_limit)
        parts.append(f'<rect x="{lx - 1}" y="1" width="2" height="{height - 2}" fill="#333"/>')
    if v.old_cv is not None and v.new_cv is not None:
        parts.append(
            f'<line x1="{x(v.old_cv)}" y1="{height / 2}" x2="{x(v.new_cv)}" y2="{height / 2}" '
            'stroke="#888" stroke-width="2"/>'
        )
    if v.old_cv is not None:
        parts.append(f'<circle cx="{x(v.old_cv)}" cy="{height / 2}" r="4" fill="#999"/>')
    if v.new_cv is not None:
        colour = {True: "#1a8f3c", False: "#c62828"}.get(v.new_met, "#1f5f8b")
        parts.append(f'<circle cx="{x(v.new_cv)}" cy="{height / 2}" r="5" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _only_counties(c: Comparison) -> list[str]:
    out = []
    for label, counties in ((OLD, c.counties_only_old), (NEW, c.counties_only_new)):
        if counties:
            rows = [[_e(_name(x.county_code, x.name)), _e(passed_word(x.passed))] for x in counties]
            out += [f"<h2>仅{label}有的县</h2>", _table(("县（区）", "结论"), rows)]
    return out


def _schools(c: Comparison) -> list[str]:
    s = c.summary()
    out = [
        "<h2>学校差距变化</h2>",
        f"<p>{s['schools_changed']} 个学校学段有变化，{s['schools_unchanged']} 个无变化。"
        "差距为整所学校的实际数量（人、m²、元、间、项）。</p>",
    ]
    if not c.schools:
        return out
    rows = []
    for school in c.schools:
        gaps = school.gaps or ()
        for k, g in enumerate(gaps):
            first = k == 0
            rows.append(
                [
                    _e(f"{school.name or ''}（{school.id}）") if first else "",
                    _e(stage_word(school.stage)) if first else "",
                    _e(f"{school_word(school.old_passed)} → {school_word(school.new_passed)}")
                    if first
                    else "",
                    _e(g.title),
                    _tag(g.change, GAP_CHANGE),
                    _side(g.old_met, g.old_shortfall),
                    _side(g.new_met, g.new_shortfall),
                    _e(g.unit or ""),
                    _threshold(g.old_threshold, g.new_threshold),
                ]
            )
        if not gaps:
            rows.append(
                [
                    _e(f"{school.name or ''}（{school.id}）"),
                    _e(stage_word(school.stage)),
                    _e(f"{school_word(school.old_passed)} → {school_word(school.new_passed)}"),
                    *[""] * 6,
                ]
            )
    head = ("学校", "学段", "学校结论", "项目", "变化", f"{OLD}差距", f"{NEW}差距", "单位", "标准")
    out.append(_table(head, rows, numeric=(5, 6), nowrap=(1, 2, 4, 7)))
    return out


def _side(met: bool | None, shortfall: float | None) -> str:
    if met is None:
        return "无法判定"
    return "达标" if met else num(shortfall, 1)


def _threshold(old: float | None, new: float | None) -> str:
    return _e(num(new)) if old == new else _e(f"{num(old)} → {num(new)}")


def _only_schools(c: Comparison) -> list[str]:
    out = []
    for label, other, schools in (
        (OLD, NEW, c.schools_only_old),
        (NEW, OLD, c.schools_only_new),
    ):
        if schools:
            out += [f"<h2>仅{label}有的学校学段</h2>", _table(*_only_rows(schools, other))]
    return out


def _only_rows(schools: Sequence[SchoolOnlyIn], other: str):
    rows = [
        [
            _e(f"{s.name or ''}（{s.id}）"),
            _e(stage_word(s.stage)),
            _e(s.county_code or ""),
            _e(school_word(s.passed)),
            str(len(s.failed_checks)),
            _e(only_in_note(s, other)),
        ]
        for s in schools
    ]
    return ("学校", "学段", "县", "结论", "未达标项数", "说明"), rows, (4,), (1, 3)
