"""The formula language: rule text compiled from a whitelisted AST into vectorised callables.

A formula is a single Python-syntax *expression* over names (record fields,
indicator ids, parameters, results of other rules) with arithmetic,
comparisons, ``and``/``or``/``not``, ``a if cond else b`` and calls to
registered functions. It is parsed with :func:`ast.parse` and every node is
checked against a whitelist; nothing is ever passed to ``eval``/``exec``.
The checked tree is compiled once into a tree of closures that operate on whole
numpy columns.

Values are float64 arrays (or scalars that broadcast). Truth values are
1.0 / 0.0. **Undefined** is NaN: a division by zero, a missing optional field
or a comparison with an undefined value is undefined and stays undefined
through arithmetic; ``and``/``or`` follow Kleene's three-valued logic
(``False and undefined`` is False). Rules report undefined results as
"not evaluated", never as met. Comparisons allow for binary rounding
(:data:`COMPARE_TOLERANCE`): ``18 / 2000 * 100 >= 0.9`` is true, as it is on paper.

All problems are found at load time and raised as :class:`FormulaError`
naming the ruleset file, the rule id and the offending token.

This module is longer than the others (about 580 lines) on purpose: the
whitelist compiler, its node handlers and the value semantics they compile to
(undefined, three-valued logic, tolerant comparisons) are one safety argument,
which reads best in one file.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs
import numpy as np

MAX_FORMULA_CHARS = 2000
MAX_NODES = 400
MAX_DEPTH = 40
MAX_CONSTANT = 1e15
MAX_EXPONENT = 8

Value = Any  # np.ndarray | float
Env = Mapping[str, Value]
Compiled = Callable[[Env], Value]


class FormulaError(ValueError):
    """A formula that cannot be compiled; the message says where and why (in Chinese)."""

    def __init__(self, message: str, *, file: str | None, rule_id: str | None, token: str | None):
        self.file = file
        self.rule_id = rule_id
        self.token = token
        self.reason = message
        where = " ".join(p for p in (file or "", f"规则 {rule_id}" if rule_id else "") if p)
        tok = f"（位置：{token!r}）" if token else ""
        super().__init__(f"{where}: {message}{tok}" if where else f"{message}{tok}")


@attrs.frozen
class FormulaFunction:
    """A function callable from formulas. ``impl`` receives evaluated arguments.

    ``integer_args`` maps an argument position (0-based) to the (lowest, highest)
    integer it may be; such an argument must be written as an integer constant in the
    formula, checked at load (``round(x, 1/0)`` or ``round(x, 1e15)`` never loads).
    """

    name: str
    impl: Callable[..., Value]
    min_args: int
    max_args: int | None
    doc: str
    integer_args: Mapping[int, tuple[int, int]] = attrs.field(factory=dict)


def _nan_if_any(*args: Value) -> Value:
    out = np.zeros(np.broadcast(*args).shape) if args else 0.0
    for a in args:
        out = out + np.where(np.isnan(a), np.nan, 0.0)
    return out


def _fn_min(*args: Value) -> Value:
    return np.minimum.reduce(np.broadcast_arrays(*map(np.asarray, args)))


def _fn_max(*args: Value) -> Value:
    return np.maximum.reduce(np.broadcast_arrays(*map(np.asarray, args)))


def _fn_count_true(*args: Value) -> Value:
    """Number of arguments that are true; undefined arguments count as not true."""
    total = 0.0
    for a in args:
        total = total + np.where(np.asarray(a) == 1.0, 1.0, 0.0)
    return total


def _fn_all(*args: Value) -> Value:
    return kleene_and(list(args))


def _fn_any(*args: Value) -> Value:
    return kleene_or(list(args))


def _fn_round(x: Value, digits: Value = 0.0) -> Value:
    return np.round(x, int(np.asarray(digits).item()) if np.ndim(digits) == 0 else 0)


def _fn_defined(x: Value) -> Value:
    return np.where(np.isnan(x), 0.0, 1.0)


def _fn_default(x: Value, fallback: Value) -> Value:
    return np.where(np.isnan(x), fallback, x)


BUILTIN_FUNCTIONS: dict[str, FormulaFunction] = {
    f.name: f
    for f in (
        FormulaFunction("min", _fn_min, 1, None, "最小值 smallest argument"),
        FormulaFunction("max", _fn_max, 1, None, "最大值 largest argument"),
        FormulaFunction("abs", np.abs, 1, 1, "绝对值 absolute value"),
        FormulaFunction("ceil", np.ceil, 1, 1, "向上取整 round up"),
        FormulaFunction("floor", np.floor, 1, 1, "向下取整 round down"),
        FormulaFunction("round", _fn_round, 1, 2, "四舍五入 round to n digits", {1: (-15, 15)}),
        FormulaFunction("sqrt", lambda x: np.sqrt(np.where(x < 0, np.nan, x)), 1, 1, "平方根"),
        FormulaFunction(
            "clip", lambda x, lo, hi: np.clip(x, lo, hi), 3, 3, "限定在 [lo, hi] 之间 clamp"
        ),
        FormulaFunction("count_met", _fn_count_true, 1, None, "为真的参数个数 count true"),
        FormulaFunction("all_of", _fn_all, 1, None, "全部为真 all true"),
        FormulaFunction("any_of", _fn_any, 1, None, "任一为真 any true"),
        FormulaFunction("defined", _fn_defined, 1, 1, "是否有数据 1 if defined else 0"),
        FormulaFunction("default", _fn_default, 2, 2, "无数据时取默认值 value or fallback"),
    )
}

# Special forms resolved at compile time against the name context.
_SERIES_FORMS = {"prev", "growth"}


def truth(x: Value) -> Value:
    """Map any value onto 1.0 / 0.0 / NaN."""
    x = np.asarray(x, dtype=float)
    return np.where(np.isnan(x), np.nan, np.where(x != 0.0, 1.0, 0.0))


def _kleene(values: list[Value], decisive: float) -> Value:
    """Three-valued and (``decisive`` 0.0) / or (1.0): one decisive operand settles it,
    otherwise any undefined operand makes the result undefined."""
    vals = [truth(v) for v in values]
    any_decisive = np.zeros(np.broadcast(*vals).shape, dtype=bool)
    any_nan = np.zeros_like(any_decisive)
    for v in vals:
        any_decisive |= v == decisive
        any_nan |= np.isnan(v)
    return np.where(any_decisive, decisive, np.where(any_nan, np.nan, 1.0 - decisive))


def kleene_and(values: list[Value]) -> Value:
    """False if any is false, else undefined if any is undefined, else true."""
    return _kleene(values, 0.0)


def kleene_or(values: list[Value]) -> Value:
    """True if any is true, else undefined if any is undefined, else false."""
    return _kleene(values, 1.0)


def _divide(a: Value, b: Value) -> Value:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.true_divide(a, b)
    return np.where(b == 0.0, np.nan, out)


#: Relative tolerance of every comparison with a requirement: formula comparisons and
#: the engine's threshold, CV-limit and score tests. Policy values are ratios of whole
#: counts: 18 PE/arts teachers for 2,000 students is exactly 0.9 per 100, yet
#: 18 / 2000 * 100 is 0.8999999999999999 in binary floating point, which a plain
#: ``>= 0.9`` would fail. Real gaps are many orders larger (one teacher among 20,000
#: students is 0.005 per 100), so the tolerance absorbs rounding noise only.
COMPARE_TOLERANCE = 1e-9


def _slack(b: np.ndarray) -> np.ndarray:
    return COMPARE_TOLERANCE * np.maximum(np.abs(b), 1.0)


def at_least(a: Value, b: Value) -> np.ndarray:
    """``a >= b`` up to floating-point noise (boolean array; NaN compares false)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        return a >= b - _slack(b)


def at_most(a: Value, b: Value) -> np.ndarray:
    """``a <= b`` up to floating-point noise (boolean array; NaN compares false)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    with np.errstate(invalid="ignore"):
        return a <= b + _slack(b)


def _equal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return at_least(a, b) & at_most(a, b)


def _compare(op: ast.cmpop) -> Callable[[Value, Value], Value]:
    fn = {
        ast.Lt: lambda a, b: ~at_least(a, b),
        ast.LtE: at_most,
        ast.Gt: lambda a, b: ~at_most(a, b),
        ast.GtE: at_least,
        ast.Eq: _equal,
        ast.NotEq: lambda a, b: ~_equal(a, b),
    }[type(op)]

    def cmp(a: Value, b: Value) -> Value:
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        with np.errstate(invalid="ignore"):
            res = fn(a, b).astype(float)
        return np.where(np.isnan(a) | np.isnan(b), np.nan, res)

    return cmp


_BINOPS: dict[type, Callable[[Value, Value], Value]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: _divide,
}


@attrs.frozen
class Formula:
    """A compiled formula: its text, the names it reads, and the vectorised callable."""

    text: str
    names: frozenset[str]
    functions: frozenset[str]
    _fn: Compiled = attrs.field(repr=False, alias="fn")

    def __call__(self, env: Env) -> Value:
        with np.errstate(all="ignore"):
            return self._fn(env)

    def evaluate(self, env: Env, size: int) -> np.ndarray:
        """Evaluate and broadcast to a float64 column of ``size`` rows; infinities are undefined."""
        out = np.broadcast_to(np.asarray(self(env), dtype=float), (size,)).copy()
        out[~np.isfinite(out)] = np.nan
        return out


class _Compiler:
    def __init__(
        self,
        text: str,
        known_names: Iterable[str],
        functions: Mapping[str, FormulaFunction],
        *,
        file: str | None,
        rule_id: str | None,
        series: bool,
    ):
        self.text = text
        self.known = set(known_names)
        self.functions = functions
        self.file = file
        self.rule_id = rule_id
        self.series = series
        self.names: set[str] = set()
        self.called: set[str] = set()
        self.count = 0

    def error(self, message: str, node: ast.AST | None = None, token: str | None = None):
        if token is None and node is not None:
            token = ast.get_source_segment(self.text, node) or type(node).__name__
        raise FormulaError(message, file=self.file, rule_id=self.rule_id, token=token)

    def compile(self) -> Formula:
        if not isinstance(self.text, str):
            self.error("公式必须是文本 (formula must be a string)", token=repr(self.text)[:60])
        if len(self.text) > MAX_FORMULA_CHARS:
            self.error(
                f"公式过长：{len(self.text)} 个字符，上限 {MAX_FORMULA_CHARS} (formula too long)",
                token=self.text[:40] + "…",
            )
        if not self.text.strip():
            self.error("公式为空 (empty formula)", token="")
        bad = next((c for c in self.text if ord(c) < 32 and c not in "\t\n\r"), None)
        if bad is not None:
            self.error(
                f"公式含有控制字符 U+{ord(bad):04X} (control character in formula)",
                token=self.text[: self.text.index(bad) + 1][-30:],
            )
        try:
            tree = ast.parse(self.text.strip(), mode="eval")
        except SyntaxError as exc:
            tok = (exc.text or "").strip()[max((exc.offset or 1) - 1, 0) :][:30] or None
            if "too many nested" in exc.msg:
                self.error("公式嵌套过深 (formula nested too deeply)", token=tok)
            self.error(f"语法错误 (syntax error): {exc.msg}", token=tok)
        except (RecursionError, MemoryError, ValueError):
            self.error("公式嵌套过深或无法解析 (formula too deeply nested)", token=self.text[:40])
        self.text = self.text.strip()
        fn = self._node(tree.body, 0)
        return Formula(
            text=self.text,
            names=frozenset(self.names),
            functions=frozenset(self.called),
            fn=fn,
        )

    def _node(self, node: ast.AST, depth: int) -> Compiled:
        self.count += 1
        if self.count > MAX_NODES:
            self.error(f"公式过于复杂：超过 {MAX_NODES} 个节点 (formula too large)", node)
        if depth > MAX_DEPTH:
            self.error(f"公式嵌套超过 {MAX_DEPTH} 层 (formula nested too deeply)", node)
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            self.error(f"不允许的语法：{_describe(node)} (construct not allowed in formulas)", node)
        return method(node, depth + 1)

    def _Constant(self, node: ast.Constant, depth: int) -> Compiled:
        v = node.value
        if isinstance(v, bool):
            c = 1.0 if v else 0.0
        elif isinstance(v, (int, float)) and not isinstance(v, complex):
            if not math.isfinite(float(v)) or abs(v) > MAX_CONSTANT:
                self.error(f"常数超出范围（绝对值不超过 {MAX_CONSTANT:g}）", node)
            c = float(v)
        else:
            self.error("公式中只能使用数字常数 (only numeric constants are allowed)", node)
        return lambda env: c

    def _Name(self, node: ast.Name, depth: int) -> Compiled:
        name = node.id
        if name.startswith("_"):
            self.error("不允许以下划线开头的名称 (names starting with '_' are not allowed)", node)
        if name in ("True", "False"):
            c = 1.0 if name == "True" else 0.0
            return lambda env: c
        if name not in self.known:
            hint = difflib.get_close_matches(name, sorted(self.known), n=1)
            more = f"；是否应为 '{hint[0]}'？(did you mean)" if hint else ""
            self.error(f"未知名称 '{name}' (unknown name){more}", node)
        self.names.add(name)
        return lambda env: env[name]

    def _BinOp(self, node: ast.BinOp, depth: int) -> Compiled:
        left = self._node(node.left, depth)
        right = self._node(node.right, depth)
        if isinstance(node.op, ast.Pow):
            exp = node.right
            if not (
                isinstance(exp, ast.Constant)
                and isinstance(exp.value, (int, float))
                and not isinstance(exp.value, bool)
                and abs(exp.value) <= MAX_EXPONENT
            ):
                self.error(
                    f"乘方的指数必须是绝对值不超过 {MAX_EXPONENT} 的数字常数 (bounded exponent)",
                    node,
                )
            e = float(exp.value)
            return lambda env: np.power(np.asarray(left(env), dtype=float), e)
        op = _BINOPS.get(type(node.op))
        if op is None:
            self.error(f"不允许的运算符 {_describe(node.op)} (operator not allowed)", node)
        return lambda env: op(left(env), right(env))

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> Compiled:
        operand = self._node(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return lambda env: np.negative(operand(env))
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return lambda env: 1.0 - truth(operand(env))
        self.error(f"不允许的运算符 {_describe(node.op)} (operator not allowed)", node)

    def _BoolOp(self, node: ast.BoolOp, depth: int) -> Compiled:
        parts = [self._node(v, depth) for v in node.values]
        combine = kleene_and if isinstance(node.op, ast.And) else kleene_or
        return lambda env: combine([p(env) for p in parts])

    def _Compare(self, node: ast.Compare, depth: int) -> Compiled:
        operands = [self._node(node.left, depth)] + [self._node(c, depth) for c in node.comparators]
        ops = []
        for op in node.ops:
            if type(op) not in (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq):
                self.error(f"不允许的比较 {_describe(op)} (comparison not allowed)", node)
            ops.append(_compare(op))

        def compare(env: Env) -> Value:
            vals = [o(env) for o in operands]
            return kleene_and([op(vals[i], vals[i + 1]) for i, op in enumerate(ops)])

        return compare

    def _IfExp(self, node: ast.IfExp, depth: int) -> Compiled:
        test = self._node(node.test, depth)
        body = self._node(node.body, depth)
        orelse = self._node(node.orelse, depth)

        def ifexp(env: Env) -> Value:
            t = truth(test(env))
            return np.where(t == 1.0, body(env), np.where(t == 0.0, orelse(env), np.nan))

        return ifexp

    def _Call(self, node: ast.Call, depth: int) -> Compiled:
        if not isinstance(node.func, ast.Name):
            self.error("只能调用已登记的函数名 (only registered functions may be called)", node)
        name = node.func.id
        if node.keywords:
            self.error("函数调用不允许关键字参数 (keyword arguments not allowed)", node)
        if any(isinstance(a, ast.Starred) for a in node.args):
            self.error("不允许 * 展开参数 (starred arguments not allowed)", node)
        if name in _SERIES_FORMS:
            return self._series_form(node, name)
        fn = self.functions.get(name)
        if fn is None:
            hint = difflib.get_close_matches(name, sorted(self.functions), n=1)
            more = f"；是否应为 '{hint[0]}'？" if hint else ""
            self.error(f"未登记的函数 '{name}' (unregistered function){more}", node.func)
        n = len(node.args)
        if n < fn.min_args or (fn.max_args is not None and n > fn.max_args):
            want = (
                f"{fn.min_args}"
                if fn.max_args == fn.min_args
                else f"{fn.min_args}–{fn.max_args if fn.max_args is not None else '∞'}"
            )
            self.error(f"函数 {name} 需要 {want} 个参数，给了 {n} 个 (wrong argument count)", node)
        for position, (low, high) in fn.integer_args.items():
            if position < n and _integer_constant(node.args[position]) not in range(low, high + 1):
                self.error(
                    f"函数 {name} 的第 {position + 1} 个参数应为 {low} 到 {high} 之间的整数常数",
                    node.args[position],
                )
        args = [self._node(a, depth) for a in node.args]
        self.called.add(name)
        impl = fn.impl
        return lambda env: impl(*(a(env) for a in args))

    def _series_form(self, node: ast.Call, name: str) -> Compiled:
        if not self.series:
            self.error(f"{name}() 只能用于多年度规则 (only allowed in multi-year rules)", node.func)
        if len(node.args) != 1 or not isinstance(node.args[0], ast.Name):
            self.error(f"{name}() 需要一个数据项名称作参数 (takes one field name)", node)
        field = node.args[0].id
        cur = self._Name(node.args[0], 0)
        prev_key = prev_name(field)
        self.names.add(prev_key)

        def prev(env: Env) -> Value:
            return env[prev_key]

        if name == "prev":
            return prev
        return lambda env: _divide(np.subtract(cur(env), prev(env)), prev(env))


def _integer_constant(node: ast.AST) -> int | None:
    """The integer a literal (``2``, ``-1``) stands for; None for anything else."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        sign, node = -1, node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    return None


def prev_name(field: str) -> str:
    """Environment key under which a multi-year rule finds the previous year's value."""
    return f"{field}@prev"


def _describe(node: ast.AST) -> str:
    labels = {
        "Attribute": "属性访问 attribute access",
        "Subscript": "下标 subscript",
        "Lambda": "lambda",
        "ListComp": "列表推导 comprehension",
        "SetComp": "集合推导 comprehension",
        "DictComp": "字典推导 comprehension",
        "GeneratorExp": "生成器 generator",
        "List": "列表 list",
        "Tuple": "元组 tuple",
        "Dict": "字典 dict",
        "Set": "集合 set",
        "JoinedStr": "f-string",
        "NamedExpr": "赋值表达式 :=",
        "Await": "await",
        "Yield": "yield",
        "Starred": "*",
        "FloorDiv": "//",
        "Mod": "%",
        "BitAnd": "&",
        "BitOr": "|",
        "BitXor": "^",
        "LShift": "<<",
        "RShift": ">>",
        "MatMult": "@",
        "Invert": "~",
        "In": "in",
        "NotIn": "not in",
        "Is": "is",
        "IsNot": "is not",
    }
    return labels.get(type(node).__name__, type(node).__name__)


def compile_formula(
    text: str,
    known_names: Iterable[str],
    *,
    functions: Mapping[str, FormulaFunction] | None = None,
    file: str | None = None,
    rule_id: str | None = None,
    series: bool = False,
) -> Formula:
    """Compile ``text`` against the names and functions it may use.

    ``series=True`` allows ``prev(x)`` and ``growth(x)`` (multi-year rules).
    Raises :class:`FormulaError` with the file, rule id and token on any problem.
    """
    return _Compiler(
        text,
        known_names,
        BUILTIN_FUNCTIONS if functions is None else functions,
        file=file,
        rule_id=rule_id,
        series=series,
    ).compile()


def as_division(formula: Formula) -> tuple[str, str, float] | None:
    """If the formula reads ``A / B`` or ``A / B * k`` with A and B plain names, return (A, B, k).

    Used to express a shortfall in the numerator's natural unit for the whole school:
    the requirement ``t`` on ``A / B * k`` means ``A >= t * B / k``.
    """
    tree = ast.parse(formula.text, mode="eval").body
    scale = 1.0
    if (
        isinstance(tree, ast.BinOp)
        and isinstance(tree.op, ast.Mult)
        and isinstance(tree.right, ast.Constant)
        and isinstance(tree.right.value, (int, float))
    ):
        scale = float(tree.right.value)
        tree = tree.left
    if (
        isinstance(tree, ast.BinOp)
        and isinstance(tree.op, ast.Div)
        and isinstance(tree.left, ast.Name)
        and isinstance(tree.right, ast.Name)
    ):
        return tree.left.id, tree.right.id, scale
    return None
