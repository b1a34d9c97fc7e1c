"""Ruleset files: refused at load with located messages; extends overlays; the runner itself."""

from pathlib import Path

import attrs
import pytest

from junheng import hookimpl
from junheng.engine import Engine
from junheng.ruleset import RulesetError
from junheng.testing import check_case, load_case

CASES = Path(__file__).parent / "cases"


class FilesPlugin:
    def __init__(self, *files):
        self.__name__ = "test-files"
        self.files = files

    @hookimpl
    def junheng_rulesets(self):
        return list(self.files)


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


HEADER = 'id = "t.bad"\ntitle = "坏规则集"\nsource = "测试"\n'


def load(tmp_path, body, name="bad.toml"):
    path = write(tmp_path, name, HEADER + body)
    engine = Engine(plugins=[FilesPlugin(path)])
    return engine, path


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('[indicators.x]\ntitle = "x"\nsource = "s"\nformula = "students.real"\n', "属性访问"),
        (
            '[indicators.x]\ntitle = "x"\nsource = "s"\nformula = "studnets / 2"\n',
            "未知名称 'studnets'",
        ),
        (
            '[indicators.x]\ntitle = "x"\nsource = "s"\nformula = "evil(students)"\n',
            "未登记的函数 'evil'",
        ),
        ('[indicators.x]\ntitle = "x"\nsource = "s"\nformula = "students +"\n', "语法错误"),
        ('[vetoes.v]\ntitle = "v"\nsource = "s"\nwhen = "__import__"\n', "下划线"),
    ],
)
def test_bad_formula_is_refused_naming_file_rule_and_token(tmp_path, body, expected):
    engine, path = load(tmp_path, body)
    with pytest.raises(RulesetError) as info:
        engine.ruleset("t.bad")
    msg = str(info.value)
    assert str(path) in msg
    assert "规则 " in msg
    assert expected in msg


def test_toml_syntax_error_is_a_plugin_problem_not_a_crash(tmp_path):
    path = write(tmp_path, "broken.toml", 'id = "t.broken"\ntitle = [\n')
    engine = Engine(plugins=[FilesPlugin(path)])
    assert "t.broken" not in engine.ruleset_ids()
    assert any("TOML" in p.message and str(path) in p.message for p in engine.problems)
    # the built-in rulesets still load
    assert "national.quality.2017" in engine.ruleset_ids()


def test_structure_errors_are_all_reported(tmp_path):
    body = '[indicators.x]\nformula = "students"\n[vetoes.v]\ntitle = "v"\n'
    path = write(tmp_path, "s.toml", HEADER + body)
    engine = Engine(plugins=[FilesPlugin(path)])
    problems = [p.message for p in engine.problems if str(path) in p.message]
    assert problems, engine.problems
    text = problems[0]
    assert "indicators.x" in text and "vetoes.v" in text


def test_all_problems_at_once(tmp_path):
    body = (
        '[indicators.x]\ntitle = "x"\nsource = "s"\nformula = "a1 / students"\n'
        '[indicators.y]\ntitle = "y"\nsource = "s"\nformula = "b2 / students"\n'
    )
    engine, _ = load(tmp_path, body)
    with pytest.raises(RulesetError) as info:
        engine.ruleset("t.bad")
    assert len(info.value.problems) == 2


def test_extends_cycle_is_refused(tmp_path):
    a = write(tmp_path, "a.toml", 'id = "t.a"\ntitle = "a"\nsource = "s"\nextends = "t.b"\n')
    b = write(tmp_path, "b.toml", 'id = "t.b"\ntitle = "b"\nsource = "s"\nextends = "t.a"\n')
    engine = Engine(plugins=[FilesPlugin(a, b)])
    with pytest.raises(RulesetError, match="循环"):
        engine.ruleset("t.a")


def test_indicator_cycle_is_refused(tmp_path):
    body = (
        '[indicators.x]\ntitle = "x"\nsource = "s"\nformula = "y + 1"\n'
        '[indicators.y]\ntitle = "y"\nsource = "s"\nformula = "x + 1"\n'
    )
    engine, _ = load(tmp_path, body)
    with pytest.raises(RulesetError, match="循环引用"):
        engine.ruleset("t.bad")


def test_overlay_overrides_one_threshold_and_keeps_the_rest(tmp_path):
    path = write(
        tmp_path,
        "o.toml",
        'id = "t.overlay"\ntitle = "o"\nsource = "s"\nextends = "national.quality.2017"\n'
        'remove = ["vetoes.illegal_school_choice"]\n'
        "[indicators.equipment_value_per_student]\nthreshold = { primary = 2200, junior = 2500 }\n"
        'source = "某省细则"\n',
    )
    engine = Engine(plugins=[FilesPlugin(path)])
    rs = engine.ruleset("t.overlay")
    ind = rs.indicators["equipment_value_per_student"]
    assert ind.threshold.primary == 2200
    assert ind.meta.source == "某省细则"
    assert ind.meta.origin == str(path)
    assert rs.indicators["sports_area_per_student"].threshold.primary == 7.5
    assert "illegal_school_choice" not in rs.vetoes
    assert "admission_by_exam" in rs.vetoes
    assert rs.files[-1] == str(path)


def test_case_runner_reports_a_wrong_expectation():
    case = load_case(CASES / "national.quality.2017" / "six_of_seven_86pct.toml")
    assert check_case(case) == []
    wrong = dict(case.expect)
    wrong["schools"] = {"A": {"primary": {"passed": False}}}
    problems = check_case(attrs.evolve(case, expect=wrong))
    assert problems and "passed" in problems[0]
