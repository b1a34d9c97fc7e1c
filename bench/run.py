"""National-scale benchmark (issue 6): junheng end to end, the numpy limit, and two peers.

    python bench/run.py --schools 210000            # generates the data into a temp dir first

One process, one run, on the same generated data (``bench/generate.py``) with
``national.quality.2017``. What each figure covers is stated in bench/README.md.
Prints a table and, as its last line, one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

from junheng.bulk import gc_paused
from junheng.engine import Engine
from junheng.evaluate.schools import school_checks, stage_array
from junheng.inputs import check_inputs, read_inputs
from junheng.outputs import write_report
from junheng.units import build_units

RULESET = "national.quality.2017"
# (indicator, field, per-100 scale, where the field lives): the seven resource checks
CHECKS = (
    ("teachers_above_degree_per100", "teachers_above_degree", 100.0, "stage"),
    ("backbone_teachers_per100", "backbone_teachers_county", 100.0, "stage"),
    ("pe_arts_teachers_per100", "pe_arts_teachers", 100.0, "stage"),
    ("teaching_room_area_per_student", "teaching_room_area_m2", 1.0, "school"),
    ("sports_area_per_student", "sports_area_m2", 1.0, "school"),
    ("equipment_value_per_student", "equipment_value_yuan", 1.0, "school"),
    ("multimedia_rooms_per100", "multimedia_rooms", 100.0, "school"),
)
THRESHOLD = {  # national.quality.2017: (primary, junior)
    "teachers_above_degree_per100": (4.2, 5.3),
    "backbone_teachers_per100": (1.0, 1.0),
    "pe_arts_teachers_per100": (0.9, 0.9),
    "teaching_room_area_per_student": (4.5, 5.8),
    "sports_area_per_student": (7.5, 10.2),
    "equipment_value_per_student": (2000.0, 2500.0),
    "multimedia_rooms_per100": (2.3, 2.4),
}
CV_LIMIT = (0.50, 0.45)
MIN_MET, REST_RATIO = 6, 0.85
# "at least the requirement" up to binary rounding (18 / 2000 * 100 = 0.8999999999999999
# must meet 0.9); the peers compute in decimal and need none
TOL = 1e-9
EXCLUDED_TYPES = ("teaching_point", "special_education")


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


# --------------------------------------------------------------------------- junheng


def run_junheng(schools_path: Path, counties_path: Path, out: Path) -> dict[str, Any]:
    """The pipeline of ``junheng evaluate``, stage by stage, in this process.

    Like the CLI (and as README.md recommends for national batches), the whole
    pipeline runs inside one ``gc_paused()``; each stage also pauses the collector
    itself, but its exit would otherwise start a full collection over every record.
    """
    with gc_paused():
        return _run_junheng(schools_path, counties_path, out)


def _run_junheng(schools_path: Path, counties_path: Path, out: Path) -> dict[str, Any]:
    engine = Engine()  # plugin discovery and ruleset compilation: set-up, not timed
    rs = engine.ruleset(RULESET)
    required = engine.required_fields(rs)
    t0 = time.perf_counter()
    # engine.load(paths, ruleset=...) in its two timed steps: reading, then validation
    (sr, cr), read_s = timed(lambda: read_inputs(engine.registry, schools_path, counties_path))
    inputs, validate_s = timed(
        lambda: check_inputs(
            engine.registry,
            sr,
            cr,
            sources=(schools_path, counties_path),
            required_fields=required,
            ruleset_id=rs.id,
        )
    )
    # a national file is past the repeated-key check bound: that warning is expected
    said = [i for i in (*sr.issues, *cr.issues) if i.code != "duplicate_key_unchecked"]
    if inputs.has_errors or said:
        raise SystemExit(f"generated data invalid: {(inputs.errors or said)[0]}")
    issues = inputs.issues
    report, evaluate_s = timed(lambda: engine.evaluate(RULESET, inputs))
    _, write_s = timed(lambda: write_report(report, "json", out))
    end_to_end_s = time.perf_counter() - t0
    return {
        "records": sr.records,
        "counties": cr.records,
        "engine": engine,
        "report": report,
        "rs": rs,
        "read_s": read_s,
        "validate_s": validate_s,
        "evaluate_s": evaluate_s,
        "write_s": write_s,
        "end_to_end_s": end_to_end_s,
        "warnings": len(issues),
        "report_mib": out.stat().st_size / 2**20,
    }


def junheng_process(args: list[str]) -> dict[str, float]:
    """``junheng ARGS`` as a new process, as a user runs it: wall clock (``s``) and its own
    peak RSS (``rss_mib``)."""
    command = [sys.executable, "-m", "junheng", *args]
    # started through a small Python launcher that reports its child's peak RSS: a child
    # started directly by this big process would count this process's pages (Linux
    # records the RSS high-water mark of the pre-exec address space)
    launcher = (
        "import resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "s = time.perf_counter() - t\n"
        "print(done.returncode, s, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(done.stderr[-2000:])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", launcher, *command], capture_output=True, text=True, check=True
    )
    code, seconds, rss_kib = done.stdout.split()
    # 1: evaluated, some county fails (the data has some) — but Python also exits 1 on an
    # uncaught exception, which must not be timed as a run
    if int(code) not in (0, 1) or "Traceback" in done.stderr:
        raise SystemExit(f"junheng {' '.join(args)} failed ({code}): {done.stderr}")
    return {"s": float(seconds), "rss_mib": int(rss_kib) / 1024}


def run_cli(schools_path: Path, counties_path: Path, out: Path) -> dict[str, float]:
    """``junheng evaluate`` as a user runs it: a new process, wall clock and its peak RSS."""
    done = junheng_process(
        [
            "evaluate",
            str(schools_path),
            "--county",
            str(counties_path),
            "--ruleset",
            RULESET,
            "--output",
            str(out),
        ]
    )
    return {"cli_s": done["s"], "cli_peak_rss_mib": done["rss_mib"]}


def junheng_evaluate_alone(jh: dict[str, Any]) -> float:
    """``Engine.evaluate`` on the records with nothing pulled beforehand (the fair
    counterpart of the numpy limit, which pulls its own fields)."""
    engine, records, counties = jh["engine"], jh["records"], jh["counties"]
    with gc_paused():  # the limit runs with the collector paused too
        _, s = timed(lambda: engine.evaluate(RULESET, records, counties, validate_input=False))
    return s


def junheng_checks_only(rs: Any, records: Sequence[Mapping[str, Any]]) -> float:
    """junheng's per-school checks alone (formulas + 6-of-7 rule) on already-built units."""
    units = build_units(records, rs.preparation, rs.stages)
    env = dict(units.columns)
    for name, value in rs.parameters.items():
        env[name] = stage_array(units, value)
    _, s = timed(lambda: school_checks(rs, units, env))
    return s


# --------------------------------------------------------------------------- the numpy limit


def numpy_limit(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Hand-written resource part: 7 checks, 6-of-7/85 % rule, weighted CVs per county × stage.

    Starts from the same in-memory records junheng's ``evaluate`` gets and pulls out
    only the ten fields it needs, one pass per table. Units are ordered as junheng's:
    every primary unit in record order, then every junior unit.
    """
    t0 = time.perf_counter()
    nan = math.nan
    empty: dict[str, Any] = {}
    # one pass per table pulling every field (row-wise: the dicts are scattered in
    # memory, so one visit per record beats one pass per field by ~3x)
    wide_fields = [f for _, f, _, where in CHECKS if where == "school"]
    head = ("school_type", "county_code", "primary", "junior", *wide_fields)
    types, county_codes, primary, junior, *wide_cols = zip(
        *[tuple(map(r.get, head)) for r in records], strict=True
    )
    keep = np.fromiter((t not in EXCLUDED_TYPES for t in types), bool, len(types))
    first: dict[str, int] = {}
    seen = np.array([first.setdefault(c, len(first)) for c in county_codes])
    codes = np.array(sorted(first), dtype=object)
    rank = np.empty(len(codes), dtype=np.int64)
    rank[[first[c] for c in codes]] = np.arange(len(codes))
    county = rank[seen]  # index into the sorted codes, as junheng orders counties
    wide = {f: np.array(c, dtype=float) for f, c in zip(wide_fields, wide_cols, strict=True)}
    stage_fields = ["students"] + [f for _, f, _, where in CHECKS if where == "stage"]
    cols = {}
    for s, blocks in (("primary", primary), ("junior", junior)):
        table = np.array([tuple(map((b or empty).get, stage_fields)) for b in blocks], dtype=float)
        cols[s] = {f: np.ascontiguousarray(table[:, k]) for k, f in enumerate(stage_fields)}
    students = {s: np.nan_to_num(cols[s]["students"]) for s in cols}
    total = students["primary"] + students["junior"]
    extract_s = time.perf_counter() - t0

    passed_parts, cv_parts, met_parts = [], [], []
    for si, s in enumerate(("primary", "junior")):
        sel = np.nonzero(~np.isnan(cols[s]["students"]))[0]
        st = cols[s]["students"][sel]
        share = np.where(total[sel] > 0, students[s][sel] / total[sel], 1.0)
        inc = keep[sel]
        met = np.empty((len(CHECKS), sel.size))
        low = np.zeros(sel.size, bool)
        values = []
        with np.errstate(divide="ignore", invalid="ignore"):
            for k, (iid, f, scale, where) in enumerate(CHECKS):
                x = cols[s][f][sel] if where == "stage" else wide[f][sel] * share
                v = x / st * scale if scale != 1.0 else x / st
                t = THRESHOLD[iid][si]
                ok = v >= t - TOL * max(abs(t), 1.0)
                met[k] = np.where(np.isnan(v), nan, ok)
                low |= (met[k] == 0.0) & ~(v / t >= REST_RATIO - TOL)
                values.append(v)
            count = (met == 1.0).sum(axis=0)
            undef = np.isnan(met).sum(axis=0)
            fail = low | (count + undef < MIN_MET)
            ok = (undef == 0) & (count >= MIN_MET) & ~fail
            passed = np.where(fail, 0.0, np.where(ok, 1.0, nan))
            passed_parts.append(np.where(inc, passed, nan))
            # student-weighted CV per county for each indicator
            g = county[sel]
            w = np.where(inc & (st > 0), st, 0.0)
            wsum = np.bincount(g, weights=w, minlength=codes.size)
            cvs = []
            for v in values:
                bad = (w > 0) & ~np.isfinite(v)
                wk = np.where(bad, 0.0, w)
                x = np.where(wk > 0, v, 0.0)
                tot = np.bincount(g, weights=wk, minlength=codes.size)
                mean = np.bincount(g, weights=wk * x, minlength=codes.size) / tot
                dev = x - mean[g]
                sd = np.sqrt(np.bincount(g, weights=wk * dev * dev, minlength=codes.size) / tot)
                cv = np.where(mean > 0, sd / mean, nan)
                nbad = np.bincount(g, weights=bad, minlength=codes.size)
                cvs.append(np.where((nbad > 0) | (wsum == 0), nan, cv))
            cv = np.vstack(cvs)
            cv_parts.append(cv)
            met_parts.append(np.where(np.isnan(cv), nan, cv <= CV_LIMIT[si] + TOL))
    elapsed = time.perf_counter() - t0
    return {
        "seconds": elapsed,
        "extract_s": extract_s,
        "compute_s": elapsed - extract_s,
        "passed": np.concatenate(passed_parts),
        "cv": cv_parts,  # per stage: indicators × counties
        "cv_met": met_parts,
        "codes": codes,
        "cols": cols,
        "wide": wide,
        "total": total,
        "keep": keep,
    }


# --------------------------------------------------------------------------- peers


def peer_inputs(lim: dict[str, Any]) -> list[dict[str, Any]]:
    """Flat per-unit records (school × stage, shared assets apportioned) for the peers.

    Built from the limit's columns, untimed: the peers get their input for free.
    Only included units (the ones with a verdict), in junheng's unit order.
    """
    out = []
    cols, wide, total, keep = lim["cols"], lim["wide"], lim["total"], lim["keep"]
    for s in ("primary", "junior"):
        st_col = cols[s]["students"]
        sel = np.nonzero(~np.isnan(st_col))[0]
        share = np.where(total[sel] > 0, np.nan_to_num(st_col[sel]) / total[sel], 1.0)
        rows: dict[str, list[Any]] = {"students": st_col[sel].tolist()}
        for _, f, _, where in CHECKS:
            rows[f] = (cols[s][f][sel] if where == "stage" else wide[f][sel] * share).tolist()
        keys = list(rows)
        inc = keep[sel].tolist()
        for k in range(sel.size):
            if inc[k]:
                rec = {key: rows[key][k] for key in keys}
                rec["stage"] = s
                out.append(rec)
    return out


def _peer_expression(dialect: str) -> str:
    """One expression per unit: the 7 checks, then the 6-of-7 / 85 % rule, from raw fields."""
    cond = "{c} ? {a} : {b}" if dialect == "zen" else "({c} ? {a} : {b})"
    is_primary = "stage == 'primary'"
    terms_met, terms_low = [], []
    for iid, f, scale, _ in CHECKS:
        p, j = THRESHOLD[iid]
        v = f"({f} / students * 100)" if scale != 1.0 else f"({f} / students)"
        t = "(" + cond.format(c=is_primary, a=p, b=j) + ")"
        terms_met.append("(" + cond.format(c=f"{v} >= {t}", a=1, b=0) + ")")
        terms_low.append(
            "(" + cond.format(c=f"{v} < {t} and {v} / {t} < {REST_RATIO}", a=1, b=0) + ")"
        )
    return f"({' + '.join(terms_met)}) >= {MIN_MET} and ({' + '.join(terms_low)}) == 0"


def run_zen(units: list[dict[str, Any]]) -> tuple[list[bool], float]:
    import zen

    expr = zen.compile_expression(_peer_expression("zen"))
    ev = expr.evaluate
    out, s = timed(lambda: [bool(ev(u)) for u in units])
    return out, s


def zen_decision_graph_us(units: list[dict[str, Any]], k: int = 1000) -> float:
    """Per-unit cost of the same expression inside a JDM decision graph (the usual zen setup)."""
    import zen

    graph = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "in", "position": {"x": 0, "y": 0}},
            {
                "id": "e",
                "type": "expressionNode",
                "name": "checks",
                "position": {"x": 0, "y": 0},
                "content": {
                    "expressions": [{"id": "p", "key": "passed", "value": _peer_expression("zen")}]
                },
            },
            {"id": "out", "type": "outputNode", "name": "out", "position": {"x": 0, "y": 0}},
        ],
        "edges": [
            {"id": "1", "sourceId": "in", "targetId": "e", "type": "edge"},
            {"id": "2", "sourceId": "e", "targetId": "out", "type": "edge"},
        ],
    }
    decision = zen.ZenEngine().create_decision(json.dumps(graph))
    sample = units[:k]
    _, s = timed(lambda: [decision.evaluate(u) for u in sample])
    return s / max(len(sample), 1) * 1e6


def run_rule_engine(units: list[dict[str, Any]]) -> tuple[list[bool], float]:
    import rule_engine

    rule = rule_engine.Rule(_peer_expression("rule_engine"))
    ev = rule.evaluate
    out, s = timed(lambda: [bool(ev(u)) for u in units])
    return out, s


# --------------------------------------------------------------------------- compare


def compare(report: Any, lim: dict[str, Any]) -> dict[str, Any]:
    """Do junheng's unit verdicts and CVs equal the limit's?"""
    t = report.schools
    j_passed = np.asarray(t.passed, float)
    l_passed = lim["passed"]
    same_passed = j_passed.shape == l_passed.shape and bool(
        np.array_equal(j_passed, l_passed, equal_nan=True)
    )
    codes = list(lim["codes"])
    cv_ok = True
    idx = {c.county_code: k for k, c in enumerate(report.counties)}
    order = [idx[c] for c in codes]
    for si, stage in enumerate(("primary", "junior")):
        for k, (iid, *_rest) in enumerate(CHECKS):
            mine = np.full(len(codes), np.nan)
            met = np.full(len(codes), np.nan)
            for c, ci in enumerate(order):
                for g in report.counties[ci].groups:
                    if g.stage == stage:
                        st = g.indicators[iid]
                        mine[c] = np.nan if st.cv is None else st.cv
                        met[c] = np.nan if st.met is None else float(st.met)
            theirs = lim["cv"][si][k]
            if not np.allclose(mine, theirs, rtol=1e-9, atol=1e-12, equal_nan=True):
                cv_ok = False
            if not np.array_equal(met, lim["cv_met"][si][k], equal_nan=True):
                cv_ok = False
    return {
        "passed_equal": same_passed,
        "cv_equal": cv_ok,
        "units": int(j_passed.size),
        "failed_units": int(np.nansum(j_passed == 0.0)),
    }


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--schools", type=int, required=True)
    ap.add_argument("--data", type=Path, help="directory to generate into (default: a temp dir)")
    ap.add_argument("--seed", type=int, default=generate.SEED)
    ap.add_argument(
        "--peer-units",
        type=int,
        default=30000,
        help="time the peers on the first K units and scale linearly (0: all units; default 30000)",
    )
    ap.add_argument("--no-peers", action="store_true", help="skip zen-engine and rule-engine")
    ap.add_argument(
        "--columnar-runs",
        type=int,
        default=0,
        help="then bench/columnar.py on the same data: Parquet and pandas paths beside the "
        "JSON path, N alternating runs each (default 0: skipped)",
    )
    args = ap.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="junheng-bench-")
    data = args.data or Path(tmp.name)
    _, gen_s = timed(lambda: generate.write(args.schools, data, args.seed))
    schools_path, counties_path = data / "schools.json", data / "counties.json"
    gc.collect()

    jh = run_junheng(schools_path, counties_path, data / "report.json")
    rss_junheng = peak_rss_mib()
    cli = run_cli(schools_path, counties_path, data / "cli_report.json")
    records = jh["records"]
    gc.disable()  # as junheng does for its bulk work: the extraction builds 630k tuples
    try:
        lim = numpy_limit(records)
    finally:
        gc.enable()
    agree = compare(jh.pop("report"), lim)
    evaluate_alone_s = junheng_evaluate_alone(jh)
    checks_s = junheng_checks_only(jh["rs"], records)

    peers: dict[str, Any] = {"zen_engine_s": None, "rule_engine_s": None}
    peer_agree = True
    if not args.no_peers:
        units = peer_inputs(lim)
        expected = lim["passed"][~np.isnan(lim["passed"])] == 1.0
        k = min(args.peer_units or len(units), len(units))
        scale = len(units) / k
        for name, fn in (("zen_engine", run_zen), ("rule_engine", run_rule_engine)):
            verdicts, s = fn(units[:k])
            wrong = int(np.sum(np.array(verdicts) != expected[:k]))
            peers[f"{name}_s"] = s * scale
            peers[f"{name}_disagree"] = wrong
            peer_agree &= wrong == 0
        graph_us = zen_decision_graph_us(units)
        peers["zen_decision_graph_us_per_unit"] = round(graph_us, 1)
        peers["zen_decision_graph_s"] = graph_us * len(units) / 1e6
        peers["peer_units"] = len(units)
        peers["peer_units_timed"] = k

    res: dict[str, Any] = {
        "schools": args.schools,
        "counties": len(lim["codes"]),
        "units": agree["units"],
        "failed_units": agree["failed_units"],
        "end_to_end_s": jh["end_to_end_s"],
        **cli,
        "read_s": jh["read_s"],
        "validate_s": jh["validate_s"],
        "evaluate_s": jh["evaluate_s"],
        "evaluate_alone_s": evaluate_alone_s,
        "write_s": jh["write_s"],
        "junheng_checks_s": checks_s,
        "numpy_limit_s": lim["seconds"],
        "numpy_limit_extract_s": lim["extract_s"],
        "numpy_limit_compute_s": lim["compute_s"],
        **peers,
        "peak_rss_mib": peak_rss_mib(),
        "peak_rss_junheng_mib": rss_junheng,
        "report_mib": jh["report_mib"],
        "generate_s": gen_s,
        "verdicts_agree": bool(agree["passed_equal"] and agree["cv_equal"] and peer_agree),
        "limit_passed_equal": agree["passed_equal"],
        "limit_cv_equal": agree["cv_equal"],
    }
    ratio = {
        "evaluate_alone_over_numpy_limit": evaluate_alone_s / res["numpy_limit_s"],
        "evaluate_over_numpy_limit": res["evaluate_s"] / res["numpy_limit_s"],
    }
    for name in ("zen_engine", "zen_decision_graph", "rule_engine"):
        if res.get(f"{name}_s"):
            ratio[f"{name}_over_junheng_checks"] = res[f"{name}_s"] / checks_s
            ratio[f"{name}_over_junheng_evaluate"] = res[f"{name}_s"] / res["evaluate_s"]
    res["ratio"] = {k: round(v, 2) for k, v in ratio.items()}

    rows = [
        ("junheng evaluate CLI (new process, wall)", res["cli_s"]),
        ("junheng end to end (in process)", res["end_to_end_s"]),
        ("  read JSON", res["read_s"]),
        ("  validate", res["validate_s"]),
        ("  evaluate (fields shared with validate)", res["evaluate_s"]),
        ("  write JSON report", res["write_s"]),
        ("junheng evaluate alone (pulls its fields)", evaluate_alone_s),
        ("junheng per-school checks only", checks_s),
        ("numpy limit (records → verdicts + CVs)", res["numpy_limit_s"]),
        ("  of which column extraction", res["numpy_limit_extract_s"]),
        ("zen-engine compiled expression", res["zen_engine_s"]),
        ("zen-engine JDM decision graph", res.get("zen_decision_graph_s")),
        ("rule-engine (per-school checks)", res["rule_engine_s"]),
    ]
    print(f"{args.schools} schools, {res['counties']} counties, {res['units']} units")
    for label, v in rows:
        print(f"{label:<42} {'—' if v is None else f'{v:9.3f} s'}")
    print(f"{'peak RSS':<42} {res['peak_rss_mib']:9.0f} MiB")
    print(f"{'peak RSS of the CLI process':<42} {res['cli_peak_rss_mib']:9.0f} MiB")
    print(f"{'verdicts agree':<42} {res['verdicts_agree']}")
    for k, v in res["ratio"].items():
        print(f"{k:<42} {v:9.2f}")
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in res.items()}))
    columnar_ok = 0
    if args.columnar_runs:
        import columnar

        columnar_ok = columnar.main(
            ["--schools", str(args.schools), "--runs", str(args.columnar_runs), "--data", str(data)]
        )
    tmp.cleanup()
    return 0 if res["verdicts_agree"] and not columnar_ok else 1


if __name__ == "__main__":
    sys.exit(main())
