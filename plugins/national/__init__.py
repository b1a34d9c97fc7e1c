"""National rulesets: basic balance (教督〔2012〕3号) and quality balance (教督〔2017〕6号).

Registered through the ``junheng`` entry-point group like any third-party plugin.
"""

from importlib import resources

from junheng import hookimpl


@hookimpl
def junheng_rulesets():
    folder = resources.files("junheng.rulesets").joinpath("national")
    return [folder.joinpath("basic-2012.toml"), folder.joinpath("quality-2017.toml")]


@hookimpl
def junheng_sample(county):
    """青溪县's self-assessment of the county government's work (县级人民政府推进义务教育
    均衡发展工作评估, 100 points, 85 to pass: 教督〔2012〕3号): 90 — the county passed
    basic balance. The provinces that keep this score item (Gansu, Hebei, Sichuan) read it
    too."""
    county.setdefault("scores", {})["government_effort"] = 90
