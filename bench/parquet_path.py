"""The Parquet path alone (issue 17): ``junheng evaluate`` Parquet in → ``--format parquet`` out.

    python bench/parquet_path.py --data DIR [--runs 3] [--out DIR] [--reference DIR]

A narrower companion of ``columnar.py`` (which also runs the JSON and pandas paths and
takes minutes): ``DIR`` must already hold ``schools.parquet`` and ``counties.parquet``
(``columnar.py --data DIR`` writes them); they are read, never rewritten. ``--runs``
times, alternating, as ``columnar.py`` measures them:

- ``cli``: ``junheng evaluate schools.parquet --county counties.parquet --ruleset
  national.quality.2017 --format parquet --output OUT/cli`` as a new process (wall
  clock, the child's peak RSS), plus the same command's ``--help``-free start-up
  (``python -c "import junheng; junheng.Engine().ruleset(...)"``) as a new process;
- ``inproc``: ``engine.load`` + ``evaluate`` + ``write_report(..., "parquet")`` in a
  child of its own (``columnar.py``'s child: load, evaluate, write split; VmHWM).

With ``--reference DIR`` (a folder an earlier ``--format parquet`` run wrote), the CLI's
two files are checked equal to it, table against table, the provenance metadata aside:
an optimisation must not change a value. Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import columnar

RULESET = columnar.RULESET
STARTUP = "import junheng; junheng.Engine().ruleset('national.quality.2017')"


def _startup() -> float:
    launcher = (
        "import subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True)\n"
        "print(time.perf_counter() - t)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", launcher, sys.executable, "-c", STARTUP],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(done.stdout.split()[-1])


def same_tables(got: Path, reference: Path) -> dict[str, bool]:
    """Each file of the Parquet report equal to the reference's (schema metadata aside)."""
    import pyarrow.parquet as pq

    out = {}
    for name in ("schools.parquet", "counties.parquet"):
        a = pq.read_table(got / name)
        b = pq.read_table(reference / name)
        out[name] = a.replace_schema_metadata(None).equals(b.replace_schema_metadata(None))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", type=Path, help="where the reports go (default: a temp dir)")
    ap.add_argument("--reference", type=Path, help="a Parquet report folder to compare with")
    args = ap.parse_args(argv)
    tmp = tempfile.TemporaryDirectory(prefix="junheng-parquet-")
    out = args.out or Path(tmp.name)
    out.mkdir(parents=True, exist_ok=True)
    command = [
        "evaluate",
        str(args.data / "schools.parquet"),
        "--county",
        str(args.data / "counties.parquet"),
        "--ruleset",
        RULESET,
        "--format",
        "parquet",
        "--output",
        str(out / "cli"),
    ]
    runs: dict[str, list[Any]] = {"cli": [], "startup_s": [], "inproc": []}
    for _ in range(args.runs):
        runs["cli"].append(columnar.cli(command))
        runs["startup_s"].append(_startup())
        figures, _verdicts = columnar.in_process("parquet", args.data)
        runs["inproc"].append(figures)

    def median(rows: list[dict[str, float]], key: str) -> float:
        return round(statistics.median(r[key] for r in rows), 3)

    result: dict[str, Any] = {
        "cli_s": median(runs["cli"], "s"),
        "cli_rss_mib": round(statistics.median(r["rss_mib"] for r in runs["cli"])),
        "startup_s": round(statistics.median(runs["startup_s"]), 3),
        **{
            f"inproc_{k}": median(runs["inproc"], k)
            for k in ("s", "load_s", "evaluate_s", "write_s", "rss_mib")
        },
        "runs": runs,
    }
    if args.reference:
        result["equal_to_reference"] = same_tables(out / "cli", args.reference)
    print(
        f"CLI {result['cli_s']:.2f} s, {result['cli_rss_mib']} MiB; start-up "
        f"{result['startup_s']:.2f} s; in process {result['inproc_s']:.2f} s (load "
        f"{result['inproc_load_s']:.2f}, evaluate {result['inproc_evaluate_s']:.2f}, write "
        f"{result['inproc_write_s']:.2f}), {result['inproc_rss_mib']:.0f} MiB"
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
