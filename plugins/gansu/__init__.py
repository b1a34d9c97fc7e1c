"""Gansu: basic balance (甘肃省县域义务教育发展基本均衡县督导评估实施细则).

A built-in provincial plugin, registered through the ``junheng`` entry-point group
like any third-party plugin and using only the public hook API. It contributes the
ruleset ``gansu.basic`` and the fields its rules read that no other system has:

- per school, how many of the provincial school standard's core (核心) and ordinary
  (普通) indicators the school meets, as judged on the provincial inspection form
  (《甘肃省义务教育学校办学基本标准督导评估细则》: 12 core, 28 ordinary indicators);
- per county, the dropout rate of disabled students and whether the weak-school
  renovation (改薄) is finished (灵台县独店学区学校推进计划 (三)3, 保障措施3).
"""

from importlib import resources

from junheng import hookimpl

SCHOOL_FIELDS = {
    "basic_standard_core_met": {
        "type": "integer",
        "title": "达到的办学基本标准核心指标数",
        "description": "Number of the Gansu school basic standard's 12 core indicators "
        "(核心指标, 甘肃省义务教育学校办学基本标准督导评估细则) the school meets, as judged on "
        "the provincial inspection form.",
        "x-unit": "项",
        "x-apportion": False,
        "minimum": 0,
        "maximum": 12,
    },
    "basic_standard_ordinary_met": {
        "type": "integer",
        "title": "达到的办学基本标准普通指标数",
        "description": "Number of the Gansu school basic standard's 28 ordinary indicators "
        "(普通指标) the school meets.",
        "x-unit": "项",
        "x-apportion": False,
        "minimum": 0,
        "maximum": 28,
    },
}
COUNTY_FIELDS = {
    "items.disabled_dropout_rate_pct": {
        "type": "number",
        "title": "残疾学生辍学率",
        "description": "Annual dropout rate of disabled students (残疾儿童在校生年辍学率).",
        "x-unit": "%",
        "minimum": 0,
        "maximum": 100,
    },
    "items.weak_school_renovation_done": {
        "type": "boolean",
        "title": "完成薄弱学校改造任务",
        "description": "Weak-school renovation (全面改薄) completed.",
    },
}


@hookimpl
def junheng_rulesets():
    return [resources.files("junheng.rulesets").joinpath("gansu", "basic.toml")]


@hookimpl
def junheng_schema_extensions():
    return {"school": SCHOOL_FIELDS, "county": COUNTY_FIELDS}


@hookimpl
def junheng_sample(schools, county):
    """青溪县 under Gansu's rules: every school meets the 12 core indicators, all but one
    the 28 ordinary ones; the county finished the renovation, 0.8 % disabled dropout."""
    for school in schools:
        school["basic_standard_core_met"] = 12
        school["basic_standard_ordinary_met"] = 28
    items = county.setdefault("items", {})
    items["disabled_dropout_rate_pct"] = 0.8
    items["weak_school_renovation_done"] = True
