"""整改方案: the least additions that make a county pass, per school, in real units.

    import junheng
    from junheng.plan import plan

    engine = junheng.Engine()
    result = plan(engine, "national.quality.2017", "schools.json", "county.json")
    # or: engine.plan("national.quality.2017", "schools.json", "county.json")
    for county in result.counties:
        print(county.county_code, county.status, county.total_cost)

For every county of the input, :func:`plan` finds the additions — m² of teaching rooms or
sports ground, yuan of equipment, rooms, books, teachers hired, trained or moved between
schools — that make each school meet its standard (k-of-n rules with their floor included)
and every difference coefficient meet its limit, at the least cost, and checks the result
by evaluating the data with the plan applied. What school additions cannot reach is said:
requirements no lever can meet (:class:`UnreachableItem`), and the county criteria left as
actions with their gap (:class:`CountyAction`).

The method (docs/plan.md): the difference coefficient part is solved to optimality by
water-filling (:mod:`.waterfill`), the combinatorial part (what stays at 85 %, whole units)
greedily with its gap measured in ``bench/plan.py``. Modules, in pipeline order:
:mod:`.costs` (levers and unit costs), :mod:`.levers` (where each lever's count lives and how
it reaches each stage), :mod:`.requirements` (the school-based items as bounds and counts),
:mod:`.problem` (both, from the evaluation), :mod:`.choice` (k-of-n), :mod:`.waterfill` (the
CV optimum), :mod:`.solve` and :mod:`.moves` (whole-unit additions, teacher moves),
:mod:`.apply` (the records after the plan), :mod:`.build` (end to end, verified),
:mod:`.model` and :mod:`.rows` (the result), :mod:`.budget` (``--budget``), :mod:`.report`,
:mod:`.report_xlsx`, :mod:`.report_html` (JSON, Markdown, XLSX, HTML).

This package sits below :mod:`junheng.engine` in the layers: it receives the engine as an
argument and calls only its public methods (``ruleset``, ``load``, ``evaluate``,
``validate``, ``registry``), so :meth:`junheng.Engine.plan` can delegate to it.
"""

from __future__ import annotations

from .build import plan
from .costs import Costs, Lever, load_costs
from .model import (
    Addition,
    CountyAction,
    CountyPlan,
    CriterionChange,
    CvChange,
    Move,
    Plan,
    UnreachableItem,
)

__all__ = [
    "Addition",
    "Costs",
    "CountyAction",
    "CountyPlan",
    "CriterionChange",
    "CvChange",
    "Lever",
    "Move",
    "Plan",
    "UnreachableItem",
    "load_costs",
    "plan",
]
