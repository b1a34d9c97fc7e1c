"""Plugins: discovery, conflicts, failures, the hooks beyond rulesets, and ``extends`` origins."""

from __future__ import annotations

import importlib
import json
from importlib.metadata import EntryPoint

import pytest

import junheng
from junheng import discovery, hookimpl
from junheng.engine import Engine
from junheng.fields import school_fields
from junheng.formula import FormulaFunction
from junheng.readers import ReadResult

BUILTIN = ["national", "anhui", "chongqing", "gansu", "hebei", "jiangxi", "sichuan"]
SCHOOL = {
    "id": "P1",
    "name": "测试小学",
    "county_code": "990001",
    "year": 2025,
    "school_type": "primary",
    "primary": {"students": 100, "classes": 3, "teachers": 6},
}


def _modules(*names):
    return [importlib.import_module(f"junheng.plugins.{n}") for n in names]


def test_every_builtin_plugin_is_an_entry_point():
    engine = Engine()
    assert {p.name for p in engine.plugins} >= set(BUILTIN)
    assert not engine.problems
    assert {
        "jiangxi.basic.2024",
        "jiangxi.quality",
        "gansu.basic",
        "sichuan.basic.2024",
        "chongqing.qualified",
        "anhui.school-standard.2013",
        "hebei.basic.2024",
    } <= set(engine.ruleset_ids())


def test_removing_a_plugin_removes_its_rulesets_and_nothing_else():
    without = [n for n in BUILTIN if n != "jiangxi"]
    engine = Engine(entry_points=False, plugins=_modules(*without))
    ids = set(engine.ruleset_ids())
    assert not {"jiangxi.basic.2024", "jiangxi.quality"} & ids
    assert {"national.quality.2017", "gansu.basic", "hebei.basic.2024"} <= ids
    for rid in ids:
        engine.ruleset(rid)  # every remaining ruleset still loads
    report = engine.evaluate("gansu.basic", [SCHOOL])
    assert report.counties[0].passed is False  # no county data: cannot pass, but evaluates


def test_a_provincial_ruleset_without_its_parent_is_reported_not_fatal():
    engine = Engine(entry_points=False, plugins=_modules("jiangxi"))
    with pytest.raises(junheng.ruleset.RulesetError, match=r"national\.quality\.2017"):
        engine.ruleset("jiangxi.quality")


def test_a_plugin_that_fails_to_import_is_named(monkeypatch):
    real = list(discovery.entry_points(group="junheng"))
    broken = EntryPoint(name="broken-province", value="no_such_module_xyz", group="junheng")
    monkeypatch.setattr(discovery, "entry_points", lambda group: [*real, broken])
    engine = Engine()
    assert any(
        p.plugin == "broken-province" and "no_such_module_xyz" in p.message for p in engine.problems
    )
    assert "jiangxi.quality" in engine.ruleset_ids()  # the rest keep working


class _Dup:
    def __init__(self, name, files=(), functions=()):
        self.__name__ = name
        self._files, self._functions = files, functions

    @hookimpl
    def junheng_rulesets(self):
        return self._files

    @hookimpl
    def junheng_formula_functions(self):
        return self._functions


def test_conflicting_ruleset_ids_and_function_names_are_reported_naming_the_plugin():
    national = _modules("national")[0]
    files = national.junheng_rulesets()
    fn = FormulaFunction("twice", lambda x: x * 2, 1, 1, "两倍")
    engine = Engine(
        entry_points=False,
        plugins=[
            national,
            _Dup("copycat", files=files, functions=[fn]),
            _Dup("second", functions=[fn]),
        ],
    )
    messages = {(p.plugin, p.message.split(" ")[0]) for p in engine.problems}
    assert ("copycat", "规则集") in messages
    assert ("second", "函数") in messages
    assert engine.contributions["junheng.plugins.national"]["rulesets"] == [
        "national.basic.2012",
        "national.quality.2017",
    ]
    assert engine.contributions["copycat"]["functions"] == ["twice"]


class _Raising:
    __name__ = "raising"

    @hookimpl
    def junheng_rulesets(self):
        raise RuntimeError("boom")


def test_a_hook_that_raises_is_named_and_the_rest_work():
    engine = Engine(entry_points=False, plugins=[*_modules("national"), _Raising()])
    assert any(p.plugin == "raising" and "boom" in p.message for p in engine.problems)
    assert "national.quality.2017" in engine.ruleset_ids()


class _Province:
    """A plugin using the other hooks: a field, a reader, a report section."""

    __name__ = "testprov"

    @hookimpl
    def junheng_schema_extensions(self):
        return {
            "school": {
                "testprov_labs": {
                    "type": "integer",
                    "title": "测试省实验室数",
                    "description": "Labs (test province).",
                    "x-unit": "间",
                    "minimum": 0,
                    "maximum": 100,
                },
                "primary": {"type": "integer", "title": "重名"},  # exists: reported
            },
            "county": {"items.testprov_flag": {"type": "boolean", "title": "测试省标志"}},
        }

    @hookimpl
    def junheng_readers(self):
        def read(path, kind):
            records = json.loads(path.read_text("utf-8"))["data"]
            return ReadResult(records, [], list(range(1, len(records) + 1)), path.name, "条")

        return {".testprov": read}

    @hookimpl
    def junheng_report_sections(self, report):
        return [
            {
                "id": "testprov.summary",
                "title": "测试省汇总",
                "columns": ["县", "通过"],
                "rows": [[c.county_code, c.passed] for c in report.counties],
            },
            {"id": "bad", "rows": "not a list"},
        ]


def test_schema_extension_reader_and_report_section(tmp_path):
    engine = Engine(entry_points=False, plugins=[*_modules("national"), _Province()])
    fields = engine.registry.school_fields
    assert "testprov_labs" in fields
    assert fields.get("testprov_labs").title == "测试省实验室数"
    assert "testprov_labs" not in school_fields()  # the engine's, not the process's
    assert engine.contributions["testprov"]["fields"] == [
        "school:testprov_labs",
        "county:items.testprov_flag",
    ]
    assert any(p.plugin == "testprov" and "primary" in p.message for p in engine.problems)

    # the added field validates like a built-in one
    bad = {**SCHOOL, "testprov_labs": -1}
    with pytest.raises(junheng.InputError, match="testprov_labs"):
        engine.evaluate("national.quality.2017", [bad])

    # the plugin reader handles its extension
    path = tmp_path / "schools.testprov"
    path.write_text(json.dumps({"data": [{**SCHOOL, "testprov_labs": 3}]}), "utf-8")
    read = engine.read_schools(path)
    assert read.records[0]["testprov_labs"] == 3 and not read.issues

    report = engine.evaluate("national.quality.2017", read.records)
    sections = report.to_dict()["sections"]
    assert sections == [
        {
            "id": "testprov.summary",
            "title": "测试省汇总",
            "columns": ["县", "通过"],
            "rows": [["990001", False]],
            "plugin": "testprov",
        }
    ]
    assert any("testprov" in p for p in report.provenance["plugin_problems"])


def test_resolved_origin_is_per_key_where_a_child_overrides_some_keys():
    rs = Engine().ruleset("jiangxi.quality")
    meta = rs.indicators["backbone_teachers_per100"].meta
    assert meta.key_origins["formula"].endswith("jiangxi/quality.toml")
    assert meta.key_origins["threshold"].endswith("national/quality-2017.toml")
    assert (
        rs.indicators["teaching_room_area_per_student"]
        .meta.key_origins["owner"]
        .endswith("jiangxi/quality.toml")
    )


def test_cli_plugins_lists_contributions(run_cli):
    done = run_cli("plugins")
    assert done.returncode == 0, done.stderr
    for name in BUILTIN:
        assert name in done.stdout
    assert "jiangxi.quality" in done.stdout


def test_cli_rulesets_show_resolved_prints_key_origins(run_cli):
    done = run_cli("rulesets", "show", "jiangxi.quality", "--resolved")
    assert done.returncode == 0, done.stderr
    text = "".join(done.stdout.split())
    assert (
        "threshold" in text
        and "jiangxi/quality.toml" in text
        and "national/quality-2017.toml" in text
    )


def test_cli_rulesets_list_shows_every_ruleset_with_unverified_counts(run_cli):
    done = run_cli("rulesets", "list", "--format", "table")  # the table, though piped
    assert done.returncode == 0, done.stderr
    for rid in (
        "jiangxi.quality",
        "gansu.basic",
        "chongqing.qualified",
        "anhui.school-standard.2013",
    ):
        assert rid in done.stdout
    assert "待核实" in done.stdout
