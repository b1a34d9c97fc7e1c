"""Jiangxi: basic balance (赣府厅字[2024]14号) and quality balance (江西省优质均衡指标体系).

A built-in provincial plugin, registered through the ``junheng`` entry-point group
like any third-party plugin and using only the public hook API.
"""

from importlib import resources

from junheng import hookimpl


@hookimpl
def junheng_rulesets():
    folder = resources.files("junheng.rulesets").joinpath("jiangxi")
    return [folder.joinpath("basic-2024.toml"), folder.joinpath("quality.toml")]
