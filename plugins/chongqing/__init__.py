"""Chongqing: qualified county (义务教育均衡发展合格县督导评估).

A built-in provincial plugin, registered through the ``junheng`` entry-point group
like any third-party plugin and using only the public hook API. It contributes the
ruleset ``chongqing.qualified`` and the county facts its vetoes read (县义务教育督导评估
方案 三、督导内容：一票否决), and one fact of the plan's tasks (五、(二)主要任务1) that the
county records for its self-check but that is not a criterion of its own (the ruleset's
header says why).
"""

from importlib import resources

from junheng import hookimpl

COUNTY_FIELDS = {
    "vetoes.education_funds_diverted": {
        "type": "boolean",
        "title": "挤占截留挪用教育经费",
        "description": "Education funds were diverted, withheld or misappropriated.",
    },
    "vetoes.enrolment_below_pujiu_standard": {
        "type": "boolean",
        "title": "入学率或辍学率未达“普九”验收标准",
        "description": "The enrolment rate of school-age children or the dropout rate of "
        "enrolled students has fallen below the acceptance standard of universal nine-year "
        "compulsory education (普九).",
    },
    "items.urban_education_fee_fully_used": {
        "type": "boolean",
        "title": "城市教育费附加足额用于教育",
        "description": "Urban education surcharge fully used for education (a task of the "
        "county plan; recorded for the self-check, judged inside the 指标体系's items).",
    },
}


@hookimpl
def junheng_rulesets():
    return [resources.files("junheng.rulesets").joinpath("chongqing", "qualified.toml")]


@hookimpl
def junheng_schema_extensions():
    return {"county": COUNTY_FIELDS}


@hookimpl
def junheng_sample(county):
    """青溪县 under Chongqing's rules: no funds diverted, enrolment at the 普九 standard,
    the urban education surcharge fully used, and the county's self-assessed scores."""
    county.setdefault("vetoes", {}).update(
        education_funds_diverted=False, enrolment_below_pujiu_standard=False
    )
    county.setdefault("items", {})["urban_education_fee_fully_used"] = True
    # the county's self-assessment (评分自查表): 58 + 27 + 7 = 92 of 100, 差异程度 27 ≥ 26,
    # 2 bonus points — a qualified county (合格县)
    county.setdefault("scores", {}).update(
        safeguards=58, disparity=27, public_evaluation=7, bonus=2
    )
