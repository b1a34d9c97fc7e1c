"""Two report documents → the :class:`~junheng.compare.model.Comparison`.

Counties are matched by ``county_code``, criteria by ``id`` within a county, CVs by stage and
indicator id, school units by ``id`` and ``stage``, checks by id. The rules of each kind of
change (worked out case by case in ``tests/compare_cases/``):

- a criterion is *newly met* when it is met now and was not (failed, not evaluated), *newly
  failed* when it fails now and did not, *still failed* when it failed both times (its
  ``movement``: the distance |value − limit| shrank → ``closer``, grew → ``further``),
  *newly not evaluated* when its data are now missing; met both times is no change;
- a CV with a limit is ``newly_met`` / ``newly_failed`` when it crossed the limit, else
  ``still_met`` / ``still_failed`` (the values are kept: how close it came); without a
  limit (a basic-balance single CV) ``no_limit``;
- a school check's gap is ``closed`` (failed → met), ``reduced`` / ``grown`` (failed both
  times, the shortfall smaller / larger), ``new`` (met or undefined → failed), ``now_met``
  (undefined → met) or ``undetermined`` (now undefined); anything else is no change.

Numbers are compared with the engine's tolerance: a relative 10⁻⁹ (floating-point noise
never reads as a change).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from .labels import NEW, OLD
from .model import (
    Comparison,
    CountyComparison,
    CountyOnlyIn,
    CriterionChange,
    CvChange,
    GapChange,
    InputChange,
    RulesetInfo,
    SchoolComparison,
    SchoolOnlyIn,
    Side,
)

__all__ = ["compare_documents"]

Doc = Mapping[str, Any]


def compare_documents(
    old: Doc, new: Doc, old_file: str = "OLD", new_file: str = "NEW"
) -> Comparison:
    """The comparison of two report documents already read and checked
    (:func:`junheng.compare.read.read_report`)."""
    old_side, new_side = _side(old, old_file), _side(new, new_file)
    inputs = _inputs(old, new)
    old_counties = {c["county_code"]: c for c in old["counties"]}
    new_codes = {c["county_code"] for c in new["counties"]}
    counties = tuple(
        _county(old_counties[c["county_code"]], c)
        for c in new["counties"]
        if c["county_code"] in old_counties
    )
    schools, only_old, only_new, unchanged = _schools(old, new)
    old_checks, new_checks = _check_ids(old), _check_ids(new)
    return Comparison(
        old=old_side,
        new=new_side,
        notes=tuple(_notes(old_side, new_side, inputs)),
        inputs=inputs,
        counties=counties,
        counties_only_old=tuple(
            _county_only(c) for c in old["counties"] if c["county_code"] not in new_codes
        ),
        counties_only_new=tuple(
            _county_only(c) for c in new["counties"] if c["county_code"] not in old_counties
        ),
        schools=schools,
        schools_only_old=only_old,
        schools_only_new=only_new,
        schools_unchanged=unchanged,
        checks_only_old=tuple(c for c in old_checks if c not in new_checks),
        checks_only_new=tuple(c for c in new_checks if c not in old_checks),
    )


# --------------------------------------------------------------------------- numbers


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _less(a: float, b: float) -> bool:
    """``a`` smaller than ``b`` by more than rounding noise."""
    return a < b and not _same(a, b)


# --------------------------------------------------------------------------- provenance


def _side(doc: Doc, file: str) -> Side:
    rs, prov = doc["ruleset"], doc["provenance"]
    return Side(
        file=file,
        ruleset=RulesetInfo(
            id=rs["id"],
            title=rs["title"],
            version=rs["version"],
            sha256=prov.get("ruleset_sha256"),
        ),
        engine_version=prov.get("engine_version"),
        evaluated_at=prov.get("evaluated_at"),
        counties=len(doc["counties"]),
        schools=len(doc["schools"]),
        passed=bool(doc["counties"]) and all(c["passed"] for c in doc["counties"]),
    )


def _input_parts(value: Any) -> tuple[str | None, str | None]:
    if isinstance(value, Mapping):
        return value.get("file"), value.get("sha256")
    return (str(value), None) if value is not None else (None, None)


def _inputs(old: Doc, new: Doc) -> tuple[InputChange, ...]:
    a = old["provenance"].get("inputs") or {}
    b = new["provenance"].get("inputs") or {}
    names = [*a, *(n for n in b if n not in a)]
    return tuple(InputChange(n, *_input_parts(a.get(n)), *_input_parts(b.get(n))) for n in names)


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    for pattern in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _notes(old: Side, new: Side, inputs: tuple[InputChange, ...]) -> Iterable[str]:
    a, b = old.ruleset, new.ruleset
    if a.id != b.id:
        yield (
            f"两份报告使用的规则集不同：{OLD}为 {a.id}（{a.title}，版本 {a.version}），"
            f"{NEW}为 {b.id}（{b.title}，版本 {b.version}）。下列变化有的来自规则集的不同，"
            "而不是数据的变化。"
        )
    elif a.version != b.version:
        yield (
            f"规则集 {a.id} 的版本不同：{OLD}为 {a.version}，{NEW}为 {b.version}。"
            "下列变化有的可能来自规则集版本的变化，而不是数据的变化。"
        )
    elif a.sha256 != b.sha256:
        yield (
            f"规则集 {a.id} 的编号和版本相同，但内容不同（SHA-256 {(a.sha256 or '—')[:12]}… → "
            f"{(b.sha256 or '—')[:12]}…）：其中一次评估用的是修改过的规则集文件。"
        )
    if old.engine_version != new.engine_version:
        yield f"两份报告由不同版本的 junheng 生成（{old.engine_version} → {new.engine_version}）。"
    t_old, t_new = _when(old.evaluated_at), _when(new.evaluated_at)
    if t_old and t_new and t_old.tzinfo and t_new.tzinfo and t_new < t_old:
        yield (
            f"{NEW}的评估时间（{new.evaluated_at}）早于{OLD}（{old.evaluated_at}）："
            "两个文件的先后顺序是否颠倒了？"
        )
    hashed = [i for i in inputs if i.status in ("same", "changed")]
    if hashed and all(i.status == "same" for i in inputs) and a.sha256 == b.sha256:
        yield "两次评估的输入数据（SHA-256 相同）与规则集完全相同。"


# --------------------------------------------------------------------------- counties


def _county_only(c: Doc) -> CountyOnlyIn:
    return CountyOnlyIn(c["county_code"], c.get("name"), bool(c["passed"]))


def _criterion(o: Doc | None, n: Doc | None, change: str) -> CriterionChange:
    any_: Doc = n if n is not None else (o or {})
    movement = _movement(o, n) if change == "still_failed" else None
    return CriterionChange(
        id=any_["id"],
        kind=any_["kind"],
        title=any_["title"],
        change=change,  # type: ignore[arg-type]
        old_status=o["status"] if o is not None else None,
        new_status=n["status"] if n is not None else None,
        stage=any_.get("stage"),
        unit=any_.get("unit") or (o or {}).get("unit"),
        old_value=(o or {}).get("value"),
        new_value=(n or {}).get("value"),
        old_limit=(o or {}).get("limit"),
        new_limit=(n or {}).get("limit"),
        movement=movement,
    )


def _movement(o: Doc | None, n: Doc | None) -> str | None:
    """Failed both times: the value is on the failing side of its limit both times, so the
    distance to the limit says whether it came closer, whatever the direction of the rule."""
    values = [(d or {}).get(k) for d in (o, n) for k in ("value", "limit")]
    if any(v is None for v in values):
        return None
    old_gap, new_gap = abs(values[0] - values[1]), abs(values[2] - values[3])
    if _same(old_gap, new_gap):
        return "same"
    return "closer" if new_gap < old_gap else "further"


def _county(o: Doc, n: Doc) -> CountyComparison:
    old_criteria = {c["id"]: c for c in o.get("criteria") or _criteria_fallback(o)}
    new_criteria = {c["id"]: c for c in n.get("criteria") or _criteria_fallback(n)}
    lists: dict[str, list[CriterionChange]] = {
        k: []
        for k in ("newly_met", "newly_failed", "still_failed", "newly_not_evaluated", "old", "new")
    }
    still_not_evaluated = []
    for cid, nc in new_criteria.items():
        oc = old_criteria.get(cid)
        if oc is None:
            lists["new"].append(_criterion(None, nc, "only_new"))
            continue
        was, now = oc["status"], nc["status"]
        if now == "met" and was != "met":
            lists["newly_met"].append(_criterion(oc, nc, "newly_met"))
        elif now == "failed":
            change = "still_failed" if was == "failed" else "newly_failed"
            lists[change].append(_criterion(oc, nc, change))
        elif now == "not_evaluated":
            if was == "not_evaluated":
                still_not_evaluated.append(cid)
            else:
                lists["newly_not_evaluated"].append(_criterion(oc, nc, "newly_not_evaluated"))
    for cid, oc in old_criteria.items():
        if cid not in new_criteria:
            lists["old"].append(_criterion(oc, None, "only_old"))
    return CountyComparison(
        county_code=n["county_code"],
        name=n.get("name") or o.get("name"),
        old_passed=bool(o["passed"]),
        new_passed=bool(n["passed"]),
        newly_met=tuple(lists["newly_met"]),
        newly_failed=tuple(lists["newly_failed"]),
        still_failed=tuple(lists["still_failed"]),
        newly_not_evaluated=tuple(lists["newly_not_evaluated"]),
        still_not_evaluated=tuple(still_not_evaluated),
        criteria_only_old=tuple(lists["old"]),
        criteria_only_new=tuple(lists["new"]),
        cv=tuple(_cvs(o, n)),
    )


def _criteria_fallback(county: Doc) -> list[Doc]:
    """A report without ``criteria`` (optional in the schema): what it does list."""
    seen: dict[str, Doc] = {}
    for key in ("failed_criteria", "not_evaluated", "vetoes"):
        for c in county.get(key) or ():
            seen.setdefault(c["id"], c)
    return list(seen.values())


def _cv_kind(o: Doc | None, n: Doc | None) -> str:
    if o is None:
        return "only_new"
    if n is None:
        return "only_old"
    if o.get("limit") is None and n.get("limit") is None:
        return "no_limit"
    was, now = o.get("met"), n.get("met")
    if now is True:
        return "still_met" if was is True else "newly_met"
    if now is False:
        return "still_failed" if was is False else "newly_failed"
    return "undetermined"


def _cvs(o: Doc, n: Doc) -> Iterable[CvChange]:
    old_groups = {g["stage"]: g for g in o["groups"]}
    new_groups = {g["stage"]: g for g in n["groups"]}
    stages = [*new_groups, *(s for s in old_groups if s not in new_groups)]
    for stage in stages:
        og, ng = old_groups.get(stage), new_groups.get(stage)
        oi = (og or {}).get("indicators") or {}
        ni = (ng or {}).get("indicators") or {}
        for iid in [*ni, *(i for i in oi if i not in ni)]:
            a, b = oi.get(iid), ni.get(iid)
            either: Doc = b if b is not None else (a or {})
            yield _cv_change(stage, iid, either.get("title") or iid, a, b)
        a, b = _composite(og), _composite(ng)
        if a is not None or b is not None:
            yield _cv_change(stage, "composite", "综合差异系数", a, b)


def _cv_change(stage: str, indicator: str, title: str, a: Doc | None, b: Doc | None) -> CvChange:
    """One CV of the old report (``a``) and the new (``b``); None where a report lacks it."""
    old, new = a or {}, b or {}
    return CvChange(
        stage=stage,
        indicator=indicator,
        title=title,
        change=_cv_kind(a, b),  # type: ignore[arg-type]
        old_cv=old.get("cv"),
        new_cv=new.get("cv"),
        old_limit=old.get("limit"),
        new_limit=new.get("limit"),
        old_met=old.get("met"),
        new_met=new.get("met"),
    )


def _composite(group: Doc | None) -> dict[str, Any] | None:
    if group is None or (
        group.get("composite_cv") is None and group.get("composite_limit") is None
    ):
        return None
    return {
        "cv": group.get("composite_cv"),
        "limit": group.get("composite_limit"),
        "met": group.get("composite_met"),
    }


# --------------------------------------------------------------------------- schools


def _check_ids(doc: Doc) -> list[str]:
    rules = doc.get("rules")
    if rules:
        return list(rules)
    seen: dict[str, None] = {}
    for s in doc["schools"]:
        seen.update(dict.fromkeys(s["checks"]))
    return list(seen)


def _titles(old: Doc, new: Doc) -> dict[str, str]:
    out: dict[str, str] = {}
    for doc in (old, new):
        for cid, rule in (doc.get("rules") or {}).items():
            if isinstance(rule, Mapping) and rule.get("title"):
                out[cid] = rule["title"]
    return out


def _gap(cid: str, title: str, o: Doc, n: Doc) -> GapChange | None:
    was, now = o.get("met"), n.get("met")
    before, after = o.get("shortfall"), n.get("shortfall")
    if was is False and now is True:
        change = "closed"
    elif was is False and now is False:
        if before is None or after is None or _same(before, after):
            return None
        change = "reduced" if _less(after, before) else "grown"
    elif now is False:
        change = "new"
    elif was is None and now is True:
        change = "now_met"
    elif now is None and was is not None:
        change = "undetermined"
    else:
        return None
    return GapChange(
        check=cid,
        title=title,
        unit=n.get("unit") or o.get("unit"),
        change=change,  # type: ignore[arg-type]
        old_met=was,
        new_met=now,
        old_shortfall=before,
        new_shortfall=after,
        old_value=o.get("value"),
        new_value=n.get("value"),
        old_threshold=o.get("threshold"),
        new_threshold=n.get("threshold"),
    )


def _only(s: Doc, excluded: Mapping[tuple[str, str], str | None]) -> SchoolOnlyIn:
    key = (s["id"], s["stage"])
    return SchoolOnlyIn(
        id=s["id"],
        stage=s["stage"],
        name=s.get("name"),
        county_code=s.get("county_code"),
        school_type=s.get("school_type"),
        passed=s["passed"],
        failed_checks=tuple(cid for cid, c in s["checks"].items() if c.get("met") is False),
        excluded_reason=excluded.get(key) if key in excluded else None,
    )


def _excluded(doc: Doc) -> dict[tuple[str, str], str | None]:
    return {(e["id"], e["stage"]): e.get("reason") for e in doc.get("excluded_schools") or ()}


def _schools(
    old: Doc, new: Doc
) -> tuple[tuple[SchoolComparison, ...], tuple[SchoolOnlyIn, ...], tuple[SchoolOnlyIn, ...], int]:
    titles = _titles(old, new)
    before = {(s["id"], s["stage"]): s for s in old["schools"]}
    after_keys = set()
    changed: list[SchoolComparison] = []
    only_new: list[SchoolOnlyIn] = []
    unchanged = 0
    old_excluded, new_excluded = _excluded(old), _excluded(new)
    for s in new["schools"]:
        key = (s["id"], s["stage"])
        after_keys.add(key)
        o = before.get(key)
        if o is None:
            only_new.append(_only(s, old_excluded))
            continue
        gaps = []
        for cid, nc in s["checks"].items():
            oc = o["checks"].get(cid)
            if oc is not None:
                gap = _gap(cid, titles.get(cid, cid), oc, nc)
                if gap is not None:
                    gaps.append(gap)
        if gaps or o["passed"] != s["passed"]:
            changed.append(
                SchoolComparison(
                    id=s["id"],
                    stage=s["stage"],
                    name=s.get("name") or o.get("name"),
                    county_code=s.get("county_code") or o.get("county_code"),
                    old_passed=o["passed"],
                    new_passed=s["passed"],
                    gaps=tuple(gaps),
                )
            )
        else:
            unchanged += 1
    only_old = tuple(
        _only(s, new_excluded) for s in old["schools"] if (s["id"], s["stage"]) not in after_keys
    )
    return tuple(changed), only_old, tuple(only_new), unchanged
