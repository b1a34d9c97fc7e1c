"""The levers of a plan and what one unit of each costs: the defaults, a user's costs file, checks.

A *lever* is one way of raising a school's numbers:

* an **asset** lever adds to a school-wide field (``sports_area_m2``: m² of sports ground,
  ``equipment_value_yuan``: yuan of equipment, ``multimedia_rooms``: rooms …) of one school;
* ``hire`` adds a new full-time teacher to one stage of a school — counted in the kind of
  teacher the plan needs (a PE teacher, a teacher above the required degree) and in every
  kind that contains it (a city-level backbone teacher is also county-level; every kind is
  a full-time teacher), the *teacher hierarchy* read from the validation rules
  (:data:`junheng.validation.rules.PAIR_RULES`);
* a **develop** lever turns a teacher of the school into the kind needed (degree upgrade,
  backbone training, title promotion), at most as many as the stage has teachers not yet
  of that kind;
* ``move`` moves a teacher of the kind needed from one school to another of the same
  county and stage (交流轮岗, 县管校聘).

The defaults are :file:`costs.toml` beside this module, where every number names its
source or is marked ``assumption = true`` (假设值). A user's costs file
(``junheng plan --costs FILE``) overrides any key of any lever, switches one off
(``enabled = false``) or adds a lever for another numeric school field of the engine's
schema (a province's field). Every problem of a costs file is reported at once, each
located by file and key (:class:`junheng.issues.DataIssue`, code ``costs``), and none is
ever guessed: a negative, missing or non-numeric cost, an unknown lever or key.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

try:  # Python ≥ 3.11
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from ..fields import FieldCatalogue
from ..issues import DataIssue, InputError
from ..validation.rules import PAIR_RULES

__all__ = [
    "DEVELOP_LEVERS",
    "Costs",
    "Lever",
    "load_costs",
    "teacher_hierarchy",
]

#: develop levers: lever id → the teacher kind it turns a teacher into
DEVELOP_LEVERS: Mapping[str, str] = {
    "upgrade_degree": "teachers_above_degree",
    "train_backbone_county": "backbone_teachers_county",
    "train_backbone_city": "backbone_teachers_city",
    "promote_title": "senior_title_teachers",
}
#: lever id → (kind, unit, category) for the levers that are not a plain field
_TEACHER_LEVERS: Mapping[str, tuple[str, str, str]] = {
    "hire": ("hire", "人", "新增教师"),
    "move": ("move", "人次", "教师交流轮岗"),
    **{lever: ("develop", "人", "教师培养") for lever in DEVELOP_LEVERS},
}
#: category of an asset lever by its field (others: 其他)
_CATEGORIES: Mapping[str, str] = {
    "teaching_room_area_m2": "校舍建设",
    "building_area_m2": "校舍建设",
    "sports_area_m2": "体育运动场馆",
    "equipment_value_yuan": "教学仪器设备",
    "computers": "教学仪器设备",
    "multimedia_rooms": "教学仪器设备",
    "books": "图书",
    "music_rooms": "专用教室",
    "art_rooms": "专用教室",
    "special_room_kinds": "专用教室",
    "teacher_training_funds_yuan": "经费",
}
_LEVER_KEYS = {
    "cost",
    "title",
    "source",
    "assumption",
    "note",
    "enabled",
    "recurrent",
    "unit",
    "category",
}
_TOP_KEYS = {"salary_years", "salary_years_note", "levers"}
#: a costs file is a few dozen lines; anything larger is refused before parsing
MAX_COSTS_BYTES = 256 * 1024


@attrs.frozen
class Lever:
    """One lever and what one unit of it costs."""

    id: str
    title: str
    kind: str  # asset | stage | hire | develop | move
    #: the field one unit adds to (asset / stage / develop); None for hire and move
    field: str | None
    unit: str
    cost: float
    enabled: bool = True
    #: a yearly cost (a salary): compared with one-off costs over ``salary_years`` years
    recurrent: bool = False
    category: str = "其他"
    source: str = ""
    assumption: bool = False
    note: str = ""
    #: the file the cost came from (the defaults or the user's costs file)
    origin: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "kind": self.kind,
            "field": self.field,
            "unit": self.unit,
            "cost": self.cost,
            "enabled": self.enabled,
            "recurrent": self.recurrent,
            "category": self.category,
            "source": self.source,
            "assumption": self.assumption,
            "note": self.note,
            "origin": self.origin,
        }


@attrs.frozen
class Costs:
    """Every lever of a plan with its unit cost, and how yearly costs are compared."""

    levers: Mapping[str, Lever]
    salary_years: float = 1.0
    salary_years_note: str = ""
    #: SHA-256 of the user's costs file (None: defaults only)
    file_sha256: str | None = None
    file: str | None = None
    #: whether the user's file set the hire cost (then a county's own salary is not used)
    hire_from_file: bool = False

    def lever(self, lever_id: str) -> Lever | None:
        """The lever if it exists and is switched on."""
        lever = self.levers.get(lever_id)
        return lever if lever is not None and lever.enabled else None

    def objective(self, lever: Lever, cost: float | None = None) -> float:
        """What one unit of ``lever`` weighs in the plan's total (yearly costs × salary_years)."""
        c = lever.cost if cost is None else cost
        return c * self.salary_years if lever.recurrent else c

    def asset_lever(self, field: str) -> Lever | None:
        """The enabled lever adding to this field (asset or stage field), if any."""
        lever = self.lever(field)
        return lever if lever is not None and lever.kind in ("asset", "stage") else None

    def develop_lever(self, kind: str) -> Lever | None:
        for lever_id, field in DEVELOP_LEVERS.items():
            if field == kind:
                return self.lever(lever_id)
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "salary_years": self.salary_years,
            "salary_years_note": self.salary_years_note,
            "file": self.file,
            "file_sha256": self.file_sha256,
            "levers": {k: v.to_dict() for k, v in self.levers.items()},
        }


def teacher_hierarchy() -> dict[str, str]:
    """Teacher kind → the kind that contains it (``backbone_teachers_city`` →
    ``backbone_teachers_county`` → ``teachers``), from the validation pair rules."""
    parent: dict[str, str] = {}
    known = {"teachers"}
    changed = True
    while changed:
        changed = False
        for rule in PAIR_RULES:
            if rule.denominator in known and rule.numerator not in known:
                parent[rule.numerator] = rule.denominator
                known.add(rule.numerator)
                changed = True
    return parent


def _defaults_text() -> tuple[str, str]:
    path = resources.files("junheng.plan").joinpath("costs.toml")
    return path.read_text("utf-8"), "junheng/plan/costs.toml"


def load_costs(path: str | Path | None = None, *, school_fields: FieldCatalogue) -> Costs:
    """The defaults, overridden by the costs file at ``path`` (if any).

    ``school_fields``: the engine's school field catalogue (``engine.registry.school_fields``),
    which says what a lever for a field not in the defaults may add to. Raises
    :class:`~junheng.issues.InputError` listing every problem of the file, located.
    """
    text, name = _defaults_text()
    base = tomllib.loads(text)
    issues: list[DataIssue] = []
    levers = _levers(base, name, school_fields, {}, issues, user=False)
    if issues:  # the shipped defaults are checked by the tests; never half-trusted
        raise InputError(issues)
    years = float(base.get("salary_years", 1.0))
    note = str(base.get("salary_years_note", ""))
    if path is None:
        return Costs(levers=levers, salary_years=years, salary_years_note=note)
    file = str(path)
    target = Path(path)
    try:
        if not target.is_file():
            raise InputError([_issue(file, None, "单价文件不存在或不是普通文件", found=file)])
        if target.stat().st_size > MAX_COSTS_BYTES:
            raise InputError(
                [_issue(file, None, f"单价文件过大（上限 {MAX_COSTS_BYTES} 字节）", found=file)]
            )
        raw = target.read_bytes()
    except OSError as exc:
        raise InputError(
            [_issue(file, None, f"无法读取单价文件：{exc.strerror or exc}", found=file)]
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(
            [_issue(file, None, "单价文件不是 UTF-8 编码的 TOML 文本", expected="UTF-8 TOML")]
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError([_issue(file, None, f"TOML 语法错误：{exc}")]) from None
    except RecursionError:
        raise InputError([_issue(file, None, "TOML 嵌套过深")]) from None
    for key in data:
        if key not in _TOP_KEYS:
            issues.append(
                _issue(
                    file,
                    key,
                    f"未知的设置 '{key}'（可用：levers、salary_years）",
                    found=key,
                    expected="levers / salary_years",
                )
            )
    if "salary_years" in data:
        v = data["salary_years"]
        if not _is_number(v) or not math.isfinite(v) or not v > 0:
            issues.append(
                _issue(file, "salary_years", "salary_years 必须是正数", found=v, expected="> 0")
            )
        else:
            years = float(v)
            note = str(data.get("salary_years_note", f"来自 {file}"))
    user = data.get("levers", {})
    if not isinstance(user, Mapping):
        issues.append(_issue(file, "levers", "levers 必须是表（[levers.<措施>]）", found=user))
        user = {}
    merged = _levers({"levers": user}, file, school_fields, levers, issues)
    if issues:
        raise InputError(issues)
    return Costs(
        levers={**levers, **merged},
        salary_years=years,
        salary_years_note=note,
        file_sha256=hashlib.sha256(raw).hexdigest(),
        file=file,
        hire_from_file="cost" in (user.get("hire") or {}),
    )


def _levers(
    data: Mapping[str, Any],
    file: str,
    fields: FieldCatalogue,
    base: Mapping[str, Lever],
    issues: list[DataIssue],
    *,
    user: bool = True,
) -> dict[str, Lever]:
    out: dict[str, Lever] = {}
    for lever_id, raw in dict(data.get("levers", {})).items():
        where = f"levers.{lever_id}"
        if not isinstance(raw, Mapping):
            issues.append(_issue(file, where, f"{where} 必须是表", found=raw))
            continue
        bad = sorted(set(raw) - _LEVER_KEYS)
        for key in bad:
            issues.append(
                _issue(
                    file,
                    f"{where}.{key}",
                    f"未知的键 '{key}'（可用：{'、'.join(sorted(_LEVER_KEYS))}）",
                    found=key,
                )
            )
        shape = _shape(lever_id, fields)
        if shape is None:
            known = sorted(set(base) | set(_TEACHER_LEVERS))
            issues.append(
                _issue(
                    file,
                    where,
                    f"未知的措施 (unknown lever) '{lever_id}'：既不是内置措施，也不是学校数据的数值字段"
                    f"（内置措施：{'、'.join(known) or '、'.join(_TEACHER_LEVERS)}）",
                    found=lever_id,
                    expected="内置措施或学校数值字段",
                )
            )
            continue
        kind, field, unit, category = shape
        old = base.get(lever_id)
        only_switch = set(raw) <= {"enabled"}
        cost = raw.get("cost", old.cost if old is not None and only_switch else None)
        if "cost" not in raw and not only_switch:
            issues.append(
                _issue(
                    file,
                    f"{where}.cost",
                    f"{where} 缺少单价 cost（元/{unit}）",
                    expected=f"非负数（元/{unit}）",
                )
            )
            continue
        if cost is None:
            issues.append(
                _issue(
                    file,
                    f"{where}.cost",
                    f"{where} 没有默认单价，请给出 cost（元/{unit}）",
                    expected=f"非负数（元/{unit}）",
                )
            )
            continue
        if not _is_number(cost) or not math.isfinite(cost) or cost < 0:
            words = "不能为负数" if _is_number(cost) and cost < 0 else "必须是非负的有限数"
            issues.append(
                _issue(
                    file,
                    f"{where}.cost",
                    f"{where}.cost = {cost!r}：单价{words}（元/{unit}）",
                    found=cost,
                    expected=f"非负数（元/{unit}）",
                )
            )
            continue
        flags = {}
        for key in ("enabled", "assumption", "recurrent"):
            if key in raw and not isinstance(raw[key], bool):
                issues.append(
                    _issue(
                        file,
                        f"{where}.{key}",
                        f"{where}.{key} 必须是 true 或 false",
                        found=raw[key],
                        expected="true / false",
                    )
                )
            elif key in raw:
                flags[key] = raw[key]
        texts = {}
        for key in ("title", "source", "note", "unit", "category"):
            if key in raw:
                if not isinstance(raw[key], str) or not raw[key].strip():
                    issues.append(
                        _issue(
                            file,
                            f"{where}.{key}",
                            f"{where}.{key} 必须是非空文本",
                            found=raw[key],
                        )
                    )
                else:
                    texts[key] = raw[key].strip()
        if kind != "stage" and kind != "asset" and ("unit" in texts or "category" in texts):
            issues.append(
                _issue(
                    file,
                    where,
                    f"{where}：教师措施的单位和类别是固定的，不能修改",
                    found=sorted(set(texts) & {"unit", "category"}),
                )
            )
        if old is not None and not only_switch and "cost" in raw:
            # a new cost from this file: its source is this file unless it says otherwise
            source = texts.get("source", f"用户单价文件 {file}")
            assumption = flags.get("assumption", False)
            note = texts.get("note", "")
        elif old is not None:
            source, assumption, note = old.source, old.assumption, old.note
        else:
            source = texts.get("source", "")
            assumption = flags.get("assumption", False)
            note = texts.get("note", "")
            if user and not source and not assumption:
                source = f"用户单价文件 {file}"
        if not source and not assumption:  # a shipped default must say which it is
            issues.append(
                _issue(file, where, f"{where} 既无来源 source，也未标明假设值 assumption = true")
            )
        out[lever_id] = Lever(
            id=lever_id,
            title=texts.get("title", old.title if old else lever_id),
            kind=kind,
            field=field,
            unit=texts.get("unit", old.unit if old else unit),
            cost=float(cost),
            enabled=flags.get("enabled", old.enabled if old else True),
            recurrent=flags.get("recurrent", old.recurrent if old else False),
            category=texts.get("category", old.category if old else category),
            source=source,
            assumption=assumption,
            note=note,
            origin=file if (old is None or not only_switch) else old.origin,
        )
    return out


def _shape(lever_id: str, fields: FieldCatalogue) -> tuple[str, str | None, str, str] | None:
    """(kind, field, unit, category) of a lever id, or None if it is no lever."""
    if lever_id in _TEACHER_LEVERS:
        kind, unit, category = _TEACHER_LEVERS[lever_id]
        return kind, DEVELOP_LEVERS.get(lever_id), unit, category
    info = fields.get(lever_id)
    if info is not None and info.type in ("number", "integer"):
        return "asset", lever_id, info.unit or "", _CATEGORIES.get(lever_id, "其他")
    for stage in ("primary", "junior"):
        info = fields.get(f"{stage}.{lever_id}")
        if info is not None and info.type in ("number", "integer") and lever_id != "students":
            if lever_id in teacher_hierarchy() or lever_id == "teachers":
                return None  # teachers are added through hire / develop / move
            unit = info.unit or ""
            return "stage", lever_id, unit, "其他"
    return None


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _issue(
    file: str, key: str | None, words: str, *, found: Any = None, expected: Any = None
) -> DataIssue:
    where = f"{file}" + (f"：{key}" if key else "")
    return DataIssue(
        severity="error",
        code="costs",
        message=f"{where}：{words}",
        file=file,
        field=key,
        found=found,
        expected=expected,
        detail=words,
    )
