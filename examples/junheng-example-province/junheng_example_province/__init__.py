"""示例省（a fictional province）: a third-party junheng plugin.

Registered in the entry-point group ``junheng`` by this distribution's
``pyproject.toml``; it uses nothing but the public hook API
(``from junheng import hookimpl``) and ships its ruleset as package data.
"""

from importlib import resources

from junheng import hookimpl

__version__ = "0.1.0"


@hookimpl
def junheng_rulesets():
    """Contribute ``example.quality`` (quality.toml, next to this module)."""
    return [resources.files(__name__).joinpath("quality.toml")]
