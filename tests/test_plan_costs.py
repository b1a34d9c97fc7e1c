"""Levers and unit costs: the shipped defaults, a user's costs file, what a costs file may not do."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from junheng.issues import InputError
from junheng.plan import load_costs, plan
from junheng.plan.costs import MAX_COSTS_BYTES

DOCS = Path(__file__).resolve().parents[1] / "docs" / "plan.md"


@pytest.fixture(scope="module")
def fields(engine):
    return engine.registry.school_fields


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "costs.toml"
    path.write_text(text, "utf-8")
    return path


def test_every_default_names_its_source_or_is_an_assumption(fields):
    costs = load_costs(None, school_fields=fields)
    assert costs.levers
    for lever in costs.levers.values():
        assert lever.cost >= 0 and lever.enabled
        assert lever.source or lever.assumption, lever.id
        if lever.assumption:
            assert "假设值" in lever.note or lever.id == "hire", lever.id


def test_docs_list_every_default_with_its_cost(fields):
    text = DOCS.read_text("utf-8")
    costs = load_costs(None, school_fields=fields)
    for lever in costs.levers.values():
        row = re.search(rf"^\| `{re.escape(lever.id)}` \|(.*)$", text, re.M)
        assert row, f"docs/plan.md has no row for lever {lever.id}"
        assert f"{lever.cost:g}" in row.group(1).replace(",", ""), (lever.id, lever.cost)
        assert ("假设值" in row.group(1)) == lever.assumption or lever.id == "hire", lever.id


def test_a_users_file_overrides_switches_off_and_adds(tmp_path, fields):
    path = _write(
        tmp_path,
        """
salary_years = 3
[levers.sports_area_m2]
cost = 350
[levers.books]
cost = 25
source = "某县图书采购中标价"
[levers.move]
enabled = false
[levers.site_area_m2]
cost = 2000
assumption = true
[levers.large_classes]
cost = 1
title = "拆分大班额"
""",
    )
    costs = load_costs(path, school_fields=fields)
    assert costs.salary_years == 3 and costs.file_sha256
    sports = costs.levers["sports_area_m2"]
    assert sports.cost == 350 and not sports.assumption and str(path) in sports.source
    assert costs.levers["books"].source == "某县图书采购中标价"
    assert costs.lever("move") is None and costs.levers["move"].cost == 3000  # kept, off
    assert costs.levers["site_area_m2"].kind == "asset" and costs.levers["site_area_m2"].assumption
    assert costs.levers["large_classes"].kind == "stage"
    # yearly costs are weighed over salary_years
    assert costs.objective(costs.levers["hire"]) == 3 * costs.levers["hire"].cost
    assert costs.objective(sports) == 350


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[levers.location]\ncost = 1\n", "levers.location", "未知的措施"),  # a text field
        ("[levers.hire]\ncost = 90000\nunit = '天'\n", "levers.hire", "固定"),
        ("[levers.books]\ncost = true\n", "levers.books.cost", "非负的有限数"),
        ("[levers.books]\ncost = inf\n", "levers.books.cost", "非负的有限数"),
        ("[levers.books]\ncost = 3\ntitle = ''\n", "levers.books.title", "非空文本"),
        ("levers = 5\n", "levers", "必须是表"),
        ("speed = 1\n", "speed", "未知的设置"),
        ("salary_years = inf\n", "salary_years", "正数"),
    ],
)
def test_every_problem_is_located_by_key(tmp_path, fields, text, key, words):
    with pytest.raises(InputError) as err:
        load_costs(_write(tmp_path, text), school_fields=fields)
    issue = next(i for i in err.value.issues if i.field == key)
    assert words in issue.message and issue.code == "costs" and issue.file.endswith("costs.toml")


def test_files_that_are_not_costs_files(tmp_path, fields):
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * (MAX_COSTS_BYTES + 10) + "\n", "utf-8")
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('[levers.books]\nsource = "图书"\ncost = 3\n'.encode("gbk"))
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", "utf-8")
    for path, words in (
        (big, "过大"),
        (gbk, "UTF-8"),
        (deep, "嵌套"),
        (tmp_path / "missing.toml", "不存在"),
        (tmp_path, "不存在或不是普通文件"),
    ):
        with pytest.raises(InputError) as err:
            load_costs(path, school_fields=fields)
        message = " ".join(i.message for i in err.value.issues)
        assert words in message or (path is deep and "TOML" in message), (path, message)


def test_a_new_teacher_costs_the_countys_own_salary_unless_the_file_says(tmp_path, engine):
    schools, county = engine.sample()
    salary = max(county["finance"], key=lambda r: r["year"])["teacher_avg_salary_yuan"]
    # no moves and no training: teachers can only be hired
    off = _write(
        tmp_path,
        "".join(
            f"[levers.{lever}]\nenabled = false\n"
            for lever in ("move", "upgrade_degree", "train_backbone_city", "train_backbone_county")
        ),
    )
    hires = [
        a
        for a in plan(engine, "jiangxi.quality", schools, county, costs=str(off))
        .counties[0]
        .additions
        if a.lever == "hire"
    ]
    assert hires and all(a.unit_cost == salary for a in hires)
    assert all(a.recurrent and a.cost == a.amount * salary for a in hires)
    fixed = tmp_path / "fixed.toml"
    fixed.write_text(off.read_text("utf-8") + "[levers.hire]\ncost = 80000\n", "utf-8")
    result = plan(engine, "jiangxi.quality", schools, county, costs=str(fixed))
    hires = [a for a in result.counties[0].additions if a.lever == "hire"]
    assert hires and all(a.unit_cost == 80000 for a in hires)
    assert result.counties[0].yearly_cost == sum(a.cost for a in hires)
