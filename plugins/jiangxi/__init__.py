"""Jiangxi: basic balance (赣府厅字[2024]14号) and quality balance (江西省优质均衡指标体系).

A built-in provincial plugin, registered through the ``junheng`` entry-point group
like any third-party plugin and using only the public hook API. Besides its two
rulesets it contributes a report section: the rectification tasks per office
(各股室整改任务). Jiangxi's plan assigns every indicator to an office (股室, the
rules' ``owner``, source 004 二（一）职能组), and a county bureau hands each
office its own list; the section counts, per county and office, the school
checks and county criteria not met.
"""

from importlib import resources

import numpy as np

from junheng import hookimpl

RULESETS = ("basic-2024.toml", "quality.toml")
NO_OWNER = "未指定"


@hookimpl
def junheng_rulesets():
    folder = resources.files("junheng.rulesets").joinpath("jiangxi")
    return [folder.joinpath(name) for name in RULESETS]


@hookimpl
def junheng_sample(county):
    """青溪县's self-assessed scores under Jiangxi's rules: the four areas of the
    推进状况评分细则 (23 + 32 + 19 + 18 = 92 ≥ 85, basic balance passed) and the B
    indicators of quality balance (91 ≥ 90)."""
    county.setdefault("scores", {}).update(
        enrolment_opportunity=23,
        assurance_mechanism=32,
        teaching_staff=19,
        quality_management=18,
        b_indicators=91,
    )


@hookimpl
def junheng_report_sections(report):
    """各股室整改任务, for a report of a Jiangxi ruleset (or one extending it)."""
    rs = report.ruleset
    if not any(rid.startswith("jiangxi.") for rid in rs.lineage):
        return None
    rows = []
    for county in report.counties:
        tasks = _school_tasks(report, county.county_code)
        for c in county.failed_criteria:
            if c.kind == "schools":  # its tasks are the school checks above
                continue
            owner = c.owner or NO_OWNER
            tasks.setdefault(owner, [0, 0, []])[2].append(c.title)
        for owner, (checks, schools, items) in sorted(tasks.items()):
            rows.append([county.county_code, owner, checks, schools, "；".join(items)])
    if not rows:  # nothing to rectify: no section
        return None
    return [
        {
            "id": "jiangxi.owners",
            "title": "各股室整改任务",
            "columns": [
                "县（区）代码",
                "责任股室",
                "未达标的学校检查项",
                "涉及学校（学段）",
                "未达标的县级项目",
            ],
            "rows": rows,
            "note": "按规则的责任股室（owner，source 004 二（一）职能组）汇总未达标项；"
            "明细见整改台账。",
        }
    ]


def _school_tasks(report, county_code):
    """Owner → [failed school checks, units with one, []] of one county, from the columns."""
    table = report.schools
    units = table.units
    if county_code not in units.county_codes:
        return {}
    in_county = units.included & (units.county_index == units.county_codes.index(county_code))
    rs = report.ruleset
    tasks = {}
    for owner in sorted({_owner(rs, cid) for cid in table.check_ids}):
        failing = np.zeros(units.size, dtype=bool)
        count = 0
        for cid in table.check_ids:
            if _owner(rs, cid) == owner:
                missed = in_county & (table.met[cid] == 0.0)
                count += int(missed.sum())
                failing |= missed
        if count:
            tasks[owner] = [count, int(failing.sum()), []]
    return tasks


def _owner(rs, cid):
    rule = rs.indicators.get(cid) or rs.school_rules.get(cid)
    return (rule.meta.owner if rule is not None else None) or NO_OWNER
