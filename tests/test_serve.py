"""``junheng serve`` over real loopback HTTP: a uvicorn server in a subprocess, httpx as the client.

Every endpoint, every error class, uploads (GB18030 CSV, XLSX written with openpyxl),
the report bytes against the CLI's for the same files, 50 concurrent evaluations while
``/healthz`` keeps answering. Shutdown, limits and keys: tests/test_serve_limits.py;
fuzzing: tests/test_serve_fuzz.py.
"""

from __future__ import annotations

import asyncio
import copy
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import httpx
import openpyxl
import pytest
from servers import normalise_times, start
from test_cli_data import ACCEPTANCE_CSV

from junheng import __version__
from junheng.ruleset import strip_origin

RULESET = "national.quality.2017"
JSON_HEADERS = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory, engine):
    """The sample county's files (``junheng sample``) in a folder the CLI and server share."""
    path = tmp_path_factory.mktemp("serve")
    done = subprocess.run(
        [str(Path(sys.executable).with_name("junheng")), "sample", "--output", "."],
        cwd=path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return path


@pytest.fixture(scope="module")
def server(folder):
    srv = start(folder)
    yield srv
    assert srv.stop() == 0, srv.output()
    assert "Traceback" not in srv.output(), srv.output()


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


@pytest.fixture(scope="module")
def sample_records(folder):
    schools = json.loads((folder / "schools.json").read_text("utf-8"))
    county = json.loads((folder / "county.json").read_text("utf-8"))
    return schools, county


def _cli(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("junheng")), *args],
        cwd=folder,
        capture_output=True,
        env={"PYTHONIOENCODING": "utf-8", "COLUMNS": "200", "PATH": ""},
    )


def _body(schools, county, ruleset=RULESET, **extra) -> bytes:
    return json.dumps({"ruleset": ruleset, "schools": schools, "county": county, **extra}).encode()


def _files(folder: Path, *names: str) -> dict:
    return {name.split(".")[0]: (name, (folder / name).read_bytes()) for name in names}


def _problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    doc = response.json()
    assert doc["status"] == status and doc["type"].startswith("https://") and doc["detail"]
    assert "Traceback" not in response.text
    return doc


def _without_times(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    for key in ("evaluated_at", "evaluate_seconds"):
        doc["provenance"].pop(key)
    return doc


# --------------------------------------------------------------------------- read-only


def test_healthz_names_the_engine_and_its_plugins(client, engine):
    doc = client.get("/healthz").json()
    assert doc["status"] == "ok" and doc["version"] == __version__
    assert doc["plugins"] == sorted(p.name for p in engine.plugins)
    assert doc["plugin_problems"] == [] and doc["rulesets"] == len(engine.ruleset_ids())
    assert doc["queue"] == {"running": 0, "waiting": 0, "capacity": 64, "threads": 1}


def test_rulesets_list_every_installed_ruleset(client, engine):
    doc = client.get("/v1/rulesets").json()
    assert [r["id"] for r in doc["rulesets"]] == engine.ruleset_ids()
    by_id = {r["id"]: r for r in doc["rulesets"]}
    assert by_id["jiangxi.quality"]["extends"] == RULESET
    assert by_id[RULESET]["unverified"] == engine.ruleset(RULESET).unverified_count()
    assert "/" not in by_id[RULESET]["file"]  # no server path is shown


def test_a_resolved_ruleset_names_where_each_value_came_from(client, engine):
    doc = client.get("/v1/rulesets/jiangxi.quality").json()
    assert doc["lineage"] == [RULESET, "jiangxi.quality"]
    rule = next(r for r in doc["rules"] if r["id"] == "teachers_above_degree_per100")
    # jiangxi restates the source clause and keeps the national numbers
    assert rule["values"]["source"]["origin"]["ruleset"] == "jiangxi.quality"
    assert rule["values"]["threshold"]["origin"]["ruleset"] == RULESET
    assert rule["values"]["threshold"]["value"] == {"primary": 4.2, "junior": 5.3}
    assert rule["source"] == rule["values"]["source"]["value"]
    raw = strip_origin(engine.ruleset("jiangxi.quality").raw)
    for r in doc["rules"]:
        if r["table"] != "score":
            assert {k: v["value"] for k, v in r["values"].items()} == raw[r["table"]][r["id"]]
    assert "/work" not in json.dumps(doc) and "site-packages" not in json.dumps(doc)


def test_unknown_ruleset_is_404(client):
    doc = _problem(client.get("/v1/rulesets/nope.2099"), 404)
    assert RULESET in doc["detail"]
    _problem(client.get("/v1/templates/nope.2099"), 404)
    _problem(
        client.post("/v1/evaluate", content=_body([], None, "nope.2099"), headers=JSON_HEADERS), 404
    )
    _problem(client.get("/no/such/path"), 404)
    _problem(client.delete("/v1/evaluate"), 405)


def test_templates_are_the_cli_templates(client, folder):
    response = client.get(f"/v1/templates/{RULESET}", params={"format": "csv"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    done = _cli(folder, "template", "--ruleset", RULESET, "--format", "csv", "-o", "t.csv")
    assert done.returncode == 0, done.stderr
    assert response.content == (folder / "t.csv").read_bytes()
    disposition = response.headers["content-disposition"]
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"学校数据采集表-{RULESET}.csv"

    response = client.get(f"/v1/templates/{RULESET}", params={"format": "xlsx", "kind": "schools"})
    assert response.status_code == 200 and response.content[:2] == b"PK"
    _cli(folder, "template", "--ruleset", RULESET, "--format", "xlsx", "-o", "t.xlsx")
    assert _cells(response.content) == _cells((folder / "t.xlsx").read_bytes())

    # the county template with its score sheet: the CLI's, byte for byte
    for rid in (RULESET, "chongqing.qualified"):
        response = client.get(
            f"/v1/templates/{rid}", params={"kind": "county", "format": "csv", "year": 2025}
        )
        assert response.status_code == 200
        _cli(folder, "template", "--county", "--ruleset", rid, "--year", "2025", "-o", "c.csv")
        assert response.content == (folder / "c.csv").read_bytes()
        disposition = response.headers["content-disposition"]
        assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"县域数据采集表-{rid}.csv"
    assert "scores.disparity" in response.content.decode("utf-8-sig")
    _problem(client.get(f"/v1/templates/{RULESET}", params={"format": "pdf"}), 400)
    _problem(client.get(f"/v1/templates/{RULESET}", params={"kind": "county", "year": "19x"}), 400)


def _cells(data: bytes) -> dict:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {sheet.title: [[c.value for c in row] for row in sheet.iter_rows()] for sheet in book}


def test_openapi_bodies_are_the_projects_schemas(client, engine):
    doc = client.get("/openapi.json").json()
    assert doc["openapi"] == "3.1.0"
    assert set(doc["paths"]) >= {
        "/healthz",
        "/v1/rulesets",
        "/v1/rulesets/{id}",
        "/v1/validate",
        "/v1/evaluate",
        "/v1/explain",
        "/v1/templates/{ruleset}",
        "/openapi.json",
    }
    schemas = doc["components"]["schemas"]
    school = dict(engine.registry.school_schema)
    for key in ("$id", "$schema"):
        school.pop(key)
    assert schemas["School"] == json.loads(json.dumps(school))  # embedded whole, not retyped
    from importlib import resources

    report = json.loads(
        resources.files("junheng.schemas").joinpath("report.schema.json").read_text("utf-8")
    )
    text = json.dumps({k: v for k, v in report.items() if k not in ("$id", "$schema")})
    assert (
        json.loads(text.replace('"#/$defs/', '"#/components/schemas/Report/$defs/'))
        == schemas["Report"]
    )
    body = doc["paths"]["/v1/evaluate"]["post"]["requestBody"]["content"]
    assert body["application/json"]["schema"]["properties"]["schools"]["items"] == {
        "$ref": "#/components/schemas/School"
    }
    assert set(body) == {"application/json", "multipart/form-data"}
    ok = doc["paths"]["/v1/evaluate"]["post"]["responses"]["200"]["content"]
    assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/Report"}


def test_the_docs_page_is_self_contained(client):
    response = client.get("/docs")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=\"?(https?:)?//", page)
    assert "@import" not in page and "url(http" not in page
    spec = re.search(r'<script type="application/json" id="openapi">(.*?)</script>', page, re.S)
    assert json.loads(spec.group(1)) == client.get("/openapi.json").json()


def test_the_docs_page_renders_offline_in_headless_chromium(server, tmp_path):
    from test_report_html import _browser, _run_browser

    browser = _browser()
    dom = _run_browser(browser, tmp_path, "--dump-dom", server.url + "/docs")
    assert dom.returncode == 0, dom.stderr[-2000:]
    paths = len(httpx.get(server.url + "/openapi.json").json()["paths"])
    assert f'data-rendered="{paths}"' in dom.stdout
    assert 'id="op-evaluate"' in dom.stdout and "schema-School" in dom.stdout
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == [], console


# --------------------------------------------------------------------------- evaluate


def test_evaluate_json_is_the_cli_report(client, folder):
    done = _cli(
        folder,
        "evaluate",
        "schools.json",
        "--county",
        "county.json",
        "--ruleset",
        RULESET,
        "-o",
        "cli.json",
    )
    assert done.returncode == 1, done.stderr  # the sample county fails a few criteria
    cli = (folder / "cli.json").read_bytes()
    files = _files(folder, "schools.json", "county.json")
    response = client.post("/v1/evaluate", data={"ruleset": RULESET}, files=files)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-junheng-passed"] == "false"
    # an upload is reported by its file name and hash, as the CLI reports a file
    assert normalise_seconds(response.content) == normalise_seconds(cli)

    body = _body(
        *json.loads(
            "["
            + (folder / "schools.json").read_text("utf-8")
            + ","
            + (folder / "county.json").read_text("utf-8")
            + "]"
        )
    )
    response = client.post("/v1/evaluate", content=body, headers=JSON_HEADERS)
    served, ours = response.json(), json.loads(cli)
    assert "inputs" not in served["provenance"]  # records, not files
    ours["provenance"].pop("inputs")
    assert _without_times(served) == _without_times(ours)


def normalise_seconds(data: bytes) -> bytes:
    data = normalise_times(data)
    return re.sub(rb'"evaluate_seconds": [0-9.e-]+', b'"evaluate_seconds": 0', data)


@pytest.mark.parametrize("fmt", ["html", "xlsx", "md"])
def test_every_format_is_the_cli_file(client, folder, fmt, engine):
    done = _cli(
        folder,
        "evaluate",
        "schools.json",
        "--county",
        "county.json",
        "--ruleset",
        RULESET,
        "--format",
        fmt,
        "-o",
        f"cli.{fmt}",
    )
    assert done.returncode == 1, done.stderr
    cli = (folder / f"cli.{fmt}").read_bytes()
    response = client.post(
        "/v1/evaluate",
        params={"format": fmt},
        data={"ruleset": RULESET},
        files=_files(folder, "schools.json", "county.json"),
    )
    assert response.status_code == 200, response.text
    writer = engine.registry.writers[fmt]
    assert response.headers["content-type"] == writer.media_type
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment" if fmt == "xlsx" else "inline")
    assert f'filename="report-{RULESET}.{fmt}"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"评估报告-{RULESET}.{fmt}"
    if fmt == "xlsx":
        served, ours = _cells(response.content), _cells(cli)
        assert json.loads(
            normalise_times(json.dumps(served, default=str, ensure_ascii=False).encode())
        ) == json.loads(normalise_times(json.dumps(ours, default=str, ensure_ascii=False).encode()))
    else:
        served, ours = normalise_times(response.content), normalise_times(cli)
        if fmt == "html":  # chart element ids are numbered per process (jh1-, jh2- …)
            served, ours = (re.sub(rb"jh\d+-", b"jh-", x) for x in (served, ours))
        assert served == ours


def test_curl_acceptance_same_verdict_failures_and_schools_as_the_cli(client, folder):
    done = _cli(
        folder,
        "evaluate",
        "schools.json",
        "--county",
        "county.json",
        "--ruleset",
        RULESET,
        "-o",
        "cli.json",
    )
    cli = json.loads((folder / "cli.json").read_bytes())
    curl = (
        subprocess.run(
            [
                "curl",
                "-sS",
                "-F",
                f"ruleset={RULESET}",
                "-F",
                "schools=@schools.json",
                "-F",
                "county=@county.json",
                f"{client.base_url}/v1/evaluate",
            ],
            cwd=folder,
            capture_output=True,
        )
        if _has_curl()
        else None
    )
    served = (
        json.loads(curl.stdout)
        if curl
        else client.post(
            "/v1/evaluate",
            data={"ruleset": RULESET},
            files=_files(folder, "schools.json", "county.json"),
        ).json()
    )
    assert done.returncode == 1
    for ours, theirs in zip(cli["counties"], served["counties"], strict=True):
        assert ours["passed"] == theirs["passed"] is False
        assert ours["failed_criteria"] == theirs["failed_criteria"] and ours["failed_criteria"]

    def failing(doc):
        return sorted((s["id"], s["stage"]) for s in doc["schools"] if s["passed"] is False)

    assert failing(served) == failing(cli) and failing(cli)


def _has_curl() -> bool:
    import shutil

    return shutil.which("curl") is not None


def _flat(record: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return value


def test_upload_gb18030_csv_and_openpyxl_xlsx_evaluate_as_the_json(client, sample_records, engine):
    schools, county = sample_records
    rows = [_flat(s) for s in schools]
    paths = list(dict.fromkeys(k for r in rows for k in r))
    titles = {f.path: f.title for f in engine.registry.school_fields}
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([titles[p] for p in paths])  # Chinese headers
    for r in rows:
        writer.writerow([_cell(r.get(p)) for p in paths])
    gb18030 = buffer.getvalue().encode("gb18030")
    county_json = json.dumps(county, ensure_ascii=False).encode()

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(paths)  # English field paths as headers
    for r in rows:
        sheet.append([r.get(p) for p in paths])
    xlsx = io.BytesIO()
    book.save(xlsx)

    expected = client.post(
        "/v1/evaluate", content=_body(schools, county), headers=JSON_HEADERS
    ).json()
    for name, data in (("学校.csv", gb18030), ("学校.xlsx", xlsx.getvalue())):
        response = client.post(
            "/v1/evaluate",
            data={"ruleset": RULESET},
            files={"schools": (name, data), "county": ("county.json", county_json)},
        )
        assert response.status_code == 200, response.text
        doc = response.json()
        assert doc["provenance"]["inputs"]["schools"]["file"] == name
        assert doc["counties"] == expected["counties"] and doc["schools"] == expected["schools"]


def test_upload_validation_lists_the_cli_issues(client, folder):
    (folder / "bad.csv").write_bytes(ACCEPTANCE_CSV.encode("gb18030"))
    done = _cli(folder, "validate", "bad.csv", "--format", "json")
    assert done.returncode == 2
    cli = json.loads(done.stdout)
    response = client.post(
        "/v1/validate", files={"schools": ("bad.csv", ACCEPTANCE_CSV.encode("gb18030"))}
    )
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["valid"] is False
    assert {k: doc[k] for k in ("errors", "warnings", "issues")} == cli
    bad = {"schools": ("bad.csv", ACCEPTANCE_CSV.encode("gb18030"))}
    doc = _problem(client.post("/v1/evaluate", data={"ruleset": RULESET}, files=bad), 422)
    assert doc["issues"] == cli["issues"] and doc["errors"] == 3


def test_negative_count_and_duplicate_id_are_422_with_two_located_issues(client, sample_records):
    schools, county = copy.deepcopy(sample_records)
    plain = [
        i
        for i, s in enumerate(schools)
        if s["school_type"] == "primary" and s["central_school_id"] is None
    ]
    a, b = plain[1], plain[2]
    schools[a]["primary"]["students"] = -40
    referenced = {s["central_school_id"] for s in schools}
    assert schools[b]["id"] not in referenced
    schools[b]["id"] = schools[0]["id"]
    doc = _problem(
        client.post("/v1/evaluate", content=_body(schools, county), headers=JSON_HEADERS), 422
    )
    issues = sorted(doc["issues"], key=lambda i: i["code"])
    assert [(i["code"], i["row"], i["record_id"], i["field"]) for i in issues] == [
        ("duplicate_id", b + 1, schools[0]["id"], "id"),
        ("schema.minimum", a + 1, schools[a]["id"], "primary.students"),
    ]
    assert issues[1]["found"] == -40 and issues[1]["expected"] is not None
    assert all(i["severity"] == "error" and i["message"] for i in issues)
    assert doc["errors"] == 2 and doc["warnings"] == len(doc["warning_issues"])
    assert all(i["severity"] == "warning" for i in doc["warning_issues"])
    valid = client.post("/v1/validate", content=_body(schools, county), headers=JSON_HEADERS).json()
    assert valid["valid"] is False and valid["errors"] == 2
    assert [i for i in valid["issues"] if i["severity"] == "error"] == doc["issues"]


def test_bad_requests_are_400_415_never_500(client, sample_records):
    schools, county = sample_records
    _problem(client.post("/v1/evaluate", content=b'{"ruleset": ', headers=JSON_HEADERS), 400)
    _problem(client.post("/v1/evaluate", content=b"[1, 2]", headers=JSON_HEADERS), 400)
    doc = _problem(
        client.post(
            "/v1/evaluate", content=b'{"ruleset": "x", "school": []}', headers=JSON_HEADERS
        ),
        400,
    )
    assert {(i["code"], i["field"]) for i in doc["issues"]} == {
        ("request.unknown_key", "school"),
        ("request.type", "schools"),
    }
    _problem(
        client.post("/v1/evaluate", content=_body(schools, county, 7), headers=JSON_HEADERS), 400
    )
    _problem(
        client.post(
            "/v1/evaluate",
            params={"format": "pdf"},
            content=_body(schools, county),
            headers=JSON_HEADERS,
        ),
        400,
    )
    _problem(client.post("/v1/evaluate", data={"ruleset": RULESET}), 415)  # form without files
    _problem(
        client.post("/v1/evaluate", data={"ruleset": RULESET}, files={"other": ("x.json", b"[]")}),
        400,
    )
    doc = _problem(
        client.post("/v1/evaluate", content=b"<xml/>", headers={"content-type": "application/xml"}),
        415,
    )
    assert "application/json" in doc["detail"]
    _problem(client.post("/v1/evaluate", content=b"{}"), 415)
    # records that are not objects, a county that is junk: located issues, not a crash
    doc = _problem(
        client.post(
            "/v1/evaluate", content=_body([1, "x", None], {"county_code": 5}), headers=JSON_HEADERS
        ),
        422,
    )
    assert {i["row"] for i in doc["issues"] if i["code"] == "schema.type"} >= {1, 2, 3}
    broken = client.post(
        "/v1/evaluate",
        data={"ruleset": RULESET},
        files={"schools": ("s.xlsx", b"PK\x03\x04 not a zip")},
    )
    assert _problem(broken, 422)["issues"][0]["file"] == "s.xlsx"
    odd = client.post(
        "/v1/evaluate", data={"ruleset": RULESET}, files={"schools": ("../../etc/passwd", b"[]")}
    )
    assert _problem(odd, 422)["issues"][0]["file"] == "passwd"


def test_explain_a_school_and_a_county_as_the_cli(client, folder, sample_records):
    schools, county = sample_records
    for target, extra in (
        (["360199-024", "schools.json"], {"school_id": "360199-024"}),
        (["--county-code", "360199", "schools.json"], {"county_code": "360199"}),
    ):
        done = _cli(
            folder,
            "explain",
            *target,
            "--county",
            "county.json",
            "--ruleset",
            RULESET,
            "--format",
            "json",
        )
        assert done.returncode == 1, done.stderr
        response = client.post(
            "/v1/explain", content=_body(schools, county, **extra), headers=JSON_HEADERS
        )
        assert response.status_code == 200, response.text
        assert response.json() == json.loads(done.stdout)
    doc = _problem(
        client.post(
            "/v1/explain", content=_body(schools, county, school_id="nope"), headers=JSON_HEADERS
        ),
        422,
    )
    assert doc["issues"][0]["code"] == "unknown_school" and doc["issues"][0]["found"] == "nope"
    _problem(client.post("/v1/explain", content=_body(schools, county), headers=JSON_HEADERS), 400)
    response = client.post(
        "/v1/explain",
        data={"ruleset": RULESET, "county_code": "360199"},
        files=_files(folder, "schools.json", "county.json"),
    )
    assert response.status_code == 200 and response.json()["passed"] is False


def test_plan_is_the_cli_plan(client, folder, sample_records):
    schools, county = sample_records
    body = json.dumps({"ruleset": RULESET, "schools": schools, "county": county}).encode()
    response = client.post("/v1/plan", content=body, headers=JSON_HEADERS)
    assert response.status_code == 200, response.text
    assert response.headers["x-junheng-passed"] == "true"  # every school criterion after it
    got = response.json()
    done = _cli(
        folder,
        "plan",
        "schools.json",
        "--county",
        "county.json",
        "--ruleset",
        RULESET,
        "-o",
        "plan.json",
    )
    assert done.returncode == 0, done.stderr
    want = json.loads((folder / "plan.json").read_text("utf-8"))
    assert got["counties"] == want["counties"]
    xlsx = client.post("/v1/plan", params={"format": "xlsx"}, content=body, headers=JSON_HEADERS)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert "整改方案" in openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames
    _problem(
        client.post("/v1/plan", params={"format": "pdf"}, content=body, headers=JSON_HEADERS), 400
    )
    bad = json.dumps({"ruleset": RULESET, "schools": [{"id": "x"}]}).encode()
    assert _problem(client.post("/v1/plan", content=bad, headers=JSON_HEADERS), 422)["issues"]


def test_60_mb_body_is_413_before_it_is_parsed(client, server):
    big = (
        b'{"ruleset": "' + RULESET.encode() + b'", "schools": [' + b" " * (60 * 1024 * 1024) + b"]}"
    )
    doc = _problem(client.post("/v1/evaluate", content=big, headers=JSON_HEADERS), 413)
    assert doc["max_body_bytes"] == 50 * 1024 * 1024

    def chunks():  # no Content-Length: counted as it streams
        yield big[: 1024 * 1024]
        for _ in range(59):
            yield b" " * (1024 * 1024)

    _problem(client.post("/v1/validate", content=chunks(), headers=JSON_HEADERS), 413)
    with httpx.Client(base_url=server.url, timeout=60) as fresh:
        files = {"schools": ("s.json", b"[" + b" " * (51 * 1024 * 1024) + b"]")}
        _problem(fresh.post("/v1/evaluate", data={"ruleset": RULESET}, files=files), 413)
        assert fresh.get("/healthz").status_code == 200


def test_nothing_a_request_sends_is_left_on_disk(client, folder, server):
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("junheng-serve-*"))
    response = client.post(
        "/v1/evaluate",
        data={"ruleset": RULESET},
        files=_files(folder, "schools.json", "county.json"),
    )
    assert response.status_code == 200
    assert set(Path(tempfile.gettempdir()).glob("junheng-serve-*")) == before
    assert not list(folder.glob("junheng-serve-*"))


def test_50_concurrent_evaluations_identical_while_healthz_answers(server, sample_records):
    body = _body(*sample_records)

    async def run():
        async with httpx.AsyncClient(
            base_url=server.url, timeout=120, limits=httpx.Limits(max_connections=60)
        ) as c:
            done = asyncio.Event()
            health = []

            async def probe():
                while not done.is_set():
                    r = await c.get("/healthz")
                    health.append((r.status_code, r.json()["queue"]))
                    await asyncio.sleep(0.01)

            async def one():
                return await c.post("/v1/evaluate", content=body, headers=JSON_HEADERS)

            prober = asyncio.create_task(probe())
            answers = await asyncio.gather(*(one() for _ in range(50)))
            done.set()
            await prober
            return answers, health

    answers, health = asyncio.run(run())
    assert [r.status_code for r in answers] == [200] * 50
    reports = {json.dumps(_without_times(r.json()), sort_keys=True) for r in answers}
    assert len(reports) == 1
    assert all(status == 200 for status, _ in health)
    busy = [q for _, q in health if q["running"] or q["waiting"]]
    assert busy, health  # healthz answered while evaluations were running or queued
