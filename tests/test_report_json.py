"""The JSON report against ``schemas/report.schema.json``: real reports validate, every key
the report emits is described, and provenance says which engine, ruleset and inputs."""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import resources

import jsonschema
import pytest

import junheng
from junheng.outputs import render

SAMPLE = resources.files("junheng.sample")


def _schema():
    return json.loads(
        resources.files("junheng.schemas").joinpath("report.schema.json").read_text("utf-8")
    )


def _report_json(engine, ruleset, schools, county):
    report = engine.evaluate(ruleset, schools, county)
    # through the writer, so NaN/inf handling (allow_nan=False) is part of what is tested
    return json.loads(render(report, "json"))


def test_schema_is_valid_draft_2020_12():
    schema = _schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    # Chinese titles throughout
    assert "报告" in schema["title"]
    assert schema["$defs"]["check"]["properties"]["shortfall"]["title"] == "差距（实际单位）"


@pytest.mark.parametrize(
    ("ruleset", "with_county"),
    [
        ("national.quality.2017", True),
        ("national.basic.2012", True),
        ("national.quality.2017", False),
        ("national.basic.2012", False),
    ],
)
def test_real_reports_validate_and_every_key_is_described(engine, sample, ruleset, with_county):
    schools, county = sample
    doc = _report_json(engine, ruleset, schools, county if with_county else None)
    schema = _schema()
    jsonschema.Draft202012Validator(schema).validate(doc)
    undescribed = list(_undescribed_keys(doc, schema, schema, "$"))
    assert undescribed == []
    c = doc["counties"][0]
    if with_county:
        assert c["has_county_record"] is True
    else:
        # without county data the county criteria are not evaluated and the county cannot pass
        assert c["has_county_record"] is False and c["passed"] is False
        assert c["not_evaluated"], "county items must be reported as not evaluated"
        assert all(n["status"] == "not_evaluated" for n in c["not_evaluated"])


def test_quality_report_content_matches_contract(engine, sample):
    doc = _report_json(engine, "national.quality.2017", *sample)
    assert set(doc) >= {"ruleset", "counties", "schools", "data_issues"}
    c = doc["counties"][0]
    assert {"county_code", "passed", "failed_criteria", "vetoes", "groups", "score"} <= set(c)
    school = next(s for s in doc["schools"] if s["id"] == "360199-004")
    check = school["checks"]["sports_area_per_student"]
    assert check["met"] is False and check["unit"] == "m²" and check["shortfall"] == 3240
    stats = c["groups"][0]["indicators"]["sports_area_per_student"]
    assert stats["met"] is False and stats["cv"] > stats["limit"] == 0.5


def test_provenance_names_engine_ruleset_hash_inputs_and_time(run_cli, tmp_path, engine, sample):
    for name in ("schools.json", "county.json"):
        (tmp_path / name).write_bytes(SAMPLE.joinpath(name).read_bytes())
    done = run_cli(
        "evaluate", "schools.json", "--county", "county.json",
        "--ruleset", "national.quality.2017", "-o", "r.json",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    doc = json.loads((tmp_path / "r.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(_schema()).validate(doc)
    prov = doc["provenance"]
    assert prov["engine"] == "junheng" and prov["engine_version"] == junheng.__version__
    assert prov["ruleset_id"] == "national.quality.2017"
    api = engine.evaluate("national.quality.2017", *sample).provenance
    assert prov["ruleset_sha256"] == api["ruleset_sha256"] and len(api["ruleset_sha256"]) == 64
    for name in ("schools", "county"):
        data = (tmp_path / f"{name}.json").read_bytes()
        assert prov["inputs"][name]["sha256"] == hashlib.sha256(data).hexdigest()
    assert prov["evaluated_at"][:2] == "20" and "T" in prov["evaluated_at"]
    assert prov["evaluate_seconds"] >= 0


def test_ruleset_hash_changes_with_ruleset_not_with_run(engine, sample):
    a = engine.evaluate("national.quality.2017", *sample).provenance["ruleset_sha256"]
    b = engine.evaluate("national.quality.2017", *sample).provenance["ruleset_sha256"]
    c = engine.evaluate("national.basic.2012", *sample).provenance["ruleset_sha256"]
    assert a == b != c


def _resolve(node, root):
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/")
        target = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def _undescribed_keys(instance, node, root, path):
    """Keys of ``instance`` that the schema neither lists nor covers with a map schema."""
    node = _resolve(node, root)
    for alt in node.get("anyOf", []):
        alt = _resolve(alt, root)
        if isinstance(instance, dict) and alt.get("type") == "object":
            node = alt
    if isinstance(instance, dict):
        props = node.get("properties", {})
        extra = node.get("additionalProperties")
        for key, value in instance.items():
            if key in props:
                yield from _undescribed_keys(value, props[key], root, f"{path}.{key}")
            elif isinstance(extra, dict):
                yield from _undescribed_keys(value, extra, root, f"{path}.{key}")
            else:
                yield f"{path}.{key}"
    elif isinstance(instance, list) and isinstance(node.get("items"), dict):
        seen = set()
        for i, item in enumerate(instance):
            for p in _undescribed_keys(item, node["items"], root, f"{path}[]"):
                if p not in seen:
                    seen.add(p)
                    yield p
            if i > 200:
                break


# --------------------------------------------------------------------------- writing


def test_interrupted_render_leaves_no_file_and_no_temp(engine, sample, tmp_path, monkeypatch):
    from junheng import outputs

    report = engine.evaluate("national.quality.2017", *sample)

    def broken(report):
        raise RuntimeError("render failed half way")

    monkeypatch.setitem(outputs.WRITERS, "html", broken)
    with pytest.raises(RuntimeError):
        outputs.write_report(report, "html", tmp_path / "report.html")
    assert list(tmp_path.iterdir()) == []


def test_streamed_json_failing_half_way_keeps_old_file_and_removes_temp(
    engine, sample, tmp_path, monkeypatch
):
    from junheng import outputs
    from junheng.outputs import json_report

    report = engine.evaluate("national.quality.2017", *sample)
    target = tmp_path / "report.json"
    target.write_text("old", "utf-8")
    calls = []

    def lines_then_fail(*args):
        if calls:
            raise OSError(28, "No space left on device")
        calls.append(1)
        return real(*args)

    real = json_report._school_lines
    monkeypatch.setattr(json_report, "_CHUNK", 10)  # several chunks: the first is written
    monkeypatch.setattr(json_report, "_school_lines", lines_then_fail)
    with pytest.raises(OSError, match="No space"):
        outputs.write_report(report, "json", target)
    assert target.read_text("utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_interrupted_write_keeps_old_file_and_removes_temp(tmp_path):
    from junheng.atomic import atomic_path

    target = tmp_path / "report.json"
    target.write_text("old", "utf-8")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_bytes(b'{"half": ')
        raise KeyboardInterrupt
    assert target.read_text("utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_written_files_get_normal_permissions(engine, sample, tmp_path):
    import os

    from junheng.outputs import write_report

    old = os.umask(0o022)
    try:
        path = write_report(
            engine.evaluate("national.quality.2017", *sample), "md", tmp_path / "r.md"
        )
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_demo_writes_every_format_and_prints_where(run_cli, tmp_path):
    done = run_cli("demo", "--output", "out")
    assert done.returncode == 1, done.stderr
    out = tmp_path / "out"
    names = sorted(p.name for p in out.iterdir())
    assert names == ["report-parquet", "report.html", "report.json", "report.md", "report.xlsx"]
    assert str(out.resolve()) in done.stdout
    for name in names:
        assert f"  {name}" in done.stdout
        assert (out / name).stat().st_size > 1000
    assert "未通过" in done.stdout and done.stderr == ""  # no progress bar when not a terminal


@pytest.mark.parametrize(
    "ruleset", ["national.quality.2017", "national.basic.2012", "jiangxi.quality", "gansu.basic"]
)
def test_streamed_json_is_the_report_dict_one_school_per_line(engine, sample, ruleset):
    """The writer formats school lines from columns; they must say what to_dict says."""
    schools, county = copy.deepcopy(sample)
    # text JSON must escape, a %-sign the line template must not read as a placeholder,
    # and a missing number so some values are undefined (null)
    schools[0]["name"] = 'a "quoted" \\ 100% 名\n'
    schools[1]["county_code"] = county["county_code"]
    del schools[2]["sports_area_m2"]
    report = engine.evaluate(ruleset, schools, county, validate_input=False)
    text = render(report, "json")
    assert json.loads(text) == report.to_dict()
    lines = [line for line in text.split(b"\n") if line.startswith(b'    {"id":')]
    assert [json.loads(line.rstrip(b","))["id"] for line in lines] == [
        s["id"] for s in report.to_dict()["schools"]
    ]
    if report.schools.detail:  # rulesets with a k-of-n rule explain it per school
        assert any("detail" in c for s in json.loads(text)["schools"] for c in s["checks"].values())
    assert b"null" in b"".join(lines)


@pytest.mark.parametrize("name", ["back\\slash", 'a "quote"', "tab\there", "50% 名", "普通"])
def test_streamed_json_escapes_each_kind_of_text(engine, sample, name):
    schools, county = copy.deepcopy(sample)
    schools[0]["name"] = name  # the only special text in the batch: its own path is taken
    report = engine.evaluate("national.quality.2017", schools, county, validate_input=False)
    doc = json.loads(render(report, "json"))
    assert doc == report.to_dict() and doc["schools"][0]["name"] == name


def test_streamed_json_with_no_school_units(engine, sample):
    schools, county = sample
    point = next(s for s in schools if s["school_type"] == "teaching_point")
    report = engine.evaluate("national.quality.2017", [point], county, validate_input=False)
    doc = json.loads(render(report, "json"))
    assert doc == report.to_dict() and doc["schools"] == [] and doc["excluded_schools"]


def test_yes_no_rule_objects_are_what_orjson_writes():
    import itertools

    import orjson

    from junheng.outputs.json_report import _objects

    objects = _objects(',"unit":"项"'.encode())
    floats, bools = (0.0, 1.0, None), (False, True, None)
    for code, (v, t, m, s) in enumerate(itertools.product(range(3), repeat=4)):
        expected = {"value": floats[v], "threshold": floats[t], "met": bools[m]}
        expected |= {"shortfall": floats[s], "unit": "项"}
        assert objects[code] == orjson.dumps(expected)
