"""Columnar paths beside the JSON path (issue 17): Parquet in → Parquet out, a pandas DataFrame.

    python bench/columnar.py --schools 210000 [--runs 3] [--data DIR]

Generates the national batch (``generate.py``), writes it also as ``schools.parquet``
and ``counties.parquet`` (untimed), then measures, ``--runs`` times each with the
paths alternating (the machine is shared: the medians are reported, and every run):

- ``cli_json``: ``junheng evaluate schools.json --county counties.json --output report.json``
  as a new process (wall clock, peak RSS);
- ``cli_parquet``: ``junheng evaluate schools.parquet --county counties.parquet
  --format parquet --output DIR`` as a new process;
- ``inproc_json`` / ``inproc_parquet``: the same work in one process (``engine.load``
  + ``evaluate`` + ``write_report``), Engine construction excluded, each in a child
  process of its own so that its peak RSS is its own;
- ``inproc_pandas``: a pandas DataFrame (``pandas.read_parquet``, untimed: the caller
  has it) through ``engine.load`` + ``evaluate`` + ``report.schools.to_pandas()``;
- ``evaluate_alone_s`` ÷ ``numpy_limit_s`` in this process (``run.py``'s definitions:
  dict records, nothing pulled before; the limit pulls its own 10 fields), and the
  columnar counterpart ``evaluate_alone_columns_s`` (the table's columns, not validated).

Verdicts are cross-checked: every in-process path's unit verdicts equal each other's,
the Parquet CLI's ``schools.parquet`` ``passed`` column equals them, and the JSON path's
report equals the numpy limit (verdicts and CVs, as in ``run.py``). Last line: one JSON
object with every figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate
import run

RULESET = "national.quality.2017"

# the child of an in-process measurement: argv = kind, data dir, verdicts file
CHILD = r"""
import gc, json, sys, time
from pathlib import Path
kind, data, verdicts = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
def hwm_mib():
    # this process's own peak resident set: ru_maxrss would report the parent's, whose
    # address space the child's is copied from before exec (the kernel keeps its peak)
    with open("/proc/self/status") as status:
        line = next(l for l in status if l.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
gc.disable()  # as junheng evaluate does for the whole command
import numpy as np
import junheng
from junheng.outputs import write_report
engine = junheng.Engine()
rs = engine.ruleset("national.quality.2017")
if kind == "pandas":
    import pandas as pd
    frame = pd.read_parquet(data / "schools.parquet")
    county = pd.read_parquet(data / "counties.parquet")
t = time.perf_counter()
if kind == "json":
    inputs = engine.load(data / "schools.json", data / "counties.json", ruleset=rs.id)
elif kind == "parquet":
    inputs = engine.load(data / "schools.parquet", data / "counties.parquet", ruleset=rs.id)
else:
    inputs = engine.load(frame, county, ruleset=rs.id)
loaded = time.perf_counter()
loaded_mib = hwm_mib()
assert not inputs.has_errors, inputs.errors[:3]
report = engine.evaluate(rs.id, inputs)
evaluated = time.perf_counter()
evaluated_mib = hwm_mib()
if kind == "json":
    write_report(report, "json", data / f"inproc-{kind}.json")
elif kind == "parquet":
    write_report(report, "parquet", data / f"inproc-{kind}")
else:
    out = report.schools.to_pandas()
done = time.perf_counter()
np.save(verdicts, np.nan_to_num(report.schools.passed[report.schools.units.included], nan=-1))
print(json.dumps({
    "s": done - t, "load_s": loaded - t, "evaluate_s": evaluated - loaded,
    "write_s": done - evaluated,
    "rss_mib": hwm_mib(), "rss_after_load_mib": loaded_mib,
    "rss_after_evaluate_mib": evaluated_mib,
}))
"""


def cli(args: list[str]) -> dict[str, float]:
    """A ``junheng`` command as a new process: wall clock and its own peak RSS."""
    return run.junheng_process(args)


def in_process(kind: str, data: Path) -> tuple[dict[str, float], np.ndarray]:
    verdicts = data / f"verdicts-{kind}.npy"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(data), str(verdicts)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"in-process {kind} failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), np.load(verdicts)


def to_parquet(data: Path) -> float:
    """schools.parquet and counties.parquet from the JSON files (struct stage blocks)."""
    import orjson
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = time.perf_counter()
    schools = orjson.loads((data / "schools.json").read_bytes())
    pq.write_table(pa.Table.from_struct_array(pa.array(schools)), data / "schools.parquet")
    del schools
    counties = orjson.loads((data / "counties.json").read_bytes())
    counties = [{k: v for k, v in c.items() if v != {}} for c in counties]  # no empty struct
    pq.write_table(pa.Table.from_struct_array(pa.array(counties)), data / "counties.parquet")
    return time.perf_counter() - t


def evaluate_alone_and_limit(data: Path, runs: int) -> dict[str, Any]:
    """``run.py``'s evaluate-alone and numpy-limit figures (medians, alternating), the
    columnar evaluate-alone beside them, and the limit's cross-check of the verdicts."""
    import orjson
    import pyarrow.parquet as pq

    import junheng
    from junheng.readers.arrow import read_table

    engine = junheng.Engine()
    engine.ruleset(RULESET)
    with run.gc_paused():
        records = orjson.loads((data / "schools.json").read_bytes())
        counties = orjson.loads((data / "counties.json").read_bytes())
    table = pq.read_table(data / "schools.parquet")
    alone, limit, columns = [], [], []
    lim = report = None
    for _ in range(runs):
        with run.gc_paused():
            report, s = run.timed(
                lambda: engine.evaluate(RULESET, records, counties, validate_input=False)
            )
        alone.append(s)
        gc.disable()
        try:
            lim = run.numpy_limit(records)
        finally:
            gc.enable()
        limit.append(lim["seconds"])
        read = read_table(table, "schools", engine.registry.school_fields)
        with run.gc_paused():
            _, s = run.timed(
                lambda read=read: engine.evaluate(
                    RULESET, read.records, counties, validate_input=False, columns=read.columns
                )
            )
        columns.append(s)
    agree = run.compare(report, lim)
    verdicts = np.nan_to_num(report.schools.passed[report.schools.units.included], nan=-1)
    return {
        "evaluate_alone_s": statistics.median(alone),
        "evaluate_alone_columns_s": statistics.median(columns),
        "numpy_limit_s": statistics.median(limit),
        "evaluate_alone_runs": alone,
        "evaluate_alone_columns_runs": columns,
        "numpy_limit_runs": limit,
        "limit_agrees": bool(agree["passed_equal"] and agree["cv_equal"]),
        "units": agree["units"],
        "verdicts": verdicts,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--schools", type=int, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data", type=Path, help="directory to generate into (default: a temp dir)")
    ap.add_argument("--seed", type=int, default=generate.SEED)
    args = ap.parse_args(argv)
    tmp = tempfile.TemporaryDirectory(prefix="junheng-columnar-")
    data = args.data or Path(tmp.name)
    data.mkdir(parents=True, exist_ok=True)
    if not (data / "schools.json").exists():
        generate.write(args.schools, data, args.seed)
    convert_s = to_parquet(data)

    runs: dict[str, list[dict[str, float]]] = {}
    verdicts: dict[str, np.ndarray] = {}
    for _ in range(args.runs):  # alternating: each round runs every path once
        runs.setdefault("cli_json", []).append(
            cli(
                [
                    "evaluate",
                    str(data / "schools.json"),
                    "--county",
                    str(data / "counties.json"),
                    "--ruleset",
                    RULESET,
                    "--output",
                    str(data / "cli.json"),
                ]
            )
        )
        runs.setdefault("cli_parquet", []).append(
            cli(
                [
                    "evaluate",
                    str(data / "schools.parquet"),
                    "--county",
                    str(data / "counties.parquet"),
                    "--ruleset",
                    RULESET,
                    "--format",
                    "parquet",
                    "--output",
                    str(data / "cli-parquet"),
                ]
            )
        )
        for kind in ("json", "parquet", "pandas"):
            figures, verdicts[kind] = in_process(kind, data)
            runs.setdefault(f"inproc_{kind}", []).append(figures)
    limit = evaluate_alone_and_limit(data, args.runs)

    import pyarrow.parquet as pq

    cli_passed = pq.read_table(data / "cli-parquet" / "schools.parquet").column("passed")
    cli_verdicts = np.array([-1 if v is None else float(v) for v in cli_passed.to_pylist()])
    reference = limit.pop("verdicts")
    agree = {
        **{
            f"{k}_equals_json": bool(np.array_equal(v, verdicts["json"]))
            for k, v in verdicts.items()
        },
        "cli_parquet_equals_json": bool(np.array_equal(cli_verdicts, verdicts["json"])),
        "evaluate_alone_equals_json": bool(np.array_equal(reference, verdicts["json"])),
        "numpy_limit_agrees": limit["limit_agrees"],
    }
    med = {
        path: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for path, rs in runs.items()
    }
    res: dict[str, Any] = {
        "schools": args.schools,
        "units": limit["units"],
        "runs": args.runs,
        "convert_to_parquet_s": convert_s,
        **{f"{path}_{k}": v for path, m in med.items() for k, v in m.items()},
        **{k: v for k, v in limit.items() if k.endswith("_s")},
        "evaluate_alone_over_numpy_limit": limit["evaluate_alone_s"] / limit["numpy_limit_s"],
        "evaluate_alone_columns_over_numpy_limit": limit["evaluate_alone_columns_s"]
        / limit["numpy_limit_s"],
        "verdicts_agree": all(agree.values()),
        "agreement": agree,
        "every_run": {**runs, **{k: v for k, v in limit.items() if k.endswith("_runs")}},
    }
    rows = [
        ("JSON in → JSON out, new process", "cli_json_s", "cli_json_rss_mib"),
        ("JSON in → JSON out, in process", "inproc_json_s", "inproc_json_rss_mib"),
        ("Parquet in → Parquet out, new process", "cli_parquet_s", "cli_parquet_rss_mib"),
        ("Parquet in → Parquet out, in process", "inproc_parquet_s", "inproc_parquet_rss_mib"),
        ("pandas DataFrame in → out, in process", "inproc_pandas_s", "inproc_pandas_rss_mib"),
    ]
    print(
        f"{args.schools} schools, {limit['units']} units; medians of {args.runs} alternating runs"
    )
    for label, s, rss in rows:
        print(f"{label:<42} {res[s]:7.2f} s   peak RSS {res[rss]:7.0f} MiB")
    for kind in ("json", "parquet", "pandas"):
        m = f"inproc_{kind}"
        print(
            f"  {kind:<8} load {res[f'{m}_load_s']:.2f}  evaluate {res[f'{m}_evaluate_s']:.2f}"
            f"  write {res[f'{m}_write_s']:.2f} s;  peak RSS after load"
            f" {res[f'{m}_rss_after_load_mib']:.0f}, after evaluate"
            f" {res[f'{m}_rss_after_evaluate_mib']:.0f}, at the end {res[f'{m}_rss_mib']:.0f} MiB"
        )
    print(
        f"{'evaluate alone ÷ numpy limit':<42} {limit['evaluate_alone_s']:.2f} / "
        f"{limit['numpy_limit_s']:.2f} = {res['evaluate_alone_over_numpy_limit']:.2f}×"
    )
    print(
        f"{'  on the table columns':<42} {limit['evaluate_alone_columns_s']:.2f} / "
        f"{limit['numpy_limit_s']:.2f} = {res['evaluate_alone_columns_over_numpy_limit']:.2f}×"
    )
    print(f"{'verdicts agree (all paths, numpy limit)':<42} {res['verdicts_agree']}")
    print(json.dumps(res, default=float))
    tmp.cleanup()
    return 0 if res["verdicts_agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
