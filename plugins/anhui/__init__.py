"""Anhui: school standard for initial balance (皖教督[2013]7号).

A built-in provincial plugin, registered through the ``junheng`` entry-point group
like any third-party plugin and using only the public hook API.
"""

from importlib import resources

from junheng import hookimpl


@hookimpl
def junheng_rulesets():
    folder = resources.files("junheng.rulesets").joinpath("anhui")
    return [folder.joinpath("school-standard-2013.toml")]
