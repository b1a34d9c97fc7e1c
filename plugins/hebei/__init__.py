"""Hebei: basic balance (冀教督〔2024〕8号).

A built-in provincial plugin, registered through the ``junheng`` entry-point group
like any third-party plugin and using only the public hook API. It contributes the
ruleset ``hebei.basic.2024`` and the consolidation rate its rules read: the annual
rate of enrolled students (在校生年巩固率), which other systems do not use (they
judge the three-year junior rate).
"""

from importlib import resources

from junheng import hookimpl

COUNTY_FIELDS = {
    "items.junior_annual_consolidation_rate_pct": {
        "type": "number",
        "title": "初中在校生年巩固率",
        "description": "Junior annual consolidation rate of enrolled students (one school "
        "year), as opposed to the 3-year rate.",
        "x-unit": "%",
        "x-typical-minimum": 50,
        "minimum": 0,
        "maximum": 100,
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
    """青溪县 under Hebei's rules: 98.2 % of junior students stayed through the year."""
    county.setdefault("items", {})["junior_annual_consolidation_rate_pct"] = 98.2
