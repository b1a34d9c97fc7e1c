"""Decoding the national schools JSON file: dicts (orjson, msgspec) against typed Structs.

    python bench/json_decode.py --data DIR [--runs 3]      # DIR/schools.json from generate.py

Issue 17 asks whether decoding straight into typed records/columns beats building
210,000 dicts. Measured, each in a child process of its own (its own peak RSS),
``--runs`` times alternating, medians:

- ``orjson_dicts``: ``orjson.loads`` (junheng's parser for a file past the
  repeated-key check bound without the ``fastjson`` extra), then the 28 fields
  evaluation reads pulled into columns (:class:`junheng.bulk.RecordColumns`: one
  pass per table);
- ``msgspec_dicts``: ``msgspec.json.decode`` to dicts (junheng's parser with the
  ``fastjson`` extra), then the same columns;
- ``msgspec_structs``: ``msgspec.json.decode`` into Structs built from the school
  schema (typed, unknown fields refused: a first step of validation), then the same
  fields pulled as columns (``attrgetter`` per field).

``pyarrow.json.read_json`` is not a way: it reads newline-delimited JSON only, and
the contract's file is one array (measured: ``ArrowInvalid: straddling object
straddles two block boundaries``).

Figures (2 cores, shared machine, 210,000 schools, 209 MiB, ``--runs 3``, 2026-12-02;
decode + columns = total, peak RSS; every run in brackets):

=================  =====================================  ========  =========  ========
way                decode s                               columns   total      peak RSS
=================  =====================================  ========  =========  ========
orjson_dicts       0.97 / 2.62 / 5.35 (median 2.62)       1.09      3.71       1,351 MiB
msgspec_dicts      0.72 / 0.73 / 0.76                     0.99      1.72       897 MiB
msgspec_structs    0.38 / 0.40 / 0.47                     0.84      1.31       612 MiB
=================  =====================================  ========  =========  ========

What junheng does with them: msgspec to dicts is a drop-in for orjson (the same
dicts, so the dict API, validation and every located message are unchanged) that was
faster in every run and is 450 MiB lighter, so the reader uses it when installed
(``junheng.readers.json``). Structs save another 0.4 s and 285 MiB here, but they
are not dicts: using them means handing the JSON file to the columnar path (Structs →
Arrow columns → columnar validation), and msgspec stops at the first error where the
contract asks for all of them, so every invalid file would be decoded twice. Not done
in issue 17; see bench/README.md "Columnar path (issue 17)".

Prints one line per way and a JSON object; needs msgspec (the ``fastjson`` extra).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import gc, json, resource, sys, time
from operator import attrgetter
from pathlib import Path
gc.disable()
way, path = sys.argv[1], Path(sys.argv[2])
import numpy as np
import junheng
from junheng.bulk import RecordColumns
engine = junheng.Engine()
names = engine.registry.names
rs = engine.ruleset("national.quality.2017")
fields = names.school_fields_read(rs)
stage_fields = [f for f in names.stage_fields if f in fields or f in ("students", "classes")]
wide_fields = [f for f in names.wide_fields if f in fields]
tops = ["id", "name", "county_code", "school_type", "central_school_id"]
data = path.read_bytes()
t = time.perf_counter()
if way in ("orjson_dicts", "msgspec_dicts"):
    if way == "orjson_dicts":
        import orjson
        records = orjson.loads(data)
    else:
        import msgspec
        records = msgspec.json.decode(data)
    decoded = time.perf_counter()
    cols = RecordColumns(records)
    cols.values(tops)
    cols.floats(wide_fields)
    for s in ("primary", "junior"):
        cols.stage_floats(s, stage_fields)
else:  # msgspec_structs
    import msgspec
    from msgspec import UNSET, UnsetType
    kinds = {"integer": int, "number": float, "boolean": bool, "string": str}
    def struct(name, props, required=()):
        spec = []
        for key, prop in props.items():
            if prop.get("type") == "object":
                kind = struct(key.title(), prop.get("properties", {}), prop.get("required", ()))
            else:
                t_ = prop.get("type")
                t_ = t_ if isinstance(t_, list) else [t_]
                kind = None
                for one in t_:
                    k = type(None) if one == "null" else kinds[one]
                    kind = k if kind is None else kind | k
            spec.append((key, kind | UnsetType, UNSET))
        return msgspec.defstruct(name, spec, forbid_unknown_fields=True, gc=False)
    School = struct("School", engine.registry.schema("school")["properties"])
    records = msgspec.json.decode(data, type=list[School])
    decoded = time.perf_counter()
    def col(values):
        return np.array([np.nan if v is UNSET or v is None else v for v in values], dtype=float)
    out = {k: list(map(attrgetter(k), records)) for k in tops}
    out.update({k: col(map(attrgetter(k), records)) for k in wide_fields})
    for s in ("primary", "junior"):
        blocks = list(map(attrgetter(s), records))
        has = [b is not UNSET for b in blocks]
        for k in stage_fields:
            out[f"{s}.{k}"] = col(getattr(b, k) if h else UNSET for b, h in zip(blocks, has))
done = time.perf_counter()
print(json.dumps({"decode_s": decoded - t, "columns_s": done - decoded, "s": done - t,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

WAYS = ("orjson_dicts", "msgspec_dicts", "msgspec_structs")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    path = args.data / "schools.json"
    runs: dict[str, list[dict[str, float]]] = {w: [] for w in WAYS}
    for _ in range(args.runs):
        for way in WAYS:
            done = subprocess.run(
                [sys.executable, "-c", CHILD, way, str(path)], capture_output=True, text=True
            )
            if done.returncode:
                print(f"{way}: failed: {done.stderr.strip().splitlines()[-1:]}")
                continue
            runs[way].append(json.loads(done.stdout.strip().splitlines()[-1]))
    res = {}
    for way, rs in runs.items():
        if not rs:
            continue
        med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
        res[way] = {**med, "runs": rs}
        print(
            f"{way:<16} decode {med['decode_s']:.2f} s + columns {med['columns_s']:.2f} s"
            f" = {med['s']:.2f} s   peak RSS {med['rss_mib']:.0f} MiB"
        )
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
