"""National rulesets: basic balance (教督〔2012〕3号) and quality balance (教督〔2017〕6号).

Registered through the ``junheng`` entry-point group like any third-party plugin. Besides
the two rulesets it contributes the county fact the quality ruleset's fifth education-
quality item reads (教督〔2017〕6号 教育质量（五）), which has no number and is judged.
"""

from importlib import resources

from junheng import hookimpl

COUNTY_FIELDS = {
    "items.equipment_used_efficiently": {
        "type": "boolean",
        "title": "教师熟练运用信息化手段教学、设施设备利用率较高",
        "description": "Teachers use ICT in teaching proficiently and the facilities and "
        "equipment are used at a high rate (教督〔2017〕6号 教育质量（五）), as judged by the "
        "county's self-assessment or the inspection team.",
    },
}


@hookimpl
def junheng_rulesets():
    folder = resources.files("junheng.rulesets").joinpath("national")
    return [folder.joinpath("basic-2012.toml"), folder.joinpath("quality-2017.toml")]


@hookimpl
def junheng_schema_extensions():
    return {"county": COUNTY_FIELDS}


@hookimpl
def junheng_sample(county):
    """青溪县: its teachers teach with the equipment, which is well used; and its
    self-assessment of the county government's work (县级人民政府推进义务教育均衡发展工作
    评估, 100 points, 85 to pass: 教督〔2012〕3号) is 90 — the county passed basic balance.
    The provinces that keep this score item (Gansu, Hebei, Sichuan) read it too."""
    county.setdefault("items", {})["equipment_used_efficiently"] = True
    county.setdefault("scores", {})["government_effort"] = 90
