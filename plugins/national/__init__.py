"""National rulesets: basic balance (教督〔2012〕3号) and quality balance (教督〔2017〕6号).

Registered through the ``junheng`` entry-point group like any third-party plugin.
"""

from importlib import resources

from junheng import hookimpl


@hookimpl
def junheng_rulesets():
    folder = resources.files("junheng.rulesets").joinpath("national")
    return [folder.joinpath("basic-2012.toml"), folder.joinpath("quality-2017.toml")]
