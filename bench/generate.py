"""Deterministic generator of realistic national data for the benchmark (issue 6).

    python bench/generate.py --schools 210000 --out /tmp/jh-210k      # schools.json, counties.json

Everything is invented (no real county or school); the same ``--schools`` and
``--seed`` always give the same bytes. The shape is CONTRACT.md's school record
(valid against ``schemas/school.schema.json``) and an array of county records
(``schemas/county.schema.json``), modelled on the bundled sample county:

* counties: log-normal sizes around 72 schools (about 2,900 counties for
  210,000 schools), from 8 to 400 schools; 6-digit codes unique per county;
* school-type mix close to the national statistics: primary 52 %, teaching
  point 20 %, junior 16 %, nine-year 7 %, complete middle 3 %, twelve-year 1 %,
  special education 1 % (plus one central primary per county, so every teaching
  point has a ``central_school_id`` present in the input);
* sizes from 10-student teaching points to 3,000-student schools (log-normal per
  type, clipped);
* resources drawn as a factor of the ``national.quality.2017`` requirement:
  most schools above it, a county-dependent share short on one or two
  indicators (some within 85 %, some below), so some schools fail the 6-of-7
  rule; about one county in six has a wide spread of sports ground (the
  primary CV fails, as in the sample county), and about a third of the county
  records miss a government-assurance item (teacher rotation, quota, ...).

Fast: columns are drawn with numpy and turned into dicts once (~1 s per 100,000
schools); written with orjson when installed.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

SEED = 20250901
YEAR = 2025
MEAN_COUNTY_SCHOOLS = 72

TYPES = (
    "primary",
    "teaching_point",
    "junior",
    "nine_year",
    "complete_middle",
    "twelve_year",
    "special_education",
)
TYPE_SHARE = (0.52, 0.20, 0.16, 0.07, 0.03, 0.01, 0.01)

# national.quality.2017 requirements: (primary, junior)
REQ = {
    "teachers_above_degree": (4.2, 5.3),  # per 100 students
    "backbone_teachers_county": (1.0, 1.0),
    "pe_arts_teachers": (0.9, 0.9),
    "teaching_room_area_m2": (4.5, 5.8),  # per student
    "sports_area_m2": (7.5, 10.2),
    "equipment_value_yuan": (2000.0, 2500.0),
    "multimedia_rooms": (2.3, 2.4),  # per 100 students
}
RESOURCES = tuple(REQ)
PROVINCES = (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46)
PROVINCES += (50, 51, 52, 53, 54, 61, 62, 63, 64, 65)
PLACES = "东南西北中上下前后新老大小长青白石龙桃柳河山溪坪岭湾塘"


def county_sizes(n: int, rng: np.random.Generator) -> list[int]:
    """County sizes summing to ``n`` (one county for small ``n``)."""
    if n <= 2 * MEAN_COUNTY_SCHOOLS:
        return [n]
    sizes: list[int] = []
    left = n
    while left > 0:
        s = int(np.clip(rng.lognormal(math.log(MEAN_COUNTY_SCHOOLS) - 0.18, 0.6), 8, 400))
        s = min(s, left)
        if left - s < 8:
            s = left
        sizes.append(s)
        left -= s
    return sizes


def county_code(k: int) -> str:
    prov = PROVINCES[k % len(PROVINCES)]
    j = k // len(PROVINCES)
    return f"{prov:02d}{j // 40 + 1:02d}{j % 40 + 21:02d}"


def generate(n: int, seed: int = SEED) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``n`` school records and one county record per county, deterministic in ``seed``."""
    rng = np.random.default_rng(seed)
    sizes = county_sizes(n, rng)
    n_c = len(sizes)
    codes = [county_code(k) for k in range(n_c)]
    county_of = np.repeat(np.arange(n_c), sizes)
    first = np.concatenate([[0], np.cumsum(sizes)[:-1]])

    # county character: share of short schools, wide sports spread, failing items
    items_fail = rng.random(n_c) < 0.33
    short_share = np.where(rng.random(n_c) < 0.35, rng.uniform(0.03, 0.2, n_c), 0.0)
    wide_sports = rng.random(n_c) < 0.17

    # school types; the first school of each county is its central primary
    stype = rng.choice(len(TYPES), size=n, p=TYPE_SHARE)
    stype[first] = 0
    has_p = np.isin(stype, [0, 1, 3, 5, 6])
    has_j = np.isin(stype, [2, 3, 4, 5, 6])
    has_p[stype == 6] = rng.random(int((stype == 6).sum())) < 0.9
    has_j[(stype == 6) & ~has_p] = True

    def lognorm(median: float, sigma: float, lo: int, hi: int) -> np.ndarray:
        return np.clip(np.rint(rng.lognormal(math.log(median), sigma, n)), lo, hi).astype(np.int64)

    p_students = np.zeros(n, np.int64)
    j_students = np.zeros(n, np.int64)
    p_students = np.where(stype == 0, lognorm(380, 0.85, 40, 3000), p_students)
    p_students = np.where(stype == 1, lognorm(28, 0.5, 10, 99), p_students)
    p_students = np.where(np.isin(stype, [3, 5]), lognorm(520, 0.6, 80, 1800), p_students)
    p_students = np.where(stype == 6, lognorm(60, 0.4, 15, 200), p_students)
    j_students = np.where(np.isin(stype, [2, 4]), lognorm(780, 0.6, 100, 3000), j_students)
    j_students = np.where(np.isin(stype, [3, 5]), lognorm(380, 0.6, 60, 1200), j_students)
    j_students = np.where(stype == 6, lognorm(30, 0.4, 8, 100), j_students)
    p_students[first] = np.maximum(p_students[first], 300)
    p_students = np.where(has_p, p_students, 0)
    j_students = np.where(has_j, j_students, 0)
    total = p_students + j_students
    # above 2,000 (2,500 for nine/twelve-year) only in counties that miss items
    cap = np.where(items_fail[county_of], 3000, np.where(np.isin(stype, [3, 5]), 2500, 2000))
    big = total > cap
    p_students[big] = p_students[big] * cap[big] // total[big]
    j_students[big] = j_students[big] * cap[big] // total[big]
    total = p_students + j_students
    junior_std = j_students > 0  # schools with a junior part are sized to the junior standard

    rural = rng.random(n) < 0.55
    location = np.where(stype == 1, 2, np.where(rural, 2, np.where(rng.random(n) < 0.5, 0, 1)))

    # resource factors relative to the requirement: lognormal above 1; some short
    factor = {r: rng.lognormal(math.log(1.3), 0.12, n) for r in RESOURCES}
    sports_wide = wide_sports[county_of]
    factor["sports_area_m2"] = np.where(
        sports_wide,
        rng.lognormal(math.log(2.4), 0.7, n),
        factor["sports_area_m2"],
    )
    short = rng.random(n) < short_share[county_of]
    which = rng.integers(0, len(RESOURCES), n)
    depth = np.where(rng.random(n) < 0.5, rng.uniform(0.86, 0.98, n), rng.uniform(0.55, 0.84, n))
    second = short & (rng.random(n) < 0.3)
    which2 = (which + rng.integers(1, len(RESOURCES), n)) % len(RESOURCES)
    for k, r in enumerate(RESOURCES):
        factor[r] = np.where(short & (which == k), depth, factor[r])
        factor[r] = np.where(second & (which2 == k), rng.uniform(0.7, 0.98, n), factor[r])

    def need(r: str, students: np.ndarray, junior: bool | np.ndarray) -> np.ndarray:
        p, j = REQ[r]
        return students * np.where(junior, j, p)

    stage_blocks: dict[str, dict[str, np.ndarray]] = {}
    for si, (stage, students, has) in enumerate(
        (("primary", p_students, has_p), ("junior", j_students, has_j))
    ):
        st = students.astype(float)
        limit = 45 if si == 0 else 50
        avg_size = np.where(location == 2, rng.uniform(22, 40, n), rng.uniform(36, limit - 2, n))
        classes = np.maximum(1, np.ceil(st / avg_size)).astype(np.int64)
        classes = np.where((si == 0) & (st >= 100), np.maximum(classes, 6), classes)
        max_class = np.minimum(limit, np.ceil(st / classes) + rng.integers(0, 3, n))
        max_class = np.minimum(max_class, st).astype(np.int64)
        oversize = items_fail[county_of] & (rng.random(n) < 0.02)
        max_class = np.where(oversize, limit + 3, max_class)
        jun = si == 1

        def per100(r: str, st: np.ndarray = st, jun: bool = jun) -> np.ndarray:
            return np.ceil(need(r, st, jun) / 100 * factor[r] - 1e-9).astype(np.int64)

        above = per100("teachers_above_degree")
        backbone = per100("backbone_teachers_county")
        pe_arts = per100("pe_arts_teachers")
        teachers = np.maximum.reduce(
            [
                np.ceil(st / 100 * rng.uniform(5.5, 9.5, n)).astype(np.int64),
                above + rng.integers(0, 4, n),
                backbone + pe_arts,
                np.ones(n, np.int64),
            ]
        )
        senior = np.rint(teachers * rng.uniform(0.4, 0.66, n)).astype(np.int64)
        backbone_city = np.rint(backbone * rng.uniform(0.2, 0.45, n)).astype(np.int64)
        stage_blocks[stage] = {
            "students": students,
            "classes": classes,
            "teachers": teachers,
            "teachers_above_degree": above,
            "senior_title_teachers": senior,
            "backbone_teachers_county": backbone,
            "backbone_teachers_city": backbone_city,
            "pe_arts_teachers": pe_arts,
            "max_class_size": max_class,
            "large_classes": np.zeros(n, np.int64),
            "disabled_students": np.floor(st / 100 * rng.uniform(0.1, 0.6, n)).astype(np.int64),
            "dropouts": np.floor(st / 100 * rng.uniform(0, 0.5, n) * jun).astype(np.int64),
            "consolidation_rate_pct": np.round(
                rng.uniform(99.2, 100.0, n) if si == 0 else rng.uniform(95.3, 98.8, n), 1
            ),
            "pass_rate_pct": np.round(rng.uniform(97.0, 99.8, n), 1),
            "graduation_rate_pct": np.round(rng.uniform(99.3, 100.0, n), 1),
            "fitness_pass_rate_pct": np.round(rng.uniform(92.0, 98.5, n), 1),
            "new_myopia_rate_pct": np.round(rng.uniform(2.0, 7.0, n), 1),
            "_has": has,
        }

    tf = total.astype(float)
    teaching_room = np.rint(
        need("teaching_room_area_m2", tf, junior_std) * factor["teaching_room_area_m2"]
    )
    sports = np.rint(need("sports_area_m2", tf, junior_std) * factor["sports_area_m2"])
    equipment = np.round(
        need("equipment_value_yuan", tf, junior_std) * factor["equipment_value_yuan"], -2
    )
    multimedia = np.ceil(
        need("multimedia_rooms", tf, junior_std) / 100 * factor["multimedia_rooms"] - 1e-9
    ).astype(np.int64)
    classes_all = (
        stage_blocks["primary"]["classes"] * has_p + stage_blocks["junior"]["classes"] * has_j
    )
    music = np.maximum(1, np.ceil(classes_all / 12)).astype(np.int64)
    music = np.where(stype == 1, 0, music)
    building = np.rint(teaching_room / rng.uniform(0.62, 0.72, n))
    site = np.rint((sports + building / rng.uniform(2.6, 3.4, n)) * rng.uniform(1.25, 1.5, n))
    public = np.round(np.maximum(p_students * 870.0 + j_students * 1110.0, 87000.0), -2)
    training = np.round(public * rng.uniform(0.052, 0.08, n), -2)
    training = np.where(items_fail[county_of] & (rng.random(n) < 0.01), public * 0.03, training)
    books = np.round(tf * np.where(junior_std, 45, 32) * rng.uniform(0.8, 1.2, n), -1).astype(
        np.int64
    )

    # to Python objects, once, column by column
    type_names = np.array(TYPES, dtype=object)[stype].tolist()
    loc_names = np.array(["urban", "town", "rural"], dtype=object)[location].tolist()
    county_list = county_of.tolist()
    first_list = first.tolist()
    cols = {
        "teaching_room_area_m2": teaching_room.astype(np.int64).tolist(),
        "sports_area_m2": sports.astype(np.int64).tolist(),
        "building_area_m2": building.astype(np.int64).tolist(),
        "site_area_m2": site.astype(np.int64).tolist(),
        "equipment_value_yuan": equipment.astype(np.int64).tolist(),
        "computers": np.ceil(tf / 100 * rng.uniform(8, 16, n)).astype(np.int64).tolist(),
        "books": books.tolist(),
        "multimedia_rooms": multimedia.tolist(),
        "music_rooms": music.tolist(),
        "art_rooms": music.tolist(),
        "music_room_min_area_m2": rng.integers(96, 111, n).tolist(),
        "art_room_min_area_m2": rng.integers(90, 105, n).tolist(),
        "special_room_kinds": rng.integers(3, 12, n).tolist(),
        "public_funds_yuan": public.astype(np.int64).tolist(),
        "teacher_training_funds_yuan": training.astype(np.int64).tolist(),
        "teacher_training_hours": rng.integers(40, 97, n).tolist(),
    }
    block_lists = {
        stage: {k: v.tolist() for k, v in blocks.items() if k != "_has"}
        for stage, blocks in stage_blocks.items()
    }
    block_keys = [k for k in stage_blocks["primary"] if k != "_has"]
    has_lists = {"primary": has_p.tolist(), "junior": has_j.tolist()}
    col_items = list(cols.items())
    place = rng.integers(0, len(PLACES), (n, 2)).tolist()

    schools: list[dict[str, Any]] = []
    for i in range(n):
        c = county_list[i]
        code = codes[c]
        serial = i - first_list[c] + 1
        t = type_names[i]
        a, b = place[i]
        suffix = {
            "primary": "小学",
            "teaching_point": "教学点",
            "junior": "中学",
            "nine_year": "九年一贯制学校",
            "complete_middle": "完全中学",
            "twelve_year": "十二年一贯制学校",
            "special_education": "特殊教育学校",
        }[t]
        rec: dict[str, Any] = {
            "id": f"{code}-{serial:04d}",
            "name": f"{PLACES[a]}{PLACES[b]}第{serial}{suffix}",
            "county_code": code,
            "year": YEAR,
            "school_type": t,
            "central_school_id": f"{code}-0001" if t == "teaching_point" else None,
            "location": loc_names[i],
            "boarding": t in ("junior", "nine_year") and loc_names[i] == "rural",
        }
        for stage in ("primary", "junior"):
            if has_lists[stage][i]:
                bl = block_lists[stage]
                rec[stage] = {k: bl[k][i] for k in block_keys}
        for k, col in col_items:
            rec[k] = col[i]
        rec["daily_study_hours"] = 7.0 if has_lists["junior"][i] else 6.0
        rec["has_key_classes"] = False
        rec["admission_by_exam"] = False
        schools.append(rec)

    counties = [_county(codes[c], c, bool(items_fail[c]), rng) for c in range(n_c)]
    return schools, counties


def _county(code: str, k: int, fail: bool, rng: np.random.Generator) -> dict[str, Any]:
    """A county record shaped like the sample county's; ``fail``: one or two items missed."""
    u = rng.uniform
    finance = []
    approp, revenue = 6e8 * u(0.5, 2.0), 2e9 * u(0.5, 2.0)
    for year in range(2021, 2025):
        approp *= u(1.02, 1.08)
        revenue *= u(1.01, 1.05)
        pay = round(u(90000, 120000))
        finance.append(
            {
                "year": year,
                "education_appropriation_yuan": round(approp, -5),
                "recurrent_revenue_yuan": round(revenue, -5),
                "general_budget_education_expenditure_yuan": round(approp * 1.04, -5),
                "per_student_budget_expenditure_primary_yuan": 9800 + 600 * (year - 2021),
                "per_student_budget_expenditure_junior_yuan": 13400 + 800 * (year - 2021),
                "per_student_public_funds_primary_yuan": 760 + 40 * (year - 2021),
                "per_student_public_funds_junior_yuan": 980 + 45 * (year - 2021),
                "teacher_avg_salary_yuan": pay + 800,
                "civil_servant_avg_salary_yuan": pay,
            }
        )
    items = {
        "has_balance_plan": True,
        "has_county_school_standard": True,
        "small_school_funding_as_100": True,
        "special_education_per_student_funds_yuan": 7000,
        "training_360h_completion_pct": 100,
        "staffing_centrally_allocated": True,
        "teacher_rotation_pct": round(u(10.5, 18), 1),
        "backbone_rotation_pct": round(u(21, 30), 1),
        "teacher_certificate_pct": 100,
        "nearby_enrolment_primary_pct": 100,
        "nearby_enrolment_junior_pct": round(u(95.5, 99.5), 1),
        "quality_high_school_quota_pct": round(u(50, 60)),
        "quota_tilted_to_rural": True,
        "migrant_children_public_pct": round(u(86, 97), 1),
        "left_behind_care_system": True,
        "junior_consolidation_rate_pct": round(u(95.5, 98.5), 1),
        "disabled_enrolment_rate_pct": round(u(95.2, 99), 1),
        "all_schools_have_charter": True,
        "moral_education_good": True,
        "full_curriculum": True,
        "workload_controlled": True,
        "quality_monitoring_level": 3,
        "quality_monitoring_diff_rate": round(u(0.05, 0.14), 2),
    }
    if fail:
        for key in rng.choice(
            [
                "teacher_rotation_pct",
                "quality_high_school_quota_pct",
                "nearby_enrolment_junior_pct",
            ],
            size=int(rng.integers(1, 3)),
            replace=False,
        ).tolist():
            items[key] = {
                "teacher_rotation_pct": 8.5,
                "quality_high_school_quota_pct": 48,
                "nearby_enrolment_junior_pct": 93.0,
            }[key]
    return {
        "county_code": code,
        "name": f"示例{k + 1}县",
        "province": "示例省",
        "year": YEAR,
        "finance": finance,
        "items": items,
        "survey": {
            "satisfaction_pct": round(u(86, 95), 1),
            "social_recognition_pct": round(u(86, 95), 1),
            "respondents": int(rng.integers(1500, 5000)),
        },
        "vetoes": {
            "admission_by_exam": False,
            "illegal_school_choice": False,
            "key_schools_or_classes": False,
            "major_safety_accident": False,
            "serious_violation": False,
        },
        "scores": {},
    }


def dumps(obj: Any) -> bytes:
    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is in the bench extra
        return json.dumps(obj, ensure_ascii=False).encode("utf-8")
    return orjson.dumps(obj)


def write(n: int, out: Path, seed: int = SEED) -> tuple[Path, Path]:
    """Write ``schools.json`` and ``counties.json`` for ``n`` schools into ``out``."""
    schools, counties = generate(n, seed)
    out.mkdir(parents=True, exist_ok=True)
    sp, cp = out / "schools.json", out / "counties.json"
    sp.write_bytes(dumps(schools))
    cp.write_bytes(dumps(counties))
    return sp, cp


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--schools", type=int, required=True, help="number of school records")
    ap.add_argument("--out", type=Path, required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument(
        "--check",
        type=int,
        default=0,
        metavar="K",
        help="validate the first K records with jsonschema",
    )
    args = ap.parse_args(argv)
    sp, cp = write(args.schools, args.out, args.seed)
    print(f"{sp} ({sp.stat().st_size / 2**20:.1f} MiB), {cp}")
    if args.check:
        from jsonschema import Draft202012Validator

        root = Path(__file__).resolve().parent.parent / "schemas"
        for name, path, k in (("school", sp, args.check), ("county", cp, None)):
            schema = json.loads((root / f"{name}.schema.json").read_text(encoding="utf-8"))
            v = Draft202012Validator(schema)
            bad = [e for rec in json.loads(path.read_bytes())[:k] for e in v.iter_errors(rec)]
            print(f"{name}: {len(bad)} schema errors")
            if bad:
                print(bad[0])
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
