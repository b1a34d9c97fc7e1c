"""What ``junheng compare`` costs at province scale, beside the evaluation it follows.

    python bench/compare.py --schools 15000 --out /tmp/jh-compare

Generates a province (bench/generate.py), evaluates it as written (OLD) and again after a
round of rectification (NEW: in every other county the failing schools get 20 % more of
every resource and the teacher rotation reaches 12 %), both with ``junheng evaluate
--format json`` as new processes, then times ``junheng compare OLD NEW`` in each format as
a new process, and prints each time beside the JSON evaluation's (ratios), with the peak
memory of each process (``ru_maxrss`` of the child).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (bench/generate.py, next to this file)

RESOURCES = (
    "teaching_room_area_m2",
    "sports_area_m2",
    "equipment_value_yuan",
    "multimedia_rooms",
)
TEACHERS = ("teachers_above_degree", "backbone_teachers_county", "pe_arts_teachers")


def rectify(schools: list[dict], counties: list[dict]) -> tuple[list[dict], list[dict]]:
    """Every other county: 20 % more of each resource for every school, rotation 12 %."""
    schools, counties = copy.deepcopy(schools), copy.deepcopy(counties)
    fixed = {c["county_code"] for k, c in enumerate(counties) if k % 2 == 0}
    for s in schools:
        if s["county_code"] not in fixed:
            continue
        for key in RESOURCES:
            if isinstance(s.get(key), (int, float)):
                s[key] = round(s[key] * 1.2)
        for stage in ("primary", "junior"):
            block = s.get(stage)
            for key in TEACHERS:
                if block and isinstance(block.get(key), int):
                    block[key] = min(block["teachers"], round(block[key] * 1.2))
    for c in counties:
        if c["county_code"] in fixed:
            c.setdefault("items", {})["teacher_rotation_pct"] = 12
    return schools, counties


def run(cmd: list[str], log: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS of this child in MiB, exit status)."""
    start = time.perf_counter()
    with open(log, "wb") as err:
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.stderr.write(log.read_text("utf-8", "replace"))
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return wall, usage.ru_maxrss / 1024, code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schools", type=int, default=15000)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    schools, counties = generate.generate(args.schools)
    after_schools, after_counties = rectify(schools, counties)
    for name, (s, c) in {
        "old": (schools, counties),
        "new": (after_schools, after_counties),
    }.items():
        (out / name).mkdir(exist_ok=True)
        (out / name / "schools.json").write_bytes(generate.dumps(s))
        (out / name / "counties.json").write_bytes(generate.dumps(c))
    junheng = [sys.executable, "-m", "junheng"]
    rows = []
    for name in ("old", "new"):
        wall, rss, _ = run(
            [
                *junheng, "evaluate", str(out / name / "schools.json"),
                "--county", str(out / name / "counties.json"),
                "--ruleset", "national.quality.2017", "--output", str(out / f"{name}.json"),
            ],
            out / f"evaluate-{name}.log",
        )  # fmt: skip
        rows.append((f"evaluate --format json ({name})", wall, rss))
    baseline = rows[0][1]
    for fmt in ("json", "html", "xlsx", "md"):
        target = out / f"compare.{fmt}"
        wall, rss, _ = run(
            [*junheng, "compare", str(out / "old.json"), str(out / "new.json"),
             "--format", fmt, "--output", str(target)],
            out / f"compare-{fmt}.log",
        )  # fmt: skip
        rows.append((f"compare --format {fmt}", wall, rss, target.stat().st_size))
    doc = json.loads((out / "compare.json").read_text("utf-8"))
    size = (out / "old.json").stat().st_size / 2**20
    print(f"{args.schools:,} schools, {len(counties)} counties; report {size:.1f} MiB each")
    print(f"comparison: {json.dumps(doc['summary'], ensure_ascii=False)}")
    print(
        f"{'command (new process)':32} {'wall s':>8} {'× evaluate':>11} {'peak MiB':>9} {'file':>10}"
    )
    for row in rows:
        name, wall, rss = row[:3]
        file = f"{row[3] / 2**20:.1f} MiB" if len(row) > 3 else ""
        print(f"{name:32} {wall:8.2f} {wall / baseline:11.2f} {rss:9.0f} {file:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
