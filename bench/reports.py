"""Report formats at province scale (issue 16): each format's cost against the JSON report.

    python bench/reports.py --schools 1500 15000 60000        # generates each size first

For each size the data are generated (``bench/generate.py``, ``national.quality.2017``),
then ``junheng evaluate schools.json --county counties.json --ruleset
national.quality.2017 --format FORMAT --output report.FORMAT`` runs as a new process for
every format, one after the other, in this one run: the wall clock a user waits
(interpreter start, imports, plugin discovery, reading, validation, evaluation, the
terminal summary and the report), the child's peak RSS and the file's size. The ratio of
each format's wall time to the JSON report's at the same size is printed side by side
(the issue's target: HTML ≤ 2× and XLSX ≤ 2× at 15,000 schools). ``--repeat K`` runs each
format K times and keeps the fastest (the least disturbed) run.

Prints a table and, as its last line, one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

RULESET = "national.quality.2017"
FORMATS = ("json", "md", "html", "xlsx")
DEADLINE_S = 600


def run_format(data: Path, fmt: str, out: Path) -> dict[str, Any]:
    """One ``junheng evaluate … --format fmt`` as a new process: seconds, peak RSS, bytes."""
    cmd = [
        sys.executable,
        "-m",
        "junheng",
        "evaluate",
        str(data / "schools.json"),
        "--county",
        str(data / "counties.json"),
        "--ruleset",
        RULESET,
        "--format",
        fmt,
        "--output",
        str(out),
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # wait4: this child's own resource usage (RUSAGE_CHILDREN would sum every child so far)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode not in (0, 1):  # 1: some county fails, as generated
        raise SystemExit(f"{fmt}: exit {proc.returncode}\n{stderr[-3000:]}")
    return {
        "s": round(seconds, 3),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "mib": round(out.stat().st_size / 2**20, 2),
    }


def bench_size(n: int, data: Path, repeat: int, seed: int) -> dict[str, Any]:
    generate.write(n, data, seed)
    counties = len(json.loads((data / "counties.json").read_bytes()))
    res: dict[str, Any] = {"schools": n, "counties": counties}
    for fmt in FORMATS:
        runs = [run_format(data, fmt, data / f"report.{fmt}") for _ in range(repeat)]
        res[fmt] = min(runs, key=lambda r: r["s"])
    base = res["json"]["s"]
    res["ratio"] = {fmt: round(res[fmt]["s"] / base, 2) for fmt in FORMATS}
    return res


def table(results: list[dict[str, Any]]) -> str:
    head = "| schools | counties | " + " | ".join(f"{f} s (MiB)" for f in FORMATS)
    head += " | " + " | ".join(f"{f} ÷ json" for f in FORMATS if f != "json") + " |"
    lines = [head, "|" + "---|" * (2 + 2 * len(FORMATS) - 1)]
    for r in results:
        cells = [f"{r['schools']:,}", f"{r['counties']:,}"]
        cells += [f"{r[f]['s']:.2f} ({r[f]['mib']:.1f})" for f in FORMATS]
        cells += [f"{r['ratio'][f]:.2f}×" for f in FORMATS if f != "json"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--schools", type=int, nargs="+", default=[1500, 15000, 60000])
    ap.add_argument("--data", type=Path, help="directory to generate into (default: a temp dir)")
    ap.add_argument("--seed", type=int, default=generate.SEED)
    ap.add_argument("--repeat", type=int, default=1, help="runs per format, the fastest kept")
    args = ap.parse_args(argv)

    started = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="junheng-bench-reports-") as tmp:
        for n in args.schools:
            if time.monotonic() - started > DEADLINE_S:
                print(f"deadline of {DEADLINE_S} s passed: {n} schools not run", file=sys.stderr)
                break
            data = (args.data or Path(tmp)) / str(n)
            results.append(bench_size(n, data, max(1, args.repeat), args.seed))
            print(table(results[-1:]).splitlines()[-1], file=sys.stderr, flush=True)
    print(table(results))
    print(json.dumps({"ruleset": RULESET, "sizes": results}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
