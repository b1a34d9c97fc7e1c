"""Sichuan: basic balance (川教督[2024]1号).

A built-in provincial plugin, registered through the ``junheng`` entry-point group
like any third-party plugin and using only the public hook API.
"""

from importlib import resources

from junheng import hookimpl


@hookimpl
def junheng_rulesets():
    folder = resources.files("junheng.rulesets").joinpath("sichuan")
    return [folder.joinpath("basic-2024.toml")]
