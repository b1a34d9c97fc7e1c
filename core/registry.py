"""The registry: everything plugins contributed to one engine, in one object.

An :class:`~junheng.Engine` calls the discovery hooks once and keeps what they
returned here — the record schemas with the plugins' fields and their
catalogues, the readers by file extension, the report writers by format, the
formula functions, the ruleset files — and passes it down explicitly to the
readers, validation, the units step and the writers. Nothing a plugin
contributes is kept in module state, so two engines with different plugins in
one process are independent.

:meth:`Registry.core` is the registry of no plugin at all (the core schemas and
the core formula functions), what the module-level helpers (``read_schools``,
``validate``) use when no engine is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import attrs

from .fields import FieldCatalogue, catalogue, load_schema
from .formula import BUILTIN_FUNCTIONS, FormulaFunction
from .names import NameSpace

__all__ = ["Reader", "Registry", "RulesetSource", "Writer"]


@attrs.frozen
class Writer:
    """A report format, as a plugin contributes it through ``junheng_writers``.

    Either ``render(report) -> bytes`` (the whole file built in memory, then written
    atomically) or ``stream(report, binary_file)`` (written piece by piece into the
    temporary file, for reports too large to hold twice), or ``files(report) ->
    {name: bytes}`` (a format that is a folder of files, such as ``parquet``: every
    file built in memory, then each written atomically into the folder; an empty
    ``extension``). A folder format is written to disk only, never served over HTTP.
    """

    format: str
    extension: str
    media_type: str
    title: str = ""
    render: Callable[[Any], bytes] | None = None
    stream: Callable[[Any, BinaryIO], None] | None = None
    files: Callable[[Any], Mapping[str, bytes]] | None = None


@attrs.frozen
class Reader:
    """A reader of one file extension and the plugin that contributed it."""

    extension: str
    read: Callable[[Path, str], Any]
    plugin: str


@attrs.frozen
class RulesetSource:
    """A ruleset file a plugin contributed: where it is, who gave it, its parsed data."""

    id: str
    file: Any  # a path or an importlib.resources Traversable
    name: str  # the file as messages show it
    plugin: str
    data: Mapping[str, Any] = attrs.field(eq=False, repr=False)


@attrs.frozen(eq=False)
class Registry:
    """What one engine's plugins contributed (built once by the engine, then read only)."""

    school_schema: Mapping[str, Any] = attrs.field(repr=False)
    county_schema: Mapping[str, Any] = attrs.field(repr=False)
    school_fields: FieldCatalogue = attrs.field(repr=False)
    county_fields: FieldCatalogue = attrs.field(repr=False)
    #: (``school`` | ``county``, extension path) → the plugins that declared it
    field_owners: Mapping[tuple[str, str], tuple[str, ...]] = attrs.field(factory=dict)
    readers: Mapping[str, Reader] = attrs.field(factory=dict)
    writers: Mapping[str, Writer] = attrs.field(factory=dict)
    writer_owners: Mapping[str, str] = attrs.field(factory=dict)
    functions: Mapping[str, FormulaFunction] = attrs.field(factory=dict)
    function_owners: Mapping[str, str] = attrs.field(factory=dict)
    rulesets: Mapping[str, RulesetSource] = attrs.field(factory=dict)
    names: NameSpace = attrs.field(init=False, repr=False)
    #: things derived from the schemas once per registry (compiled validators …)
    derived: dict[str, Any] = attrs.field(factory=dict, repr=False)

    def __attrs_post_init__(self) -> None:
        names = NameSpace.from_catalogues(self.school_fields, self.county_fields)
        object.__setattr__(self, "names", names)

    @classmethod
    def build(
        cls, school_schema: Mapping[str, Any], county_schema: Mapping[str, Any], **parts: Any
    ) -> Registry:
        """A registry over these (extended) schemas; ``parts`` as the attributes."""
        return cls(
            school_schema=school_schema,
            county_schema=county_schema,
            school_fields=catalogue("school", school_schema),
            county_fields=catalogue("county", county_schema),
            **parts,
        )

    @classmethod
    def core(cls) -> Registry:
        """The core schemas and formula functions, no plugin (shared, never modified)."""
        return _core_registry()

    def schema(self, name: str) -> Mapping[str, Any]:
        """The extended record schema ``school`` or ``county``."""
        return {"school": self.school_schema, "county": self.county_schema}[name]

    def catalogue(self, name: str) -> FieldCatalogue:
        return {"school": self.school_fields, "county": self.county_fields}[name]

    def field_owner(self, schema_name: str, path: str) -> str | None:
        """The plugin that added a field (None for a core field)."""
        owners = self.field_owners.get((schema_name, path))
        return owners[0] if owners else None


@cache
def _core_registry() -> Registry:
    return Registry.build(
        load_schema("school"),
        load_schema("county"),
        functions=dict(BUILTIN_FUNCTIONS),
        function_owners=dict.fromkeys(BUILTIN_FUNCTIONS, "junheng.defaults.functions"),
    )
