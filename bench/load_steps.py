"""``engine.load`` of the national batch split into reading and validation, JSON and Parquet.

    python bench/load_steps.py --data DIR      # DIR from bench/columnar.py (JSON and Parquet)

Each case in a child process of its own (``gc`` disabled, as ``junheng evaluate``):

- ``json`` / ``parquet``: a first, cold ``engine.load(schools, counties, ruleset=...)``
  (imports pyarrow, touches fresh memory), then twice the two steps of ``load``
  (``junheng.inputs.read_inputs``, ``check_inputs``) warm; the peak RSS (VmHWM) at the end;
- ``json_read_msgspec`` / ``json_read_orjson``: ``read_schools`` of the JSON file alone
  with each large-file parser (``junheng.readers.json``), its time and the peak RSS.

Figures (2 cores, shared machine, 210,000 schools, 2026-12-02): see bench/README.md
"Columnar path (issue 17)". Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import gc, json, sys, time
from pathlib import Path
gc.disable()
import junheng
from junheng import readers
from junheng.inputs import check_inputs, read_inputs
from junheng.readers import json as json_reader
case, d = sys.argv[1], Path(sys.argv[2])
def hwm_mib():
    with open("/proc/self/status") as status:
        return int(next(l for l in status if l.startswith("VmHWM:")).split()[1]) / 1024
out = {}
if case.startswith("json_read_"):
    if case == "json_read_orjson":
        json_reader._msgspec = lambda: None
    t = time.perf_counter()
    read = readers.read_schools(d / "schools.json")
    out["read_s"] = time.perf_counter() - t
    assert len(read.records) > 0 and not read.has_errors
else:
    engine = junheng.Engine()
    rs = engine.ruleset("national.quality.2017")
    required = engine.required_fields(rs)
    s, c = d / f"schools.{case}", d / f"counties.{case}"
    t = time.perf_counter()
    inputs = engine.load(s, c, ruleset=rs.id)
    out["cold_load_s"] = time.perf_counter() - t
    assert not inputs.has_errors
    del inputs
    for i in (1, 2):
        t = time.perf_counter()
        sr, cr = read_inputs(engine.registry, s, c)
        t1 = time.perf_counter()
        inputs = check_inputs(engine.registry, sr, cr, sources=(s, c), required_fields=required,
                              ruleset_id=rs.id)
        out[f"warm_read_s_{i}"] = t1 - t
        out[f"warm_validate_s_{i}"] = time.perf_counter() - t1
        del inputs, sr, cr
out["rss_mib"] = hwm_mib()
print(json.dumps(out))
"""

CASES = ("json", "parquet", "json_read_msgspec", "json_read_orjson")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--data", type=Path, required=True)
    args = ap.parse_args(argv)
    res = {}
    for case in CASES:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, case, str(args.data)], capture_output=True, text=True
        )
        if done.returncode:
            raise SystemExit(f"{case} failed: {done.stderr[-2000:]}")
        res[case] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{case:<18} " + "  ".join(f"{k} {v:.2f}" for k, v in res[case].items()))
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
