"""Typed evaluation results (attrs, frozen) and their JSON form (CONTRACT.md report shape).

- :mod:`~junheng.results.schools` — per-school results, columnar (:class:`SchoolTable`);
- :mod:`~junheng.results.county` — county criteria, CVs, score, and the county values used;
- :mod:`~junheng.results.report` — the :class:`Report` of one evaluation;
- :mod:`~junheng.results.rows` — the row spec of the report's ``schools`` array;
- :mod:`~junheng.results.values` — undefined values as JSON has them.
"""

from .county import (
    CountyResult,
    CountyTable,
    Criterion,
    GroupResult,
    IndicatorStat,
    MultiYearTrace,
    ScoreLine,
    ScoreResult,
    YearResult,
)
from .report import Report
from .schools import Check, SchoolResult, SchoolTable
from .values import as_bool, as_float, json_bools, json_floats

STATUS_TITLES = {"met": "达标", "failed": "未达标", "not_evaluated": "未评估"}

__all__ = [
    "STATUS_TITLES",
    "Check",
    "CountyResult",
    "CountyTable",
    "Criterion",
    "GroupResult",
    "IndicatorStat",
    "MultiYearTrace",
    "Report",
    "SchoolResult",
    "SchoolTable",
    "ScoreLine",
    "ScoreResult",
    "YearResult",
    "as_bool",
    "as_float",
    "json_bools",
    "json_floats",
]
