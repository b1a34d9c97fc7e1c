"""Citations: documents declared once per ruleset, rules citing them by key and clause.

Resolved at load into what every report shows (the document's issuer, title and number
and the clause); an unknown key is a located load error; a child ruleset sees its
parents' documents; a free-text ``source`` keeps working. Every built-in report names
documents, never the project's own source files ("source 004").
"""

from __future__ import annotations

import io
import json
import re
import textwrap

import openpyxl
import pytest

from junheng import hookimpl
from junheng.engine import Engine
from junheng.outputs import render
from junheng.ruleset import RulesetError

PARENT = """
id = "t.parent"
title = "父规则集"
source = "测试"

[documents.law]
issuer = "测试机关"
title = "测试办法"
number = "测〔2020〕1号"
date = "2020-01-01"
kind = "测试文件"

[indicators.area]
title = "生均面积"
formula = "teaching_room_area_m2 / students"
unit = "m²/生"
threshold = 4.5
cv_limit = 0.5
cite = "law"
clause = "第三条"
cv_clause = "第四条"

[county_items.plan]
title = "有规划"
when = "has_balance_plan"
cite = "law"
clause = "第五条"
"""


class FilesPlugin:
    def __init__(self, *files):
        self.__name__ = "test-files"
        self.files = files

    @hookimpl
    def junheng_rulesets(self):
        return list(self.files)


def _engine(tmp_path, **texts):
    paths = []
    for name, text in texts.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(textwrap.dedent(text), "utf-8")
        paths.append(path)
    return Engine(plugins=[FilesPlugin(*paths)], entry_points=False)


def _child(body: str) -> str:
    return 'id = "t.child"\ntitle = "子规则集"\nsource = "测试"\nextends = "t.parent"\n' + body


def _problems(engine, rid):
    with pytest.raises(RulesetError) as info:
        engine.ruleset(rid)
    return info.value.problems


def test_cite_resolves_to_the_document_name_number_and_clause(tmp_path):
    rs = _engine(tmp_path, parent=PARENT).ruleset("t.parent")
    area = rs.indicators["area"]
    assert area.meta.source == "测试机关《测试办法》（测〔2020〕1号）第三条"
    assert (area.meta.document, area.meta.clause) == ("law", "第三条")
    # the CV clause cites the table's document unless it names its own
    assert area.cv_source == "测试机关《测试办法》（测〔2020〕1号）第四条"
    assert area.cv_document == "law"
    assert rs.documents["law"].citation == "测试机关《测试办法》（测〔2020〕1号）"
    assert rs.describe()["documents"]["law"]["number"] == "测〔2020〕1号"


def test_unknown_document_key_is_a_located_load_error(tmp_path):
    text = PARENT.replace('cite = "law"\nclause = "第五条"', 'cite = "lwa"\nclause = "第五条"')
    problems = _problems(_engine(tmp_path, parent=text), "t.parent")
    assert len(problems) == 1
    msg = problems[0]
    assert "parent.toml" in msg and "county_items.plan" in msg and "'lwa'" in msg
    assert "已声明：law" in msg


def test_source_and_cite_in_one_table_are_refused(tmp_path):
    text = PARENT.replace(
        'cite = "law"\nclause = "第三条"', 'cite = "law"\nsource = "自由文本"\nclause = "第三条"'
    )
    problems = _problems(_engine(tmp_path, parent=text), "t.parent")
    assert len(problems) == 1
    assert "parent.toml: indicators.area: 同时给出了 source 和 cite" in problems[0]


def test_a_clause_of_no_document_is_refused(tmp_path):
    # the parent cites free text; the child gives a clause without saying of which document
    parent = PARENT.replace('cite = "law"\nclause = "第五条"', 'source = "自由文本"')
    child = _child('[county_items.plan]\nclause = "第七条"\n')
    problems = _problems(_engine(tmp_path, parent=parent, child=child), "t.child")
    assert len(problems) == 1
    assert "child.toml: county_items.plan: 给出了 clause 但没有 cite" in problems[0]


def test_a_rule_needs_a_source_or_a_cite(tmp_path):
    text = PARENT.replace('cite = "law"\nclause = "第五条"\n', "")
    engine = _engine(tmp_path, parent=text)
    assert engine.problems and "county_items.plan" in engine.problems[0].message
    assert "缺少依据：source" in engine.problems[0].message and "cite" in engine.problems[0].message


def test_a_child_sees_its_parents_documents_and_may_correct_one(tmp_path):
    child = _child(
        """
        [documents.law]
        number = "测〔2021〕1号"

        [documents.own]
        issuer = "省测试厅"
        title = "省测试细则"
        kind = "省级细则"

        [county_items.plan]
        clause = "第六条"

        [county_items.own]
        title = "省自己的项目"
        when = "has_county_school_standard"
        cite = "own"
        clause = "第一条"
        """
    )
    rs = _engine(tmp_path, parent=PARENT, child=child).ruleset("t.child")
    # the child's correction of the parent's document reaches the parent's rules
    assert rs.indicators["area"].meta.source == "测试机关《测试办法》（测〔2021〕1号）第三条"
    # a clause alone keeps the inherited document
    assert rs.county_items["plan"].meta.source == "测试机关《测试办法》（测〔2021〕1号）第六条"
    assert rs.county_items["own"].meta.source == "省测试厅《省测试细则》第一条"
    assert set(rs.documents) == {"law", "own"}


def test_a_child_source_replaces_an_inherited_cite_and_the_other_way_round(tmp_path):
    child = _child(
        """
        [documents.own]
        issuer = "省测试厅"
        title = "省测试细则"
        kind = "省级细则"

        [indicators.area]
        threshold = 5.0
        cite = "own"
        clause = "第九条"

        [county_items.plan]
        source = "省里的自由文本"
        """
    )
    rs = _engine(tmp_path, parent=PARENT, child=child).ruleset("t.child")
    area = rs.indicators["area"]
    assert area.meta.source == "省测试厅《省测试细则》第九条" and area.meta.document == "own"
    # the CV limit the child did not touch still cites the parent's clause of the parent's document
    assert area.cv_source == "测试机关《测试办法》（测〔2020〕1号）第四条"
    plan = rs.county_items["plan"].meta
    assert (plan.source, plan.document, plan.clause) == ("省里的自由文本", None, None)


def test_a_ruleset_without_documents_keeps_its_free_text_sources(tmp_path):
    text = """
    id = "t.plain"
    title = "无文件声明"
    source = "第三方"
    [county_items.plan]
    title = "有规划"
    when = "has_balance_plan"
    source = "某省某文第二条"
    """
    rs = _engine(tmp_path, plain=text).ruleset("t.plain")
    assert rs.county_items["plan"].meta.source == "某省某文第二条"
    assert rs.documents == {}


# -- every built-in ruleset --------------------------------------------------------------


def _metas(rs):
    yield from (i.meta for i in rs.indicators.values())
    yield from (r.meta for r in rs.school_rules.values())
    yield from (c.meta for c in rs.county_items.values())
    yield from (m.meta for m in rs.multi_year.values())
    yield from (v.meta for v in rs.vetoes.values())
    if rs.score:
        yield from (n.meta for n in rs.score.nodes)
    if rs.composite_cv:
        yield rs.composite_cv.meta


INTERNAL = re.compile(r"source \d{3}|DOMAIN\.md", re.IGNORECASE)


def test_every_builtin_rule_cites_a_declared_document(engine):
    for rid in engine.ruleset_ids():
        rs = engine.ruleset(rid)
        assert rs.documents, rid
        for meta in _metas(rs):
            assert meta.document in rs.documents, (rid, meta.id, meta.source)
            assert meta.source.startswith(rs.documents[meta.document].citation), (rid, meta.id)
            assert not INTERNAL.search(meta.source), (rid, meta.id, meta.source)
            assert not INTERNAL.search(meta.note or ""), (rid, meta.id, meta.note)


@pytest.mark.parametrize("fmt", ["json", "html", "md", "xlsx"])
def test_reports_name_documents_never_the_projects_source_files(engine, sample, fmt):
    for rid in engine.ruleset_ids():
        report = engine.evaluate(rid, *sample)
        data = render(report, fmt)
        if fmt == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(data))
            text = "\n".join(
                str(c)
                for ws in book.worksheets
                for row in ws.iter_rows(values_only=True)
                for c in row
                if c is not None
            )
            assert "依据文件" in book.sheetnames, rid
        else:
            text = data.decode("utf-8")
        if fmt == "md":  # Markdown escapes brackets: 皖教督\[2013\]7号
            text = text.replace("\\[", "[").replace("\\]", "]")
        assert not INTERNAL.search(text), (rid, fmt, INTERNAL.search(text).group(0))
        if fmt != "json":  # the human reports list every document the ruleset declares
            for doc in report.ruleset.documents.values():
                assert doc.citation in text, (rid, fmt, doc.key)


def test_json_report_carries_document_keys_and_the_documents(engine, sample):
    doc = json.loads(render(engine.evaluate("national.quality.2017", *sample), "json"))
    documents = doc["ruleset"]["documents"]
    assert documents["moe_2017_6"]["number"] == "教督〔2017〕6号"
    assert documents["moe_2017_6"]["citation"].startswith("教育部《县域义务教育优质均衡发展")
    crit = {c["id"]: c for c in doc["counties"][0]["criteria"]}
    rotation = crit["teacher_rotation"]
    assert (rotation["document"], rotation["clause"]) == ("moe_2017_6", "政府保障程度（十）")
    assert rotation["source"] == documents["moe_2017_6"]["citation"] + "政府保障程度（十）"
    assert doc["rules"]["resource_allocation"]["document"] == "moe_2017_6"


def test_rulesets_show_lists_the_documents(run_cli):
    done = run_cli("rulesets", "show", "chongqing.qualified")
    assert done.returncode == 0, done.stderr
    out = re.sub(r"\s+", "", done.stdout.replace("│", ""))
    assert "依据文件" in out and "渝府发〔年份不详〕79号" in out
    assert "奖励加分计入认定分数线" in out
    assert not INTERNAL.search(done.stdout)
