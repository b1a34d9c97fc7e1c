"""Rulesets: TOML rule data read, resolved along ``extends``, checked and compiled.

A ruleset file reads like the policy it encodes: every rule has an ``id``
(its table key), a Chinese ``title``, the ``source`` document and clause, an
optional ``unverified = true`` where no source gives the number, and an
optional ``owner`` (the office responsible, used by the rectification ledger).
The file format is described by ``schemas/ruleset.schema.json`` and in the
README. The steps, one module each:

- :mod:`~junheng.ruleset.load` — bounded TOML, structure against the schema;
- :mod:`~junheng.ruleset.merge` — ``extends`` overlays, ``remove``, per-key origins;
- :mod:`~junheng.ruleset.compile` — formulas compiled, references and cycles checked;
- :mod:`~junheng.ruleset.graph` — the dependency graphs (cycles, evaluation order);
- :mod:`~junheng.ruleset.model` — the frozen result, a :class:`Ruleset`.
"""

from ..domain import SCHOOL_TYPES, STAGE_TITLES, STAGES
from .compile import build_ruleset
from .load import (
    MAX_EXTENDS_DEPTH,
    MAX_RULESET_BYTES,
    MAX_RULESET_NESTING,
    MAX_RULESET_VALUES,
    check_structure,
    read_toml,
    ruleset_schema,
)
from .merge import merge, strip_origin
from .model import (
    CompositeCV,
    CountyItem,
    EvaluationOrder,
    Indicator,
    MultiYearRule,
    Preparation,
    RuleMeta,
    Ruleset,
    RulesetError,
    SchoolRule,
    Score,
    ScoreNode,
    StageValue,
    Veto,
)

__all__ = [
    "MAX_EXTENDS_DEPTH",
    "MAX_RULESET_BYTES",
    "MAX_RULESET_NESTING",
    "MAX_RULESET_VALUES",
    "SCHOOL_TYPES",
    "STAGES",
    "STAGE_TITLES",
    "CompositeCV",
    "CountyItem",
    "EvaluationOrder",
    "Indicator",
    "MultiYearRule",
    "Preparation",
    "RuleMeta",
    "Ruleset",
    "RulesetError",
    "SchoolRule",
    "Score",
    "ScoreNode",
    "StageValue",
    "Veto",
    "build_ruleset",
    "check_structure",
    "indicator_order",
    "merge",
    "read_toml",
    "ruleset_schema",
    "strip_origin",
]


def indicator_order(ruleset: Ruleset) -> list[str]:
    """Indicator ids sorted so that each comes after the indicators it reads."""
    return list(ruleset.order.indicators)
