"""Anhui: school standard for initial balance (皖教督[2013]7号).

A built-in provincial plugin, registered through the ``junheng`` entry-point group
like any third-party plugin and using only the public hook API. It contributes the
ruleset ``anhui.school-standard.2013`` and the school facts its tasks read that other
systems do not use (怀远县龙亢农场小学推进义务教育初步均衡发展实施计划): each teacher's
centralised training (the fewest hours of any teacher), daily sport, sports meets, arts
events, social practice, safety inspections, uncertified teachers, standard desk sets,
head teachers, the seismic class of the buildings, lessons on holidays.
"""

from importlib import resources

from junheng import hookimpl

_COUNT = {"type": "integer", "minimum": 0, "x-apportion": False}

SCHOOL_FIELDS = {
    "teacher_training_hours_min": {
        "type": "number",
        "title": "教师集中培训最少学时",
        "description": "Hours of centralised training organised by the higher-level office "
        "this school year of the teacher with the fewest (每学年教师参加上一级业务部门组织的"
        "集中培训时间, judged per teacher); not the average teacher_training_hours.",
        "x-unit": "学时",
        "x-apportion": False,
        "minimum": 0,
        "maximum": 2000,
    },
    "daily_sport_hours": {
        "type": "number",
        "title": "学生每天体育活动时间",
        "description": "Daily physical activity time of the students (课间操、体育课等).",
        "x-unit": "小时",
        "x-apportion": False,
        "minimum": 0,
        "maximum": 24,
    },
    "sports_meets_per_year": {
        **_COUNT,
        "title": "本学年举办运动会次数",
        "description": "Sports meets held this school year.",
        "x-unit": "次",
        "maximum": 100,
    },
    "arts_events_per_year": {
        **_COUNT,
        "title": "本学年举办全校文艺活动次数",
        "description": "Whole-school arts events held this school year.",
        "x-unit": "次",
        "maximum": 100,
    },
    "social_practice_per_term": {
        **_COUNT,
        "title": "每学期社会实践活动次数（取较少的一学期）",
        "description": "Social practice activities organised per term, the term with fewer.",
        "x-unit": "次",
        "maximum": 100,
    },
    "safety_inspections_per_term": {
        **_COUNT,
        "title": "每学期安全检查次数（取较少的一学期）",
        "description": "Safety inspections per term (期初、期末), the term with fewer.",
        "x-unit": "次",
        "maximum": 100,
    },
    "uncertified_teachers": {
        **_COUNT,
        "title": "未取得相应教师资格的教师数",
        "description": "Teachers without the teaching certificate their post requires.",
        "x-unit": "人",
        "maximum": 100000,
    },
    "standard_desk_sets": {
        "type": "integer",
        "minimum": 0,
        "maximum": 1000000,
        "title": "符合国家标准的学生课桌椅套数",
        "description": "Student desk-and-chair sets meeting the national design standard.",
        "x-unit": "套",
    },
    "stage.head_teachers": {
        "type": "integer",
        "minimum": 0,
        "maximum": 100000,
        "title": "班主任人数",
        "description": "Teachers serving as head teacher (班主任) of a class.",
        "x-unit": "人",
    },
    "seismic_key_class": {
        "type": "boolean",
        "title": "校舍达到重点设防类抗震设防标准",
        "description": "The school buildings meet the seismic standard of the key "
        "fortification class (重点设防类).",
    },
    "no_holiday_lessons": {
        "type": "boolean",
        "title": "不占用节假日和课余时间集体上课或辅导",
        "description": "No group lessons or tutoring on holidays or after school hours.",
    },
}


@hookimpl
def junheng_rulesets():
    folder = resources.files("junheng.rulesets").joinpath("anhui")
    return [folder.joinpath("school-standard-2013.toml")]


@hookimpl
def junheng_schema_extensions():
    return {"school": SCHOOL_FIELDS}


@hookimpl
def junheng_sample(schools):
    """青溪县 under Anhui's tasks: every teacher had 24 to 30 hours of centralised training,
    an hour of sport a day, the yearly sports meet and arts event, social practice and
    safety inspections twice a term, certified teachers, a desk set for every student, a
    head teacher for every class, buildings at the seismic standard, no holiday lessons."""
    for i, school in enumerate(schools):
        students = 0
        for stage in ("primary", "junior"):
            block = school.get(stage)
            if isinstance(block, dict):
                block["head_teachers"] = block.get("classes", 0)
                students += block.get("students", 0)
        school.update(
            teacher_training_hours_min=24 + i % 7,
            daily_sport_hours=1.0,
            sports_meets_per_year=1,
            arts_events_per_year=1,
            social_practice_per_term=2,
            safety_inspections_per_term=2,
            uncertified_teachers=0,
            standard_desk_sets=students + 10,
            seismic_key_class=True,
            no_holiday_lessons=True,
        )
