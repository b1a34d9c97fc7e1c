"""The plugin framework: engine-owned registries, pluggy as pluggy, hook semantics, containment.

Each test builds real engines with real plugin objects (no mocks): two engines in
one process, hook wrappers and tracing through pluggy's own manager, tryfirst,
prepare_records composing per county, misspelt hooks, bad return values.
"""

from __future__ import annotations

import copy
import importlib
from pathlib import Path

import pytest

import junheng
from junheng import Engine, hookimpl
from junheng.fields import county_fields, school_fields
from junheng.formula import FormulaFunction
from junheng.ruleset import RulesetError

BUILTIN = ["national", "anhui", "chongqing", "gansu", "hebei", "jiangxi", "sichuan"]
NATIONAL = importlib.import_module("junheng.plugins.national")


def _modules(*names):
    return [importlib.import_module(f"junheng.plugins.{n}") for n in names]


def _school(sid: str, code: str = "990001", **extra):
    return {
        "id": sid,
        "name": f"学校{sid}",
        "county_code": code,
        "year": 2025,
        "school_type": "primary",
        "primary": {"students": 100, "classes": 4, "teachers": 8},
        **extra,
    }


class _Labs:
    """A school field, a formula function reading it, a ruleset using both."""

    __name__ = "labs"

    def __init__(self, tmp_path: Path):
        self.path = tmp_path / "labs.toml"
        self.path.write_text(
            'id = "labs.quality"\ntitle = "实验室"\nsource = "测试"\n'
            'extends = "national.quality.2017"\n'
            "[indicators.labs_per100]\n"
            'title = "每百名学生实验室数"\nsource = "测试细则第一条"\n'
            'formula = "per100(labs_count, students)"\nunit = "间/百名学生"\n'
            "threshold = 1\n",
            encoding="utf-8",
        )

    @hookimpl
    def junheng_schema_extensions(self):
        return {
            "school": {
                "labs_count": {
                    "type": "integer",
                    "title": "实验室数",
                    "description": "Labs.",
                    "x-unit": "间",
                    "minimum": 0,
                    "maximum": 100,
                }
            }
        }

    @hookimpl
    def junheng_formula_functions(self):
        return [FormulaFunction("per100", lambda x, n: x / n * 100, 2, 2, "每百名")]

    @hookimpl
    def junheng_rulesets(self):
        return [self.path]


# -- the registry belongs to the engine ------------------------------------------------


def test_two_engines_in_one_process_are_independent(tmp_path):
    with_labs = Engine(entry_points=False, plugins=[NATIONAL, _Labs(tmp_path)])
    plain = Engine(entry_points=False, plugins=[NATIONAL])
    assert "labs_count" in with_labs.registry.school_fields
    assert "labs_count" not in plain.registry.school_fields
    assert "labs_count" not in school_fields()  # nothing leaked into the module
    assert "per100" in with_labs.registry.functions and "per100" not in plain.registry.functions
    record = _school("A", labs_count=2)
    assert not with_labs.load([record]).has_errors
    assert plain.load([record]).has_errors  # an unknown field for an engine without the plugin
    # building the second engine changed nothing for the first, in either order
    assert (
        not Engine(entry_points=False, plugins=[NATIONAL, _Labs(tmp_path)])
        .load([record])
        .has_errors
    )
    assert plain.load([record]).has_errors
    report = with_labs.evaluate("labs.quality", [record])
    check = report.schools.row(0).checks["labs_per100"]
    assert check.value == pytest.approx(2.0) and check.met is True


def test_a_province_removed_takes_its_fields_and_rulesets_and_nothing_else():
    without = Engine(entry_points=False, plugins=_modules(*[n for n in BUILTIN if n != "gansu"]))
    full = Engine(entry_points=False, plugins=_modules(*BUILTIN))
    assert "gansu.basic" in full.ruleset_ids() and "gansu.basic" not in without.ruleset_ids()
    for name in ("basic_standard_core_met", "basic_standard_ordinary_met"):
        assert name in full.registry.school_fields and name not in without.registry.school_fields
    assert "items.weak_school_renovation_done" in full.registry.county_fields
    assert "items.weak_school_renovation_done" not in without.registry.county_fields
    for rid in without.ruleset_ids():
        without.ruleset(rid)  # every remaining ruleset still loads
    schools, county = without.sample()  # the sample without Gansu's values, and valid for it
    assert "basic_standard_core_met" not in schools[0]
    assert not without.load(schools, county).has_errors
    report = without.evaluate("national.quality.2017", schools, county)
    assert {c.id for c in report.counties[0].failed_criteria} >= {"teacher_rotation"}


def test_core_schemas_name_no_province():
    text = "".join(
        p.read_text("utf-8")
        for p in (Path(junheng.__file__).parent.parent / "schemas").glob("*.json")
    )
    for name in ("Gansu", "Hebei", "Jiangxi", "Sichuan", "Chongqing", "Anhui"):
        assert name.lower() not in text.lower()
    for name in (
        "甘肃",
        "河北",
        "江西",
        "四川",
        "重庆",
        "安徽",
        "冀教",
        "赣府",
        "川教",
        "渝府",
        "皖教",
    ):
        assert name not in text
    assert "basic_standard_core_met" not in school_fields()
    assert "items.weak_school_renovation_done" not in county_fields()


# -- pluggy as pluggy ---------------------------------------------------------------------


class _Recorder:
    __name__ = "recorder"

    def __init__(self):
        self.calls = []

    @hookimpl(wrapper=True)
    def junheng_prepare_records(self, schools):
        self.calls.append(("before", len(schools)))
        result = yield
        self.calls.append(("after", len(schools)))
        return result


class _Drop:
    def __init__(self, name, sid, order, **marks):
        self.__name__ = name
        self.sid = sid
        self.order = order
        self.seen = []
        # pluggy reads the marker from the function: give each instance its own
        fn = lambda schools, county, ruleset_id: self._prepare(schools, county)  # noqa: E731
        self.junheng_prepare_records = hookimpl(**marks)(fn)

    def _prepare(self, schools, county):
        self.seen.append((len(schools), county.get("county_code") if county else None))
        self.order.append(self.__name__)
        schools[:] = [s for s in schools if s["id"] != self.sid]


def test_prepare_records_composes_per_county_in_pluggy_order_with_wrappers():
    order: list[str] = []
    first = _Drop("first", "990001-A", order, tryfirst=True)
    second = _Drop("second", "990001-B", order)
    recorder = _Recorder()
    # registered first→last: pluggy calls the last registered first, but tryfirst wins
    engine = Engine(entry_points=False, plugins=[NATIONAL, second, first, recorder])
    schools = [_school(f"990001-{x}") for x in "ABC"] + [_school("990002-X", "990002")]
    counties = [{"county_code": "990001", "year": 2025}, {"county_code": "990002", "year": 2025}]
    report = engine.evaluate("national.quality.2017", schools, counties)
    ids = {r.id for r in report.schools.rows()}
    assert ids == {"990001-C", "990002-X"}  # both removals took effect
    assert order == ["first", "second", "first", "second"]  # once per county, tryfirst first
    # the second plugin saw what the first left: 3 schools became 2 before it ran
    assert second.seen == [(2, "990001"), (1, "990002")]
    assert first.seen == [(3, "990001"), (1, "990002")]
    assert recorder.calls == [("before", 3), ("after", 1), ("before", 1), ("after", 1)]


def test_hooks_go_through_pluggy_tracing():
    engine = Engine(entry_points=False, plugins=[NATIONAL])
    seen = []
    undo = engine.plugin_manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: seen.append(name), lambda *a: None
    )
    try:
        engine.sample()
        engine.evaluate("national.quality.2017", [_school("990001-A")])
    finally:
        undo()
    assert "junheng_sample" in seen and "junheng_report_sections" in seen


class _Misspelt:
    __name__ = "typo-province"

    @hookimpl
    def junheng_ruleset(self):  # junheng_rulesets
        return []

    def junheng_schema_extension(self):  # unmarked, misspelt too
        return {}


def test_a_misspelt_hook_is_named_with_the_hook_it_meant():
    engine = Engine(entry_points=False, plugins=[NATIONAL, _Misspelt()])
    messages = [p.message for p in engine.problems if p.plugin == "typo-province"]
    assert any("junheng_ruleset" in m and "junheng_rulesets" in m for m in messages), messages
    assert any(
        "junheng_schema_extension" in m and "junheng_schema_extensions" in m for m in messages
    )
    assert "national.quality.2017" in engine.ruleset_ids()  # the others unaffected


class _BadReturns:
    __name__ = "bad-returns"

    @hookimpl
    def junheng_rulesets(self):
        return 42

    @hookimpl
    def junheng_schema_extensions(self):
        return ["not", "a", "mapping"]

    @hookimpl
    def junheng_readers(self):
        return {".dbf": "not callable"}

    @hookimpl
    def junheng_formula_functions(self):
        return [lambda x: x]

    @hookimpl
    def junheng_writers(self):
        return {"pdf": object()}


def test_bad_return_values_are_named_and_ignored():
    engine = Engine(entry_points=False, plugins=[NATIONAL, _BadReturns()])
    messages = " | ".join(p.message for p in engine.problems if p.plugin == "bad-returns")
    for hook in ("junheng_rulesets", "junheng_schema_extensions", "junheng_formula_functions"):
        assert hook in messages, messages
    assert ".dbf" in messages and "pdf" in messages
    assert ".dbf" not in engine.registry.readers and "pdf" not in engine.registry.writers
    report = engine.evaluate("national.quality.2017", [_school("990001-A")])
    assert report.counties


class _BadPrepare:
    __name__ = "bad-prepare"

    @hookimpl
    def junheng_prepare_records(self, schools):
        return [1, 2, 3]


def test_a_prepare_hook_leaving_non_records_is_undone_and_named():
    engine = Engine(entry_points=False, plugins=[NATIONAL, _BadPrepare()])
    report = engine.evaluate("national.quality.2017", [_school("990001-A")])
    assert [r.id for r in report.schools.rows()] == ["990001-A"]
    assert any(p.startswith("bad-prepare:") for p in report.provenance["plugin_problems"])


class _CsvOverride:
    __name__ = "csv-override"

    @hookimpl
    def junheng_readers(self, engine):
        def read(path, kind):
            from junheng.readers import ReadResult

            return ReadResult([_school("OVR")], [], [1], path.name, "行")

        return {".csv": read}


def test_a_plugin_replaces_a_default_reader(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("id\nX\n", encoding="utf-8")
    engine = Engine(entry_points=False, plugins=[NATIONAL, _CsvOverride()])
    assert engine.registry.readers[".csv"].plugin == "csv-override"
    assert engine.read_schools(path).records[0]["id"] == "OVR"
    assert Engine(entry_points=False, plugins=[NATIONAL]).read_schools(path).records[0]["id"] == "X"
    assert not [p for p in engine.problems if p.plugin == "csv-override"]


# -- load-time guarantees -------------------------------------------------------------------


class _Files:
    def __init__(self, *files):
        self.__name__ = "files"
        self.files = files

    @hookimpl
    def junheng_rulesets(self):
        return list(self.files)


HEAD = 'id = "t.cycle"\ntitle = "循环"\nsource = "s"\nextends = "national.quality.2017"\n'


def test_county_items_referring_to_each_other_are_refused_at_load_naming_both(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        HEAD + '[county_items.alpha]\ntitle = "甲"\nsource = "s"\nwhen = "beta"\n'
        '[county_items.beta]\ntitle = "乙"\nsource = "s"\nwhen = "alpha"\n',
        encoding="utf-8",
    )
    engine = Engine(entry_points=False, plugins=[NATIONAL, _Files(path)])
    with pytest.raises(RulesetError) as info:
        engine.ruleset("t.cycle")
    message = str(info.value)
    assert "alpha → beta → alpha" in message and "县级指标" in message and str(path) in message


def test_school_rules_reading_each_other_are_ordered_or_refused(tmp_path):
    ok = tmp_path / "ok.toml"
    ok.write_text(
        HEAD.replace("t.cycle", "t.chain")
        + '[school_rules.both]\ntitle = "两项"\nsource = "s"\nformula = "small and music_room_area"\n'
        '[school_rules.small]\ntitle = "小"\nsource = "s"\nformula = "school_students <= 500"\n',
        encoding="utf-8",
    )
    loop = tmp_path / "loop.toml"
    loop.write_text(
        HEAD + '[school_rules.a]\ntitle = "a"\nsource = "s"\nformula = "b"\n'
        '[school_rules.b]\ntitle = "b"\nsource = "s"\nformula = "a"\n',
        encoding="utf-8",
    )
    engine = Engine(entry_points=False, plugins=[NATIONAL, _Files(ok, loop)])
    rs = engine.ruleset("t.chain")
    assert rs.order.school_rules.index("small") < rs.order.school_rules.index("both")
    school = _school("990001-A", music_room_min_area_m2=100)
    row = engine.evaluate("t.chain", [school]).schools.row(0)
    assert row.checks["both"].met is True
    with pytest.raises(RulesetError, match="学校规则循环引用"):
        engine.ruleset("t.cycle")


def test_structure_errors_inside_one_of_name_the_json_path(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(
        HEAD.replace("t.cycle", "t.param")
        + '[parameters.p]\ntitle = "参数"\nsource = "s"\nvalue = { primary = "4.2", junior = 5 }\n',
        encoding="utf-8",
    )
    engine = Engine(entry_points=False, plugins=[NATIONAL, _Files(path)])
    messages = [p.message for p in engine.problems if str(path) in p.message]
    assert any(
        "$.parameters.p.value.primary" in m and "值 '4.2' 的类型不对，应为数字" in m
        for m in messages
    ), messages
    assert not any("is not valid under any of the given schemas" in m for m in messages)


# -- the sample and its provinces ---------------------------------------------------------------


def test_each_province_fills_its_own_fields_of_the_sample():
    engine = Engine(entry_points=False, plugins=_modules(*BUILTIN))
    schools, county = engine.sample()
    assert all(s["basic_standard_core_met"] == 12 for s in schools)  # gansu
    assert county["items"]["junior_annual_consolidation_rate_pct"] == 98.2  # hebei
    assert county["vetoes"]["enrolment_below_pujiu_standard"] is False  # chongqing
    assert not engine.load(schools, county).has_errors
    core_schools, _ = Engine(entry_points=False, plugins=[NATIONAL]).sample()
    assert "basic_standard_core_met" not in core_schools[0]
    assert copy.deepcopy(schools) == engine.sample()[0]  # fresh copies, the same each time


class _SampleBreaker:
    __name__ = "sample-breaker"

    def __init__(self, how):
        self.how = how

    @hookimpl
    def junheng_sample(self, schools, county):
        self.how(schools, county)


@pytest.mark.parametrize(
    "how, words",
    [
        (lambda s, c: s.append(42), "学校记录中有 int 42"),
        (lambda s, c: c.__setitem__("x", object()), "JSON 不能表示"),
        (lambda s, c: s.__setitem__(0, None), "学校记录中有 NoneType"),
        (lambda s, c: 1 / 0, "ZeroDivisionError"),
    ],
    ids=["int-school", "object-value", "none-school", "raises"],
)
def test_a_sample_hook_that_breaks_the_sample_is_undone_and_named(how, words):
    clean = Engine().sample()
    engine = Engine(plugins=[_SampleBreaker(how)])
    schools, county = engine.sample()
    assert (schools, county) == clean  # undone: the provinces after it saw a good sample
    (problem,) = [p for p in engine.problems if p.plugin == "sample-breaker"]
    assert words in problem.message
    assert not [p for p in engine.problems if p.plugin != "sample-breaker"]  # nobody else blamed
