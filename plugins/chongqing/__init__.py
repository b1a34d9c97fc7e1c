"""Chongqing: qualified county (义务教育均衡发展合格县督导评估).

A built-in provincial plugin, registered through the ``junheng`` entry-point group
like any third-party plugin and using only the public hook API.
"""

from importlib import resources

from junheng import hookimpl


@hookimpl
def junheng_rulesets():
    folder = resources.files("junheng.rulesets").joinpath("chongqing")
    return [folder.joinpath("qualified.toml")]
