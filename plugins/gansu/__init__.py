"""Gansu: basic balance (甘肃省县域义务教育发展基本均衡县督导评估实施细则).

A built-in provincial plugin, registered through the ``junheng`` entry-point group
like any third-party plugin and using only the public hook API.
"""

from importlib import resources

from junheng import hookimpl


@hookimpl
def junheng_rulesets():
    folder = resources.files("junheng.rulesets").joinpath("gansu")
    return [folder.joinpath("basic.toml")]
