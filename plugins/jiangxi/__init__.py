"""Jiangxi: basic balance (赣府厅字[2024]14号) and quality balance (江西省优质均衡指标体系).

A built-in provincial plugin, registered through the ``junheng`` entry-point group
like any third-party plugin and using only the public hook API. Besides its two
rulesets it contributes the county facts the quality ruleset's own tasks read (the
findings on 生均公用经费足额落实, 健康医务室, 学生体质健康档案; 井冈山市实施方案
二（一）职能组) and a report section: the rectification tasks per office
(各股室整改任务). Jiangxi's plan assigns every indicator to an office (股室, the
rules' ``owner``), and a county bureau hands each office its own list; the section
counts, per county and office, the school checks and county criteria not met.
"""

from importlib import resources

import numpy as np

from junheng import hookimpl

RULESETS = ("basic-2024.toml", "quality.toml")
NO_OWNER = "未指定"

COUNTY_FIELDS = {
    "items.public_funds_fully_in_place": {
        "type": "boolean",
        "title": "各项生均公用经费足额落实到位",
        "description": "Every per-student public-funds allocation is paid in full (county "
        "finding).",
    },
    "items.central_schools_have_health_rooms": {
        "type": "boolean",
        "title": "乡镇中心小学以上学校均建立健康医务室",
        "description": "Every township central primary school and every school above it has "
        "a health room (county finding).",
    },
    "items.fitness_records_kept": {
        "type": "boolean",
        "title": "学校均建立并填写学生体质健康档案",
        "description": "Every school keeps and fills in the students' physical health "
        "records (county finding).",
    },
}


@hookimpl
def junheng_rulesets():
    folder = resources.files("junheng.rulesets").joinpath("jiangxi")
    return [folder.joinpath(name) for name in RULESETS]


@hookimpl
def junheng_schema_extensions():
    return {"county": COUNTY_FIELDS}


@hookimpl
def junheng_sample(county):
    """青溪县 under Jiangxi's rules: public funds paid in full, health rooms and fitness
    records in place; its self-assessed scores: the four areas of the 推进状况评分细则
    (23 + 32 + 19 + 18 = 92 ≥ 85, basic balance passed) and the B indicators of quality
    balance (91 ≥ 90)."""
    county.setdefault("items", {}).update(
        public_funds_fully_in_place=True,
        central_schools_have_health_rooms=True,
        fitness_records_kept=True,
    )
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
            "note": "按规则的责任股室（owner，井冈山市实施方案 二（一）职能组）汇总未达标项；"
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
