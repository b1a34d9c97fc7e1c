"""The plugin is installed and its ruleset loads.

The hand-worked cases under ``tests/cases/`` need no test module: junheng's pytest
plugin collects every ``tests/cases/**/*.toml`` file as a test (``python -m pytest``).
A case failing with "unknown ruleset" means the plugin is not installed (or its
entry point is wrong).
"""

from junheng import Engine


def test_plugin_is_discovered_and_its_ruleset_loads():
    engine = Engine()
    assert "example.quality" in engine.ruleset_ids(), [str(p) for p in engine.problems]
    assert not [p for p in engine.problems if p.plugin == "example"]
    engine.ruleset("example.quality")
