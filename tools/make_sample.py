"""Generate the bundled sample county 青溪县 (``core/sample/schools.json`` and ``county.json``).

青溪县 (county code 360199) in the fictional 示例省 is invented: no real county, school or person.
The data are produced deterministically (``random.Random(SEED)``, stdlib only) and validated
against ``schemas/school.schema.json`` and ``schemas/county.schema.json`` before writing.

Design of the county (year 2025, 45 schools):

* 城区 (county town): six primaries, three junior schools, one complete middle school (only its
  junior/compulsory part is reported, and its assets are the share used by that part), the
  nine-year 青溪县实验学校 and the special-education school.
* Eight townships: six town central primaries (中心小学), six town/township junior schools, two
  township nine-year schools, twelve village primaries (each with ``central_school_id``) and
  seven teaching points (教学点, 8-45 students) attached to a central primary.
* Urban schools are big and cramped on sports ground (≈8 m² per primary student), village schools
  small with spacious grounds (20-40 m²). Hence the primary-stage student-weighted CV of
  ``sports_area_per_student`` exceeds 0.50 while every other CV, and every junior CV, passes.
* Against national.quality.2017 (teaching points and the special-education school excluded),
  eight schools miss at least one of the seven resource indicators, each by design:

  - 白石镇中心小学: equipment 1720 yuan/student = 86 % of 2000 -> passes the 6-of-7 rule;
  - 石门乡九年一贯制学校: equipment 2200 yuan/student meets primary 2000 but is 88 % of the junior
    2500 -> junior stage passes the 6-of-7 rule;
  - 柳溪镇杨梅小学: teachers above degree 3.36 per 100 = 80 % of 4.2 -> fails;
  - 青溪县第二小学 (1950 students): teaching-room area 3.78 m²/student = 84 % of 4.5 -> fails;
  - 青溪县城南小学: sports area 4.8 m²/student = 64 % of 7.5 -> fails (cramped urban school);
  - 龙潭镇中学: 12 multimedia rooms for 640 students = 78 % of 2.4 per 100 -> fails;
  - 东坑乡坪上小学: one backbone teacher for 185 students = 54 % -> fails;
  - 双河乡中学: teachers above degree 85 % and backbone teachers 71 % -> fails (two misses).

* County record: finance 2021 (base year) to 2024; education appropriation grows more slowly than
  recurrent revenue in 2022 (one miss in three years) and faster in 2023 and 2024; per-student
  figures grow every year; teacher pay ≥ civil-servant pay. Government-assurance items meet the
  national quality thresholds except teacher rotation 8.5 % (≥ 10) and quality high-school quota
  48 % (≥ 50). No vetoes. Every school met the province's basic school standard (the county
  passed basic balance years ago: the story most counties live). The self-assessed scores of
  each ruleset's score sheet come from the plugin that gives the ruleset (``junheng_sample``).

Usage::

    python tools/make_sample.py            # (re)write the two JSON files
    python tools/make_sample.py --check    # print per-stage CVs and per-school failures
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "core" / "sample"
SCHEMA_DIR = ROOT / "schemas"

SEED = 20250901
COUNTY_CODE = "360199"
COUNTY_NAME = "青溪县"
PROVINCE = "示例省"
YEAR = 2025

# Per-student public funds (2025 budget), yuan.
PUBLIC_FUNDS = {"primary": 870.0, "junior": 1110.0}

# 教督〔2017〕6号 per-school standards: indicator -> (primary, junior).
QUALITY = {
    "teachers_above_degree_per100": (4.2, 5.3),
    "backbone_teachers_per100": (1.0, 1.0),
    "pe_arts_teachers_per100": (0.9, 0.9),
    "teaching_room_area_per_student": (4.5, 5.8),
    "sports_area_per_student": (7.5, 10.2),
    "equipment_value_per_student": (2000.0, 2500.0),
    "multimedia_rooms_per100": (2.3, 2.4),
}
QUALITY_CV_LIMIT = {"primary": 0.50, "junior": 0.45}
BASIC_CV_LIMIT = {"primary": 0.65, "junior": 0.55}
STAGES = ("primary", "junior")

# --------------------------------------------------------------------------------------------
# The schools. (key, name, school_type, location, primary students, junior students, central key)
# --------------------------------------------------------------------------------------------
URBAN = [
    ("cs1", "青溪县实验小学", "primary", "urban", 1680, 0, None),
    ("cs2", "青溪县第二小学", "primary", "urban", 1950, 0, None),
    ("cs3", "青溪县第三小学", "primary", "urban", 1420, 0, None),
    ("cs4", "青溪县城南小学", "primary", "urban", 1200, 0, None),
    ("cs5", "青溪县城北小学", "primary", "urban", 980, 0, None),
    ("cs6", "青溪县城东小学", "primary", "urban", 1130, 0, None),
    ("cz1", "青溪县第一中学", "complete_middle", "urban", 0, 1480, None),
    ("cz2", "青溪县第二中学", "junior", "urban", 0, 1350, None),
    ("cz3", "青溪县第三中学", "junior", "urban", 0, 1120, None),
    ("cz4", "青溪县城西中学", "junior", "urban", 0, 860, None),
    ("cj1", "青溪县实验学校", "nine_year", "urban", 1180, 760, None),
    ("tj", "青溪县特殊教育学校", "special_education", "urban", 56, 24, None),
]

TOWNS = [
    # central primaries
    ("bs", "白石镇中心小学", "primary", "town", 760, 0, None),
    ("ty", "桃源镇中心小学", "primary", "town", 690, 0, None),
    ("lt", "龙潭镇中心小学", "primary", "town", 820, 0, None),
    ("lx", "柳溪镇中心小学", "primary", "town", 640, 0, None),
    ("dk", "东坑乡中心小学", "primary", "rural", 430, 0, None),
    ("sh", "双河乡中心小学", "primary", "rural", 380, 0, None),
    # junior schools
    ("bsz", "白石镇中学", "junior", "town", 0, 720, None),
    ("tyz", "桃源镇中学", "junior", "town", 0, 610, None),
    ("ltz", "龙潭镇中学", "junior", "town", 0, 640, None),
    ("lxz", "柳溪镇中学", "junior", "town", 0, 560, None),
    ("dkz", "东坑乡中学", "junior", "rural", 0, 390, None),
    ("shz", "双河乡中学", "junior", "rural", 0, 420, None),
    # township nine-year schools
    ("sm", "石门乡九年一贯制学校", "nine_year", "rural", 420, 300, None),
    ("gl", "高岭乡九年一贯制学校", "nine_year", "rural", 360, 260, None),
    # village primaries
    ("v01", "白石镇岭下小学", "primary", "rural", 210, 0, "bs"),
    ("v02", "白石镇黄坑小学", "primary", "rural", 150, 0, "bs"),
    ("v03", "桃源镇枫树小学", "primary", "rural", 240, 0, "ty"),
    ("v04", "桃源镇竹山小学", "primary", "rural", 130, 0, "ty"),
    ("v05", "龙潭镇水口小学", "primary", "rural", 260, 0, "lt"),
    ("v06", "龙潭镇大坪小学", "primary", "rural", 170, 0, "lt"),
    ("v07", "柳溪镇杨梅小学", "primary", "rural", 238, 0, "lx"),
    ("v08", "柳溪镇上村小学", "primary", "rural", 120, 0, "lx"),
    ("v09", "东坑乡坪上小学", "primary", "rural", 185, 0, "dk"),
    ("v10", "东坑乡樟树小学", "primary", "rural", 110, 0, "dk"),
    ("v11", "双河乡河口小学", "primary", "rural", 160, 0, "sh"),
    ("v12", "双河乡新屋小学", "primary", "rural", 105, 0, "sh"),
    # teaching points
    ("t1", "白石镇松林教学点", "teaching_point", "rural", 18, 0, "bs"),
    ("t2", "白石镇茶坑教学点", "teaching_point", "rural", 35, 0, "bs"),
    ("t3", "桃源镇石桥教学点", "teaching_point", "rural", 12, 0, "ty"),
    ("t4", "龙潭镇云山教学点", "teaching_point", "rural", 44, 0, "lt"),
    ("t5", "柳溪镇竹林教学点", "teaching_point", "rural", 27, 0, "lx"),
    ("t6", "东坑乡杉木教学点", "teaching_point", "rural", 8, 0, "dk"),
    ("t7", "双河乡上塘教学点", "teaching_point", "rural", 22, 0, "sh"),
]

SPECS = URBAN + TOWNS

# Deliberate shortfalls: per-student/per-school asset values or exact stage counts.
ASSET_OVERRIDES = {
    "bs": {"equipment_per_student": 1720.0},  # 86 % of 2000
    "sm": {"equipment_per_student": 2200.0},  # ok primary, 88 % of junior 2500
    "cs2": {"teaching_room_per_student": 3.78},  # 84 % of 4.5
    "cs4": {"sports_per_student": 4.8},  # 64 % of 7.5
    "ltz": {"multimedia_rooms": 12},  # 1.875 per 100 = 78 % of 2.4
}
STAGE_OVERRIDES = {
    ("v07", "primary"): {"teachers_above_degree": 8},  # 3.36 per 100 = 80 % of 4.2
    ("v09", "primary"): {"backbone_teachers_county": 1, "backbone_teachers_city": 0},
    ("shz", "junior"): {
        "teachers_above_degree": 19,  # 4.52 per 100 = 85 % of 5.3 (does not count as met)
        "backbone_teachers_county": 3,  # 0.71 per 100
        "backbone_teachers_city": 1,
    },
}


def _u(rng: random.Random, lo: float, hi: float, nd: int = 2) -> float:
    return round(rng.uniform(lo, hi), nd)


def _r(x: float, nd: int = 0) -> int:
    """Round to nd digits (nd <= 0) and return an int, as the statistics forms do."""
    return int(round(x, nd))


def _ceil(x: float) -> int:
    return math.ceil(round(x, 6))


# Ranges by location: (primary, junior).
TEACHERS_PER100 = {
    "urban": ((5.3, 5.8), (8.0, 8.8)),
    "town": ((5.7, 6.5), (8.6, 9.8)),
    "rural": ((7.2, 9.0), (9.2, 11.0)),
}
ABOVE_DEGREE_FRAC = {
    "urban": ((0.92, 0.99), (0.86, 0.95)),
    "town": ((0.85, 0.95), (0.74, 0.86)),
    "rural": ((0.72, 0.86), (0.70, 0.82)),
}
BACKBONE_PER100 = {"urban": (1.6, 2.6), "town": (1.15, 1.7), "rural": (1.1, 1.6)}
CLASS_SIZE = {
    "urban": ((41.0, 44.0), (46.0, 49.0)),
    "town": ((37.0, 42.0), (42.0, 47.0)),
    "rural": ((22.0, 32.0), (38.0, 45.0)),
}
# Per-student assets: (primary-only school, junior or nine-year school).
TEACHING_ROOM = {
    "urban": ((4.7, 5.5), (6.0, 6.9)),
    "town": ((5.0, 6.3), (6.3, 7.8)),
    "rural": ((5.4, 7.8), (6.4, 8.2)),
}
SPORTS = {
    "urban": ((7.8, 9.4), (10.6, 12.4)),
    "town": ((12.0, 19.0), (14.0, 21.0)),
    "rural": ((21.0, 38.0), (16.0, 24.0)),
}
EQUIPMENT = {
    "urban": ((2250.0, 3100.0), (2700.0, 3700.0)),
    "town": ((2150.0, 3000.0), (2650.0, 3500.0)),
    "rural": ((2100.0, 3400.0), (2650.0, 3600.0)),
}


def make_stage(rng: random.Random, key: str, stage: str, students: int, loc: str) -> dict:
    si = 0 if stage == "primary" else 1
    lo, hi = CLASS_SIZE[loc][si]
    classes = max(1, _ceil(students / rng.uniform(lo, hi)))
    if stage == "primary" and students >= 100:
        classes = max(classes, 6)  # a complete primary school has six grades
    limit = 45 if stage == "primary" else 50
    while students / classes > limit - 1.5:
        classes += 1
    avg = students / classes
    max_class = min(limit, int(avg) + 1 + int(rng.uniform(0, 3)))
    teachers = _ceil(students / 100 * rng.uniform(*TEACHERS_PER100[loc][si]))
    req_above = QUALITY["teachers_above_degree_per100"][si]
    above = _r(teachers * rng.uniform(*ABOVE_DEGREE_FRAC[loc][si]))
    above = min(teachers, max(above, _ceil(students / 100 * req_above * 1.04)))
    senior = _r(teachers * rng.uniform(0.45, 0.66))
    backbone = _ceil(students / 100 * rng.uniform(*BACKBONE_PER100[loc]))
    backbone_city = _r(backbone * rng.uniform(0.25, 0.45))
    pe_arts = _ceil(students / 100 * rng.uniform(0.98, 1.4))
    block = {
        "students": students,
        "classes": classes,
        "teachers": teachers,
        "teachers_above_degree": above,
        "senior_title_teachers": senior,
        "backbone_teachers_county": backbone,
        "backbone_teachers_city": backbone_city,
        "pe_arts_teachers": pe_arts,
        "max_class_size": max_class,
        "large_classes": 0,
        "disabled_students": int(students / 100 * rng.uniform(0.1, 0.6)),
        "dropouts": 0 if stage == "primary" else int(students / 100 * rng.uniform(0.0, 0.5)),
        "consolidation_rate_pct": _u(rng, 99.2, 100.0, 1)
        if stage == "primary"
        else _u(rng, 95.3, 98.8, 1),
        "pass_rate_pct": _u(rng, 97.2, 99.8, 1),
        "graduation_rate_pct": _u(rng, 99.3, 100.0, 1),
        "fitness_pass_rate_pct": _u(rng, 92.5, 98.5, 1),
        "new_myopia_rate_pct": _u(rng, 2.8, 6.9, 1),
    }
    block.update(STAGE_OVERRIDES.get((key, stage), {}))
    return block


def make_regular(rng, key, name, stype, loc, p, j, central) -> dict:
    school = {
        "name": name,
        "school_type": stype,
        "central_school_id": central,
        "location": loc,
        "boarding": stype in ("junior", "nine_year") and loc != "urban",
    }
    stages = {}
    if p:
        stages["primary"] = make_stage(rng, key, "primary", p, loc)
    if j:
        stages["junior"] = make_stage(rng, key, "junior", j, loc)
    school.update(stages)
    total = p + j
    ai = 1 if j else 0  # schools with a junior part are sized to the junior standard
    ov = ASSET_OVERRIDES.get(key, {})
    tr = ov.get("teaching_room_per_student", rng.uniform(*TEACHING_ROOM[loc][ai]))
    sp = ov.get("sports_per_student", rng.uniform(*SPORTS[loc][ai]))
    eq = ov.get("equipment_per_student", rng.uniform(*EQUIPMENT[loc][ai]))
    teaching_room = _r(total * tr)
    sports = _r(total * sp)
    building = _r(teaching_room / rng.uniform(0.62, 0.72))
    site = _r((sports + building / rng.uniform(2.6, 3.4)) * rng.uniform(1.25, 1.5))
    classes = sum(b["classes"] for b in stages.values())
    mm_req = 2.4 if j else 2.3
    mm = max(classes + int(rng.uniform(1, 4)), _ceil(total / 100 * mm_req * 1.04))
    mm = ov.get("multimedia_rooms", mm)
    music = max(1, _ceil(classes / 12))
    art = max(1, _ceil(classes / 12))
    books_ps = rng.uniform(36, 52) if j else rng.uniform(26, 40)
    public = sum(max(b["students"], 0) * PUBLIC_FUNDS[s] for s, b in stages.items()) * rng.uniform(
        0.98, 1.06
    )
    if total < 100:
        public = max(public, 100 * PUBLIC_FUNDS["primary"])
    school.update(
        {
            "teaching_room_area_m2": teaching_room,
            "sports_area_m2": sports,
            "building_area_m2": building,
            "site_area_m2": site,
            "equipment_value_yuan": _r(total * eq, -2),
            "computers": _ceil(total / 100 * rng.uniform(8.0, 16.0)),
            "books": _r(total * books_ps, -1),
            "multimedia_rooms": mm,
            "music_rooms": music,
            "art_rooms": art,
            "music_room_min_area_m2": _r(rng.uniform(96, 110)),
            "art_room_min_area_m2": _r(rng.uniform(90, 104)),
            "special_room_kinds": int(rng.uniform(9, 12)) if j else int(rng.uniform(7, 10)),
            "public_funds_yuan": _r(public, -2),
            "teacher_training_funds_yuan": _r(public * rng.uniform(0.055, 0.08), -2),
            "teacher_training_hours": _r(rng.uniform(56, 96)),
            "daily_study_hours": 7.0 if j else 6.0,
            "has_key_classes": False,
            "admission_by_exam": False,
        }
    )
    return school


def make_teaching_point(rng, name, students, central) -> dict:
    classes = 2 if students < 20 else (3 if students < 35 else 4)
    teachers = 2 if students < 20 else (3 if students < 35 else 4)
    block = {
        "students": students,
        "classes": classes,
        "teachers": teachers,
        "teachers_above_degree": teachers - (1 if rng.random() < 0.5 else 0),
        "senior_title_teachers": 1,
        "backbone_teachers_county": 1 if students >= 30 else 0,
        "backbone_teachers_city": 0,
        "pe_arts_teachers": 0 if students < 30 else 1,
        "max_class_size": min(45, _ceil(students / classes) + 2),
        "large_classes": 0,
        "disabled_students": 0,
        "dropouts": 0,
        "consolidation_rate_pct": 100.0,
        "pass_rate_pct": _u(rng, 95.0, 100.0, 1),
        "graduation_rate_pct": 100.0,
        "fitness_pass_rate_pct": _u(rng, 91.0, 97.0, 1),
        "new_myopia_rate_pct": _u(rng, 1.5, 5.0, 1),
    }
    public = 100 * PUBLIC_FUNDS["primary"] * rng.uniform(1.0, 1.05)
    teaching_room = _r(rng.uniform(150, 300))
    return {
        "name": name,
        "school_type": "teaching_point",
        "central_school_id": central,
        "location": "rural",
        "boarding": False,
        "primary": block,
        "teaching_room_area_m2": teaching_room,
        "sports_area_m2": _r(rng.uniform(400, 1100)),
        "building_area_m2": _r(teaching_room / rng.uniform(0.65, 0.75)),
        "site_area_m2": _r(rng.uniform(1500, 3000)),
        "equipment_value_yuan": _r(rng.uniform(45000, 110000), -2),
        "computers": int(rng.uniform(2, 7)),
        "books": _r(students * rng.uniform(30, 60), -1),
        "multimedia_rooms": classes,
        "music_rooms": 0,
        "art_rooms": 0,
        "special_room_kinds": int(rng.uniform(2, 4)),
        "public_funds_yuan": _r(public, -2),
        "teacher_training_funds_yuan": _r(public * rng.uniform(0.055, 0.07), -2),
        "teacher_training_hours": _r(rng.uniform(40, 72)),
        "daily_study_hours": 5.5,
        "has_key_classes": False,
        "admission_by_exam": False,
    }


def make_special(rng, name, p, j) -> dict:
    def block(students, classes, teachers, above, senior, bb, bbc, pe):
        return {
            "students": students,
            "classes": classes,
            "teachers": teachers,
            "teachers_above_degree": above,
            "senior_title_teachers": senior,
            "backbone_teachers_county": bb,
            "backbone_teachers_city": bbc,
            "pe_arts_teachers": pe,
            "max_class_size": 10,
            "large_classes": 0,
            "disabled_students": students,
            "dropouts": 0,
            "consolidation_rate_pct": 98.5,
            "graduation_rate_pct": 100.0,
            "fitness_pass_rate_pct": 86.0,
        }

    total = p + j
    public = total * 7000.0
    return {
        "name": name,
        "school_type": "special_education",
        "central_school_id": None,
        "location": "urban",
        "boarding": True,
        "primary": block(p, 7, 17, 15, 8, 2, 1, 3),
        "junior": block(j, 3, 8, 7, 4, 1, 0, 1),
        "teaching_room_area_m2": 2350,
        "sports_area_m2": 2600,
        "building_area_m2": 5200,
        "site_area_m2": 11800,
        "equipment_value_yuan": 1460000,
        "computers": 36,
        "books": 4600,
        "multimedia_rooms": 12,
        "music_rooms": 1,
        "art_rooms": 1,
        "music_room_min_area_m2": 98,
        "art_room_min_area_m2": 92,
        "special_room_kinds": 11,
        "public_funds_yuan": _r(public),
        "teacher_training_funds_yuan": _r(public * 0.07, -2),
        "teacher_training_hours": _r(rng.uniform(60, 90)),
        "daily_study_hours": 5.5,
        "has_key_classes": False,
        "admission_by_exam": False,
    }


def make_schools() -> list[dict]:
    rng = random.Random(SEED)
    ids = {key: f"{COUNTY_CODE}-{i:03d}" for i, (key, *_rest) in enumerate(SPECS, start=1)}
    schools = []
    for key, name, stype, loc, p, j, central in SPECS:
        central_id = ids[central] if central else None
        if stype == "teaching_point":
            body = make_teaching_point(rng, name, p, central_id)
        elif stype == "special_education":
            body = make_special(rng, name, p, j)
        else:
            body = make_regular(rng, key, name, stype, loc, p, j, central_id)
        school = {"id": ids[key], "county_code": COUNTY_CODE, "year": YEAR}
        school.update(body)
        # put identity first in a stable order
        order = ["id", "name", "county_code", "year", "school_type", "central_school_id"]
        schools.append({k: school[k] for k in order} | school)
    return schools


def make_county() -> dict:
    finance = []
    rows = [
        # year, edu appropriation, recurrent revenue, general budget edu, per-student budget
        # (primary, junior), per-student public funds (primary, junior), teacher / civil pay
        (2021, 812_000_000, 2_380_000_000, 845_000_000, 9850, 13400, 760, 980, 98600, 97800),
        (2022, 831_000_000, 2_490_000_000, 863_000_000, 10320, 14050, 790, 1010, 102400, 101500),
        (2023, 892_000_000, 2_600_000_000, 920_000_000, 10960, 14880, 830, 1060, 106900, 105800),
        (2024, 961_000_000, 2_720_000_000, 986_000_000, 11580, 15720, 870, 1110, 111300, 110200),
    ]
    for y, ea, rr, gb, bp, bj, pp, pj, ts, cs in rows:
        finance.append(
            {
                "year": y,
                "education_appropriation_yuan": ea,
                "recurrent_revenue_yuan": rr,
                "general_budget_education_expenditure_yuan": gb,
                "per_student_budget_expenditure_primary_yuan": bp,
                "per_student_budget_expenditure_junior_yuan": bj,
                "per_student_public_funds_primary_yuan": pp,
                "per_student_public_funds_junior_yuan": pj,
                "teacher_avg_salary_yuan": ts,
                "civil_servant_avg_salary_yuan": cs,
            }
        )
    return {
        "county_code": COUNTY_CODE,
        "name": COUNTY_NAME,
        "province": PROVINCE,
        "year": YEAR,
        "finance": finance,
        "items": {
            "has_balance_plan": True,
            "has_county_school_standard": True,
            "small_school_funding_as_100": True,
            "special_education_per_student_funds_yuan": 7000,
            "training_360h_completion_pct": 100,
            "staffing_centrally_allocated": True,
            "teacher_rotation_pct": 8.5,
            "backbone_rotation_pct": 23.6,
            "teacher_certificate_pct": 100,
            "nearby_enrolment_primary_pct": 100,
            "nearby_enrolment_junior_pct": 97.8,
            "quality_high_school_quota_pct": 48,
            "quota_tilted_to_rural": True,
            "migrant_children_public_pct": 92.4,
            "left_behind_care_system": True,
            "primary_enrolment_rate_pct": 100,
            "junior_enrolment_rate_pct": 99.6,
            "primary_dropout_rate_pct": 0.0,
            "junior_dropout_rate_pct": 0.35,
            "junior_consolidation_rate_pct": 96.2,
            "primary_consolidation_rate_pct": 99.6,
            "disabled_enrolment_rate_pct": 95.5,
            "all_schools_have_charter": True,
            "training_funds_share_ok": True,
            "moral_education_good": True,
            "full_curriculum": True,
            "workload_controlled": True,
            "quality_monitoring_level": 3,
            "quality_monitoring_diff_rate": 0.12,
            # the province's basic-standard evaluation passed every school (基本均衡 done)
            "schools_meet_basic_standard": True,
        },
        "survey": {"satisfaction_pct": 91.3, "social_recognition_pct": 88.6, "respondents": 3260},
        "vetoes": {
            "admission_by_exam": False,
            "illegal_school_choice": False,
            "key_schools_or_classes": False,
            "major_safety_accident": False,
            "serious_violation": False,
        },
        "scores": {},
    }


def validate(schools: list[dict], county: dict) -> None:
    school_v = Draft202012Validator(
        json.loads((SCHEMA_DIR / "school.schema.json").read_text(encoding="utf-8"))
    )
    county_v = Draft202012Validator(
        json.loads((SCHEMA_DIR / "county.schema.json").read_text(encoding="utf-8"))
    )
    errors = [
        f"{s['id']}: {'/'.join(map(str, e.path))}: {e.message}"
        for s in schools
        for e in school_v.iter_errors(s)
    ]
    errors += [
        f"county: {'/'.join(map(str, e.path))}: {e.message}" for e in county_v.iter_errors(county)
    ]
    ids = [s["id"] for s in schools]
    if len(ids) != len(set(ids)):
        errors.append("duplicate school ids")
    if errors:
        raise SystemExit("sample data invalid:\n" + "\n".join(errors))


# --------------------------------------------------------------------------------------------
# --check: a quick independent computation (DOMAIN.md §3-§5)
# --------------------------------------------------------------------------------------------
def stage_values(school: dict, stage: str) -> dict:
    b = school[stage]
    n = b["students"]
    total = sum(school[s]["students"] for s in STAGES if s in school)
    share = n / total  # school-wide assets apportioned by student share
    return {
        "students": n,
        "teachers_above_degree_per100": b["teachers_above_degree"] / n * 100,
        "backbone_teachers_per100": b["backbone_teachers_county"] / n * 100,
        "pe_arts_teachers_per100": b["pe_arts_teachers"] / n * 100,
        "teaching_room_area_per_student": school["teaching_room_area_m2"] * share / n,
        "sports_area_per_student": school["sports_area_m2"] * share / n,
        "equipment_value_per_student": school["equipment_value_yuan"] * share / n,
        "multimedia_rooms_per100": school["multimedia_rooms"] * share / n * 100,
        # 教督〔2012〕3号 extra indicators
        "computers_per100": school["computers"] * share / n * 100,
        "books_per_student": school["books"] * share / n,
        "teachers_per_student": b["teachers"] / n,
        "teachers_above_degree_per_student": b["teachers_above_degree"] / n,
        "senior_title_teachers_per_student": b["senior_title_teachers"] / n,
    }


BASIC = [
    "teaching_room_area_per_student",
    "sports_area_per_student",
    "equipment_value_per_student",
    "computers_per100",
    "books_per_student",
    "teachers_per_student",
    "teachers_above_degree_per_student",
    "senior_title_teachers_per_student",
]


def weighted_cv(pairs: list[tuple[float, int]]) -> tuple[float, float]:
    total = sum(p for _, p in pairs)
    mean = sum(x * p for x, p in pairs) / total
    s = math.sqrt(sum(p * (x - mean) ** 2 for x, p in pairs) / total)
    return mean, s / mean


def check(schools: list[dict]) -> int:
    rows = {s: [] for s in STAGES}
    print("Per-school national.quality.2017 shortfalls (teaching points, special ed. excluded):")
    n_fail = 0
    for school in schools:
        if school["school_type"] in ("teaching_point", "special_education"):
            continue
        for si, stage in enumerate(STAGES):
            if stage not in school:
                continue
            v = stage_values(school, stage)
            rows[stage].append((school, v))
            misses = []
            for ind, reqs in QUALITY.items():
                req = reqs[si]
                if v[ind] < req:
                    misses.append((ind, v[ind], req, v[ind] / req))
            if misses:
                n_fail += 1
                ok = len(misses) == 1 and misses[0][3] >= 0.85
                print(
                    f"  {school['id']} {school['name']} [{stage}] -> resource_allocation "
                    f"{'PASS' if ok else 'FAIL'}"
                )
                for ind, val, req, pct in misses:
                    print(f"      {ind}: {val:.3f} < {req} ({pct:.1%})")
    print(f"  {n_fail} school-stages with at least one shortfall")
    bad = 0
    for stage in STAGES:
        n = sum(v["students"] for _, v in rows[stage])
        print(f"\n{stage}: {len(rows[stage])} schools, {n} students")
        print(f"  quality CVs (limit {QUALITY_CV_LIMIT[stage]}):")
        for ind in QUALITY:
            mean, cv = weighted_cv([(v[ind], v["students"]) for _, v in rows[stage]])
            met = cv <= QUALITY_CV_LIMIT[stage]
            print(f"    {ind:34s} mean {mean:10.3f}  cv {cv:.3f}  {'ok' if met else 'OVER'}")
            expected_over = stage == "primary" and ind == "sports_area_per_student"
            bad += met == expected_over
        cvs = []
        print(f"  basic 2012 CVs (composite limit {BASIC_CV_LIMIT[stage]}):")
        for ind in BASIC:
            mean, cv = weighted_cv([(v[ind], v["students"]) for _, v in rows[stage]])
            cvs.append(cv)
            print(f"    {ind:34s} mean {mean:10.3f}  cv {cv:.3f}")
        comp = sum(cvs) / len(cvs)
        print(f"    composite {comp:.3f}  {'ok' if comp <= BASIC_CV_LIMIT[stage] else 'OVER'}")
        bad += comp > BASIC_CV_LIMIT[stage]
    if bad:
        print("\nthe CVs are not as designed", file=sys.stderr)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="print CVs and shortfalls, write nothing")
    args = ap.parse_args(argv)
    schools = make_schools()
    county = make_county()
    validate(schools, county)
    if args.check:
        return check(schools)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for fname, data in (("schools.json", schools), ("county.json", county)):
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        (OUT_DIR / fname).write_text(text, encoding="utf-8")
        print(f"wrote {OUT_DIR / fname}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
