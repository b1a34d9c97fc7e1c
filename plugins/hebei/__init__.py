"""Hebei: basic balance (冀教督〔2024〕8号).

A built-in provincial plugin, registered through the ``junheng`` entry-point group
like any third-party plugin and using only the public hook API. It contributes the
ruleset ``hebei.basic.2024`` and the county facts its rules read that other systems
do not use: the annual consolidation rates of enrolled students (在校生年巩固率, both
stages; other systems judge the cohort or 3-year rates), and the findings on the
provincial tasks that have no number (就近入学划片招生, 随迁子女一视同仁, 择校现象
得到基本遏制, 大班额得到有效遏制).
"""

from importlib import resources

from junheng import hookimpl

_RATE = {"type": "number", "x-unit": "%", "x-typical-minimum": 50, "minimum": 0, "maximum": 100}

COUNTY_FIELDS = {
    "items.primary_annual_consolidation_rate_pct": {
        **_RATE,
        "title": "小学在校生年巩固率",
        "description": "Primary annual consolidation rate of enrolled students (one school "
        "year), as opposed to the cohort rate primary_consolidation_rate_pct.",
    },
    "items.junior_annual_consolidation_rate_pct": {
        **_RATE,
        "title": "初中在校生年巩固率",
        "description": "Junior annual consolidation rate of enrolled students (one school "
        "year), as opposed to the 3-year rate.",
    },
    "items.zoned_nearby_enrolment": {
        "type": "boolean",
        "title": "严格执行就近入学划片招生政策",
        "description": "The zoned nearby-enrolment policy is strictly applied and school-age "
        "children enrol on time (county finding).",
    },
    "items.migrant_children_treated_equally": {
        "type": "boolean",
        "title": "随迁子女就学纳入规划和财政保障、一视同仁",
        "description": "Migrant workers' children are in the education plan and the budget "
        "and treated as local children (county finding).",
    },
    "items.school_choice_curbed": {
        "type": "boolean",
        "title": "公办义务教育择校现象得到基本遏制",
        "description": "School choice in public compulsory education is basically curbed "
        "(county finding).",
    },
    "items.large_classes_curbed": {
        "type": "boolean",
        "title": "城镇公办学校大班额问题得到有效遏制",
        "description": "Oversized classes in urban and town public schools are effectively "
        "curbed (county finding).",
    },
}


@hookimpl
def junheng_rulesets():
    return [resources.files("junheng.rulesets").joinpath("hebei", "basic-2024.toml")]


@hookimpl
def junheng_schema_extensions():
    return {"county": COUNTY_FIELDS}


@hookimpl
def junheng_sample(county):
    """青溪县 under Hebei's rules: 99.6 % of primary and 98.2 % of junior students stayed
    through the year; the county reports the four judged tasks done."""
    county.setdefault("items", {}).update(
        primary_annual_consolidation_rate_pct=99.6,
        junior_annual_consolidation_rate_pct=98.2,
        zoned_nearby_enrolment=True,
        migrant_children_treated_equally=True,
        school_choice_curbed=True,
        large_classes_curbed=True,
    )
