"""示例省（a fictional province）: a third-party junheng plugin.

Registered in the entry-point group ``junheng`` by this distribution's
``pyproject.toml``; it uses nothing but the public hook API
(``from junheng import hookimpl``) and ships its ruleset as package data.

Hooks implemented:

- ``junheng_rulesets`` — the ruleset ``example.quality`` (quality.toml, next to this module);
- ``junheng_schema_extensions`` — the county fact its added veto reads,
  ``vetoes.education_funds_diverted`` (another plugin may declare the same field
  with the same type: they share it);
- ``junheng_sample`` — that fact's value for the bundled sample county, so
  ``junheng demo`` / ``junheng sample`` show the veto evaluated.
"""

from importlib import resources

from junheng import hookimpl

__version__ = "0.1.0"


@hookimpl
def junheng_rulesets():
    return [resources.files(__name__).joinpath("quality.toml")]


@hookimpl
def junheng_schema_extensions():
    return {
        "county": {
            "vetoes.education_funds_diverted": {
                "type": "boolean",
                "title": "挤占截留挪用教育经费",
                "description": "Education funds were diverted, withheld or misappropriated.",
            }
        }
    }


@hookimpl
def junheng_sample(county):
    county.setdefault("vetoes", {})["education_funds_diverted"] = False
