"""The vocabulary every step shares: school stages, school types and which stage blocks each type has.

These are facts of the inspection systems (DOMAIN.md §2, §6), not of any one
ruleset: primary and junior are evaluated separately, and a school's type says
which stage blocks (``primary``, ``junior``) its record must and may carry.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["SCHOOL_TYPES", "STAGES", "STAGE_BLOCKS", "STAGE_TITLES", "default_stages"]

#: the two stages of compulsory education, in report order
STAGES: tuple[str, ...] = ("primary", "junior")
STAGE_TITLES: Mapping[str, str] = {"primary": "小学", "junior": "初中"}

SCHOOL_TYPES: tuple[str, ...] = (
    "primary",
    "junior",
    "nine_year",
    "twelve_year",
    "complete_middle",
    "teaching_point",
    "special_education",
)

#: school_type → (stage blocks required, stage blocks allowed). A special-education
#: school must have at least one of the two blocks.
STAGE_BLOCKS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "primary": (frozenset({"primary"}), frozenset({"primary"})),
    "junior": (frozenset({"junior"}), frozenset({"junior"})),
    "nine_year": (frozenset({"primary", "junior"}), frozenset({"primary", "junior"})),
    "twelve_year": (frozenset({"junior"}), frozenset({"primary", "junior"})),
    "complete_middle": (frozenset({"junior"}), frozenset({"junior"})),
    "teaching_point": (frozenset({"primary"}), frozenset({"primary"})),
    "special_education": (frozenset(), frozenset({"primary", "junior"})),
}


def default_stages(school_type: str) -> tuple[str, ...]:
    """The stage blocks a school of this type usually has (required ones; a special
    school: primary), in :data:`STAGES` order."""
    required, allowed = STAGE_BLOCKS.get(school_type, (frozenset(), frozenset()))
    if school_type == "twelve_year":
        required = allowed
    if school_type == "special_education":
        required = frozenset({"primary"})
    return tuple(s for s in STAGES if s in required)
