"""The formula language: semantics over columns, three-valued logic, and refusal of anything else."""

import numpy as np
import pytest

from junheng.formula import FormulaError, as_division, compile_formula

NAMES = ["a", "b", "c", "students", "teachers"]


def ev(text, **cols):
    size = len(next(iter(cols.values())))
    env = {k: np.asarray(v, dtype=float) for k, v in cols.items()}
    return compile_formula(text, NAMES).evaluate(env, size)


def test_arithmetic_over_columns():
    out = ev("a / b * 100", a=[5, 1, 3], b=[100, 50, 10])
    np.testing.assert_allclose(out, [5.0, 2.0, 30.0])


def test_division_by_zero_is_undefined_not_infinite():
    out = ev("a / b", a=[1, 0], b=[0, 0])
    assert np.isnan(out).all()


def test_comparison_with_undefined_is_undefined():
    out = ev("a / b * 100 >= 4.2", a=[5, 3, 1], b=[100, 100, 0])
    assert out[0] == 1.0 and out[1] == 0.0 and np.isnan(out[2])


def test_comparisons_absorb_rounding_noise_but_not_real_gaps():
    # 18 / 2000 * 100 is 0.8999999999999999 in binary floating point: exactly 0.9 is met
    a, b = [18, 17, 18], [2000, 2000, 2000]
    assert ev("a / b * 100 >= 0.9", a=a, b=b).tolist() == [1.0, 0.0, 1.0]
    assert ev("a / b * 100 < 0.9", a=a, b=b).tolist() == [0.0, 1.0, 0.0]
    assert ev("a / b * 100 == 0.9", a=a, b=b).tolist() == [1.0, 0.0, 1.0]
    assert ev("a / b * 100 != 0.9", a=a, b=b).tolist() == [0.0, 1.0, 0.0]
    # the smallest real gap of a per-100 ratio (one teacher among 20,000 students) counts
    assert ev("a / b * 100 >= 0.9", a=[179], b=[20000]).tolist() == [0.0]
    assert ev("a / b * 100 <= 0.9", a=[181], b=[20000]).tolist() == [0.0]
    assert ev("a > b", a=[1.0 + 1e-12], b=[1.0]).tolist() == [0.0]  # noise, not more


def test_kleene_logic():
    # False and undefined = False; True and undefined = undefined; True or undefined = True
    out_and = ev("a > 0 and b / c > 0", a=[0, 1], b=[1, 1], c=[0, 0])
    assert out_and[0] == 0.0 and np.isnan(out_and[1])
    out_or = ev("a > 0 or b / c > 0", a=[1, 0], b=[1, 1], c=[0, 0])
    assert out_or[0] == 1.0 and np.isnan(out_or[1])


def test_conditional_and_functions():
    out = ev("(2500 if a else 2000) - max(b, c)", a=[1, 0], b=[10, 10], c=[20, 5])
    np.testing.assert_allclose(out, [2480, 1990])
    out = ev("ceil(a / 12)", a=[1, 12, 13])
    np.testing.assert_allclose(out, [1, 1, 2])
    out = ev("count_met(a > 1, b > 1, c > 1)", a=[2, 0], b=[2, 2], c=[np.nan, 0])
    np.testing.assert_allclose(out, [2, 1])


def test_undefined_input_stays_undefined():
    out = ev("a * 2 + 1", a=[np.nan, 1])
    assert np.isnan(out[0]) and out[1] == 3


def test_as_division_detects_ratio_shape():
    f = compile_formula("teachers / students * 100", NAMES)
    assert as_division(f) == ("teachers", "students", 100.0)
    assert as_division(compile_formula("teachers - students", NAMES)) is None


@pytest.mark.parametrize(
    ("text", "token", "reason"),
    [
        ("a.__class__", "a.__class__", "属性访问"),
        ("__import__('os')", "__import__", "未登记的函数"),
        ("open('x')", "open", "未登记的函数"),
        ("lambda: 1", "lambda: 1", "lambda"),
        ("[x for x in a]", "[x for x in a]", "推导"),
        ("10 ** 10 ** 10", "10 ** 10", "指数"),
        ("a ** b", "a ** b", "指数"),
        ("a[0]", "a[0]", "下标"),
        ("a +", None, "语法错误"),
        ("teachr / students", "teachr", "未知名称"),
        ("'text'", "'text'", "数字常数"),
        ("min()", "min()", "参数"),
        ("round(a, b=1)", "round(a, b=1)", "关键字参数"),
        ("_private", "_private", "下划线"),
        ("(a := 1)", "a := 1", "赋值"),
        ("a if b", None, "语法错误"),
        ("1e400", "1e400", "常数"),
        ("growth(a)", "growth", "多年度"),
    ],
)
def test_disallowed_is_refused_with_location(text, token, reason):
    with pytest.raises(FormulaError) as info:
        compile_formula(text, NAMES, file="x.toml", rule_id="r1")
    msg = str(info.value)
    assert "x.toml" in msg and "规则 r1" in msg
    assert reason in msg
    if token is not None:
        assert info.value.token == token


def test_unknown_name_suggests_the_close_one():
    with pytest.raises(FormulaError, match="teachers"):
        compile_formula("teachr", NAMES)


def test_size_bounds():
    with pytest.raises(FormulaError, match="过长"):
        compile_formula("a + " * 600 + "a", NAMES)
    with pytest.raises(FormulaError, match=r"节点|嵌套"):
        compile_formula("+".join(["a"] * 500), NAMES)
    with pytest.raises(FormulaError, match="嵌套"):
        compile_formula("-" * 100 + "a", NAMES)


def test_series_forms_in_multi_year_rules():
    f = compile_formula("growth(a) > growth(b)", ["a", "b"], series=True)
    env = {
        "a": np.array([110.0, 101.0]),
        "a@prev": np.array([100.0, 100.0]),
        "b": np.array([105.0, 105.0]),
        "b@prev": np.array([100.0, 100.0]),
    }
    np.testing.assert_array_equal(f.evaluate(env, 2), [1.0, 0.0])
