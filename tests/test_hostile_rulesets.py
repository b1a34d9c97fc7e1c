"""Hostile rulesets corpus: every case is refused at load, located, in bounded time and memory.

A ruleset reaches junheng from a plugin or a downloaded file. Each case below is
a set of TOML files (text or raw bytes) handed to the engine by a test plugin;
the case names the ruleset id to load and a fragment the refusal must contain.
"Refused" means either the engine lists a plugin problem naming the file (the
file never becomes a ruleset) or ``engine.ruleset(id)`` raises
:class:`RulesetError`; in both cases the message must name a file (or the
``extends`` chain) and no other exception type may escape. Each case must
finish within :data:`MAX_SECONDS` and allocate at most :data:`MAX_PEAK_BYTES`
(tracemalloc peak, on top of the engine already imported).

The corpus is the :data:`CASES` table (``id: (files, load, expected)``); the
counts are asserted by :func:`test_corpus_size`. See SECURITY.md.
"""

from __future__ import annotations

import importlib
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from junheng import hookimpl
from junheng.engine import Engine
from junheng.ruleset import RulesetError

MAX_SECONDS = 2.0
MAX_PEAK_BYTES = 64 * 1024 * 1024

HEAD = 'id = "t.bad"\ntitle = "坏规则集"\nsource = "测试"\n'


def ind(formula: str, rid: str = "x", extra: str = "") -> str:
    """An indicator table with ``formula`` (TOML literal string when possible)."""
    quoted = f"'''{formula}'''" if "'''" not in formula and "\n" not in formula else repr(formula)
    return f'[indicators.{rid}]\ntitle = "x"\nsource = "s"\nformula = {quoted}\n{extra}'


def veto(when: str, rid: str = "v") -> str:
    return f"[vetoes.{rid}]\ntitle = \"v\"\nsource = \"s\"\nwhen = '''{when}'''\n"


def child(rid: str, parent: str, body: str = "") -> str:
    return f'id = "{rid}"\ntitle = "子"\nsource = "s"\nextends = "{parent}"\n{body}'


def chain_of_indicators(n: int) -> str:
    """x0 reads x1 reads x2 … — a long dependency chain (a cycle when it closes)."""
    return "".join(ind(f"x{i + 1} + 1", f"x{i}") for i in range(n - 1)) + ind("x0 + 1", f"x{n - 1}")


def balanced(leaves: int) -> str:
    """A balanced sum of ``leaves`` ones: shallow, short text, many nodes."""
    return "1" if leaves == 1 else f"({balanced(leaves // 2)}+{balanced(leaves - leaves // 2)})"


def many_indicators(n: int) -> str:
    return "".join(ind("students + 1", f"i{i}") for i in range(n))


def score(nodes: str) -> str:
    return f'[score]\ntitle = "评分"\nsource = "s"\npass_min = 60\n{nodes}'


def node(nid: str, parent: str | None, extra: str = 'when = "1 > 0"') -> str:
    p = f'parent = "{parent}"\n' if parent else ""
    return f'[[score.nodes]]\nid = "{nid}"\ntitle = "n"\npoints = 10\n{p}{extra}\n'


File = str | bytes
Case = tuple[dict[str, File] | Callable[[], dict[str, File]], str, str]

CASES: dict[str, Case] = {
    # -- formulas: constructs outside the whitelist -------------------------------------
    "attribute_access": ({"a.toml": HEAD + ind("students.real")}, "t.bad", "属性访问"),
    "dunder_attribute": ({"a.toml": HEAD + ind("students.__class__")}, "t.bad", "属性访问"),
    "dunder_name": ({"a.toml": HEAD + ind("__builtins__")}, "t.bad", "下划线"),
    "import_call": (
        {"a.toml": HEAD + veto("__import__('os').system('id')")},
        "t.bad",
        "只能调用",
    ),
    "eval_call": ({"a.toml": HEAD + ind("eval('1')")}, "t.bad", "未登记的函数 'eval'"),
    "open_call": ({"a.toml": HEAD + ind("open('/etc/passwd')")}, "t.bad", "未登记的函数"),
    "method_call": ({"a.toml": HEAD + ind("students.bit_length()")}, "t.bad", "只能调用"),
    "lambda": ({"a.toml": HEAD + ind("(lambda: 1)()")}, "t.bad", "只能调用"),
    "bare_lambda": ({"a.toml": HEAD + ind("lambda x: x")}, "t.bad", "lambda"),
    "list_comprehension": ({"a.toml": HEAD + ind("[x for x in (1, 2)]")}, "t.bad", "推导"),
    "generator_in_call": ({"a.toml": HEAD + ind("max(x for x in (1, 2))")}, "t.bad", "生成器"),
    "dict_comprehension": ({"a.toml": HEAD + ind("{x: 1 for x in (1,)}")}, "t.bad", "推导"),
    "subscript": ({"a.toml": HEAD + ind("students[0]")}, "t.bad", "下标"),
    "fstring": ({"a.toml": HEAD + ind('f"{students}"')}, "t.bad", "f-string"),
    "string_constant": ({"a.toml": HEAD + ind("'rm -rf'")}, "t.bad", "数字常数"),
    "walrus": ({"a.toml": HEAD + ind("(y := students)")}, "t.bad", "赋值"),
    "starred_call": ({"a.toml": HEAD + ind("max(*students)")}, "t.bad", "展开"),
    "keyword_call": ({"a.toml": HEAD + ind("round(students, ndigits=2)")}, "t.bad", "关键字"),
    "left_shift": ({"a.toml": HEAD + ind("1 << 100000")}, "t.bad", "<<"),
    "floor_div": ({"a.toml": HEAD + ind("students // 2")}, "t.bad", "//"),
    "membership": ({"a.toml": HEAD + ind("students in (1, 2)")}, "t.bad", "in"),
    "yield": ({"a.toml": HEAD + ind("(yield)")}, "t.bad", "yield"),
    "statement": ({"a.toml": HEAD + ind("import os")}, "t.bad", "语法错误"),
    "null_byte": (
        {
            "a.toml": HEAD
            + '[indicators.x]\ntitle = "x"\nsource = "s"\nformula = "students\\u0000"\n'
        },
        "t.bad",
        "控制字符",
    ),
    "series_form_outside_multi_year": (
        {"a.toml": HEAD + ind("growth(students)")},
        "t.bad",
        "多年度",
    ),
    # -- formulas: resource bounds ------------------------------------------------------
    "tower_exponent": ({"a.toml": HEAD + ind("10**10**10")}, "t.bad", "指数"),
    "variable_exponent": ({"a.toml": HEAD + ind("students ** teachers")}, "t.bad", "指数"),
    "big_exponent": ({"a.toml": HEAD + ind("students ** 1000")}, "t.bad", "指数"),
    "huge_constant": ({"a.toml": HEAD + ind("1e300 * students")}, "t.bad", "常数"),
    "infinite_constant": ({"a.toml": HEAD + ind("1e999")}, "t.bad", "常数"),
    "deep_parentheses": (
        {"a.toml": HEAD + ind("(" * 900 + "students" + ")" * 900)},
        "t.bad",
        "嵌套",
    ),
    "deep_unary": ({"a.toml": HEAD + ind("-" * 1500 + "students")}, "t.bad", "嵌套"),
    "deep_calls": ({"a.toml": HEAD + ind("abs(" * 300 + "students" + ")" * 300)}, "t.bad", "嵌套"),
    "too_many_nodes": ({"a.toml": HEAD + ind(balanced(256))}, "t.bad", "节点"),
    "very_long_formula": (
        {"a.toml": HEAD + ind("students + " * 20000 + "1")},
        "t.bad",
        "上限 2000",
    ),
    "shortfall_formula_hostile": (
        {"a.toml": HEAD + ind("students", extra="shortfall = '__import__'\n")},
        "t.bad",
        "下划线",
    ),
    "school_rule_hostile": (
        {
            "a.toml": HEAD
            + '[school_rules.r]\ntitle = "r"\nsource = "s"\nformula = "().__class__"\n'
        },
        "t.bad",
        "属性访问",
    ),
    "score_formula_hostile": (
        {"a.toml": HEAD + score(node("n1", None, "formula = 'globals()'"))},
        "t.bad",
        "未登记的函数",
    ),
    "multi_year_hostile": (
        {
            "a.toml": HEAD
            + '[multi_year.m]\ntitle = "m"\nsource = "s"\nyears = 3\ncondition = "growth(x).real"\n'
        },
        "t.bad",
        "属性访问",
    ),
    # -- rule structure -------------------------------------------------------------------
    "indicator_self_reference": ({"a.toml": HEAD + ind("x + 1")}, "t.bad", "循环引用"),
    "long_indicator_cycle": (lambda: {"a.toml": HEAD + chain_of_indicators(400)}, "t.bad", "循环"),
    "too_many_indicators": (lambda: {"a.toml": HEAD + many_indicators(3000)}, "t.bad", "500"),
    "score_parent_cycle": (
        {"a.toml": HEAD + score(node("a", "b", "") + node("b", "a", ""))},
        "t.bad",
        "循环",
    ),
    "score_duplicate_node": (
        {"a.toml": HEAD + score(node("a", None) + node("a", None))},
        "t.bad",
        "重复",
    ),
    "score_self_parent": ({"a.toml": HEAD + score(node("a", "a"))}, "t.bad", "循环"),
    "threshold_nan": (
        {"a.toml": HEAD + ind("students", extra="threshold = nan\n")},
        "t.bad",
        "nan",
    ),
    "cv_limit_infinite": (
        {"a.toml": HEAD + ind("students", extra="cv_limit = inf\n")},
        "t.bad",
        "inf",
    ),
    "parameter_nan": (
        {"a.toml": HEAD + '[parameters.p]\ntitle = "p"\nsource = "s"\nvalue = -nan\n'},
        "t.bad",
        "nan",
    ),
    "threshold_string": (
        {"a.toml": HEAD + ind("students", extra="threshold = 'lots'\n")},
        "t.bad",
        "threshold",
    ),
    "unknown_top_level_key": ({"a.toml": HEAD + "exec = 'rm -rf /'\n"}, "t.bad", "exec"),
    "preparation_unknown_key": (
        {"a.toml": HEAD + "[preparation]\nhook = 'x'\n"},
        "t.bad",
        "hook",
    ),
    "k_of_n_unknown_indicator": (
        {
            "a.toml": HEAD
            + '[school_rules.r]\ntitle = "r"\nsource = "s"\nkind = "k_of_n"\n'
            + 'indicators = ["nope"]\nmin_met = 1\n'
        },
        "t.bad",
        "nope",
    ),
    "k_of_n_min_met_above_n": (
        {
            "a.toml": HEAD
            + ind("students")
            + '[school_rules.r]\ntitle = "r"\nsource = "s"\nkind = "k_of_n"\n'
            + 'indicators = ["x"]\nmin_met = 5\n'
        },
        "t.bad",
        "min_met",
    ),
    "missing_id": ({"a.toml": 'title = "无编号"\nsource = "s"\n'}, "t.bad", "id"),
    "bad_id": ({"a.toml": 'id = "../../etc/passwd"\ntitle = "t"\nsource = "s"\n'}, "t.bad", "id"),
    "datetime_value": ({"a.toml": HEAD + "version = 1979-05-27T07:32:00Z\n"}, "t.bad", "version"),
    # -- sanity (issue 12): numbers no policy gives, a ruleset judging nothing ----------
    "negative_cv_limit": (
        {
            "a.toml": child(
                "t.bad",
                "national.quality.2017",
                "[indicators.teaching_room_area_per_student]\ncv_limit = -0.5\n",
            )
        },
        "t.bad",
        "值 -0.5 应大于 0",
    ),
    "zero_cv_limit_per_stage": (
        {
            "a.toml": child(
                "t.bad",
                "national.quality.2017",
                "[indicators.teaching_room_area_per_student]\ncv_limit = { primary = 0, junior = 0.45 }\n",
            )
        },
        "t.bad",
        "应大于 0",
    ),
    "string_threshold": (
        {
            "a.toml": child(
                "t.bad",
                "national.quality.2017",
                '[indicators.teaching_room_area_per_student]\nthreshold = "4.5"\n',
            )
        },
        "t.bad",
        "的类型不对，应为数字",
    ),
    "empty_ruleset": ({"a.toml": HEAD}, "t.bad", "没有任何评估项目"),
    "indicators_without_limits": (
        {"a.toml": HEAD + ind("students * 2")},
        "t.bad",
        "没有任何评估项目",
    ),
    "round_digits_divide_by_zero": (
        {"a.toml": HEAD + ind("round(students, 1/0)", extra="threshold = 1\n")},
        "t.bad",
        "第 2 个参数应为 -15 到 15 之间的整数常数",
    ),
    "round_digits_huge": (
        {"a.toml": HEAD + ind("round(students, 1e15)", extra="threshold = 1\n")},
        "t.bad",
        "整数常数",
    ),
    "round_digits_a_name": (
        {"a.toml": HEAD + ind("round(students, students)", extra="threshold = 1\n")},
        "t.bad",
        "整数常数",
    ),
    # -- text, TOML bombs -----------------------------------------------------------------
    "very_long_title": (
        {"a.toml": 'id = "t.bad"\nsource = "s"\ntitle = "' + "长" * 5000 + '"\n'},
        "t.bad",
        "title",
    ),
    "file_too_large": (lambda: {"a.toml": HEAD + "# " + "x" * 1_100_000 + "\n"}, "t.bad", "过大"),
    "deep_inline_tables": (
        {"a.toml": HEAD + "note = " + "{a = " * 2000 + "1" + "}" * 2000 + "\n"},
        "t.bad",
        "TOML",
    ),
    "deep_arrays": ({"a.toml": HEAD + "note = " + "[" * 5000 + "]" * 5000 + "\n"}, "t.bad", "TOML"),
    "moderately_deep_arrays": (
        {"a.toml": HEAD + "stages = " + "[" * 150 + "]" * 150 + "\n"},
        "t.bad",
        "stages",
    ),
    "deep_dotted_table": (
        {"a.toml": HEAD + "[" + ".".join(["a"] * 3000) + "]\nx = 1\n"},
        "t.bad",
        "a.toml",
    ),
    "huge_array": (
        lambda: {"a.toml": HEAD + "stages = [" + "'primary'," * 30_000 + "]\n"},
        "t.bad",
        "值过多",
    ),
    "huge_remove_list": (
        lambda: {
            "a.toml": child("t.bad", "national.quality.2017")
            + "remove = ["
            + "'vetoes.x'," * 25_000
            + "]\n"
        },
        "t.bad",
        "值过多",
    ),
    "long_remove_list": (
        {
            "a.toml": child("t.bad", "national.quality.2017")
            + "remove = ["
            + "'vetoes.x'," * 600
            + "]\n"
        },
        "t.bad",
        "数组过长",
    ),
    "many_keys": (
        lambda: {"a.toml": HEAD + "[junk]\n" + "".join(f"k{i} = 1\n" for i in range(25_000))},
        "t.bad",
        "值过多",
    ),
    "toml_syntax_error": ({"a.toml": HEAD + "title = [\n"}, "t.bad", "TOML"),
    "duplicate_key": ({"a.toml": HEAD + 'title = "again"\n'}, "t.bad", "TOML"),
    "not_utf8_gbk": ({"a.toml": HEAD.encode("gbk")}, "t.bad", "UTF-8"),
    "utf16": ({"a.toml": HEAD.encode("utf-16")}, "t.bad", "UTF-8"),
    "binary_garbage": ({"a.toml": bytes(range(256)) * 4}, "t.bad", "UTF-8"),
    "empty_file": ({"a.toml": b""}, "t.bad", "id"),
    "not_a_toml_but_zip": ({"a.toml": b"PK\x03\x04" + b"\x00" * 100}, "t.bad", "a.toml"),
    # -- extends --------------------------------------------------------------------------
    "self_extends": ({"a.toml": child("t.bad", "t.bad")}, "t.bad", "循环"),
    "extends_cycle_of_three": (
        {
            "a.toml": child("t.bad", "t.b"),
            "b.toml": child("t.b", "t.c"),
            "c.toml": child("t.c", "t.bad"),
        },
        "t.bad",
        "循环",
    ),
    "unknown_parent": ({"a.toml": child("t.bad", "t.nowhere")}, "t.bad", "t.nowhere"),
    "extends_too_deep": (
        lambda: (
            {
                f"c{i}.toml": child(f"t.c{i}", f"t.c{i + 1}")
                if i < 11
                else child("t.c11", "national.quality.2017")
                for i in range(12)
            }
            | {"a.toml": child("t.bad", "t.c0")}
        ),
        "t.bad",
        "层数",
    ),
    "extends_not_a_string": ({"a.toml": HEAD + "extends = 42\n"}, "t.bad", "extends"),
    "remove_unknown_rule": (
        {"a.toml": child("t.bad", "national.quality.2017", 'remove = ["vetoes.nope"]\n')},
        "t.bad",
        "vetoes.nope",
    ),
    "child_breaks_parent_formula": (
        {
            "a.toml": child(
                "t.bad",
                "national.quality.2017",
                "[indicators.sports_area_per_student]\nformula = 'sports_area_m2.__dict__'\n",
            )
        },
        "t.bad",
        "属性访问",
    ),
    "child_threshold_nan": (
        {
            "a.toml": child(
                "t.bad",
                "national.quality.2017",
                "[indicators.sports_area_per_student]\nthreshold = nan\n",
            )
        },
        "t.bad",
        "nan",
    ),
    "duplicate_id_across_files": (
        {"a.toml": HEAD, "b.toml": HEAD + ind("students")},
        "dup",
        "已由插件",
    ),
    "duplicate_of_builtin_id": (
        {"a.toml": 'id = "national.quality.2017"\ntitle = "冒名"\nsource = "s"\n'},
        "dup",
        "已由插件",
    ),
}


class FilesPlugin:
    __name__ = "hostile"

    def __init__(self, files: list[Path]):
        self.files = files

    @hookimpl
    def junheng_rulesets(self):
        return self.files


NATIONAL = importlib.import_module("junheng.plugins.national")


def _refusal(engine: Engine, load: str, paths: list[Path]) -> str:
    """The message refusing the case; fails the test if nothing was refused."""
    names = [str(p) for p in paths]
    problems = [p.message for p in engine.problems if any(n in p.message for n in names)]
    if load == "dup":
        assert problems, "duplicate id not reported"
        return "\n".join(problems)
    if load not in engine.ruleset_ids():
        assert problems, f"{load} missing but no problem names its file: {engine.problems}"
        return "\n".join(problems)
    try:
        engine.ruleset(load)
    except RulesetError as exc:
        return "\n".join([*problems, str(exc)])
    raise AssertionError(f"{load} was loaded, not refused")


def _write(tmp_path: Path, files: dict[str, File]) -> list[Path]:
    paths = []
    for name, content in files.items():
        p = tmp_path / name
        if isinstance(content, str):
            p.write_text(content, encoding="utf-8")
        else:
            p.write_bytes(content)
        paths.append(p)
    return paths


def test_corpus_size():
    assert len(CASES) >= 90


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_ruleset_is_refused(tmp_path, case):
    files, load, expected = CASES[case]
    files = files() if callable(files) else files
    paths = _write(tmp_path, files)
    Engine(entry_points=False, plugins=[NATIONAL])  # warm caches outside the measurement
    started = time.perf_counter()
    engine = Engine(entry_points=False, plugins=[NATIONAL, FilesPlugin(paths)])
    message = _refusal(engine, load, paths)
    elapsed = time.perf_counter() - started
    # memory: the same load again under tracemalloc (which slows it, so timed apart)
    tracemalloc.start()
    try:
        _refusal(Engine(entry_points=False, plugins=[NATIONAL, FilesPlugin(paths)]), load, paths)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert expected in message, message[:2000]
    assert any(str(p) in message for p in paths) or "→" in message, message[:2000]
    assert "Traceback" not in message
    assert elapsed < MAX_SECONDS, f"{case}: {elapsed:.2f} s"
    assert peak < MAX_PEAK_BYTES, f"{case}: {peak / 1e6:.1f} MB"
