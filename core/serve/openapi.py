"""The OpenAPI 3.1 document of the service, built from the project's own JSON Schemas.

The request and response bodies are not models copied by hand: ``School`` and
``County`` are the engine's record schemas (``schemas/school.schema.json`` and
``schemas/county.schema.json`` extended with every installed province's fields,
``engine.registry``), ``Report`` is ``schemas/report.schema.json``, and a data issue
is that schema's ``$defs/data_issue``. Each is embedded whole under
``components/schemas`` with its internal ``$ref`` s re-pointed there (OpenAPI 3.1
schemas are JSON Schema 2020-12, so nothing else changes). The ruleset ids and the
report formats are the engine's own, so the document describes this very server.

It is longer than the others: the document is one declarative literal (every path,
parameter, response and the service's own small schemas), read best in one place.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

from junheng import Engine, __version__

from .problems import MEDIA_TYPE as PROBLEM

__all__ = ["openapi_document"]

_JSON = "application/json"
_MULTIPART = "multipart/form-data"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _embedded(schema: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A JSON Schema document as a component: ``$id`` / ``$schema`` dropped, every
    internal ``$ref`` (``#/$defs/x``) re-pointed at ``#/components/schemas/NAME/$defs/x``."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value.startswith("#/"):
                    out[key] = f"#/components/schemas/{name}/{value[2:]}"
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    doc = walk(copy.deepcopy(dict(schema)))
    doc.pop("$id", None)
    doc.pop("$schema", None)
    return doc


def _report_schema() -> dict[str, Any]:
    text = resources.files("junheng.schemas").joinpath("report.schema.json").read_text("utf-8")
    return json.loads(text)


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": _ref("Problem")}}}


_ERRORS = {
    "400": "请求无法读取：JSON 不合法、multipart 损坏、缺少或类型错误的键 (bad request)",
    "401": "缺少或错误的 API 密钥（服务以 --api-key-file 启动时）",
    "404": "未知的规则集 (unknown ruleset)",
    "413": "请求体超过 --max-body-mb (content too large)",
    "415": "不支持的请求媒体类型 (unsupported media type)",
    "422": "数据有错误：issues 列出每个问题（文件、行、学校、字段、实际、期望）",
    "500": "内部错误（junheng 或插件的缺陷，不是数据的问题）",
    "503": "队列已满或超过处理时限；见 Retry-After",
}


def _responses(ok: Mapping[str, Any], *codes: str) -> dict[str, Any]:
    out = {"200": dict(ok)}
    for code in codes:
        out[code] = _problem_response(_ERRORS[code])
    out["500"] = _problem_response(_ERRORS["500"])
    return out


def _data_request(
    ruleset_ids: list[str], *, ruleset_required: bool, explain: bool
) -> dict[str, Any]:
    """The JSON envelope and its multipart twin."""
    ruleset = {
        "type": "string",
        "enum": ruleset_ids,
        "title": "规则集编号",
        "description": "An installed ruleset id (GET /v1/rulesets); any other id is answered 404.",
    }
    county = {
        "title": "县域数据",
        "description": "One county record, a list of them (one per county in `schools`), or null.",
        "anyOf": [_ref("County"), {"type": "array", "items": _ref("County")}, {"type": "null"}],
    }
    props: dict[str, Any] = {
        "ruleset": ruleset if ruleset_required else {"anyOf": [ruleset, {"type": "null"}]},
        "schools": {"type": "array", "items": _ref("School"), "title": "学校数据"},
        "county": county,
    }
    form: dict[str, Any] = {
        "ruleset": ruleset,
        "schools": {
            "type": "string",
            "format": "binary",
            "description": "The school file: .json, .csv (UTF-8, UTF-8 with BOM, GB18030) or .xlsx, by its file name's extension.",
        },
        "county": {
            "type": "string",
            "format": "binary",
            "description": "The county file (.json, .csv, .xlsx).",
        },
    }
    required = ["ruleset", "schools"] if ruleset_required else ["schools"]
    explain_props: dict[str, Any] = {}
    if explain:
        explain_props = {
            "school_id": {
                "type": "string",
                "title": "学校标识码",
                "description": "Explain this school (or give county_code).",
            },
            "county_code": {
                "type": "string",
                "title": "县级行政区划代码",
                "description": "Explain this county (or give school_id).",
            },
            "stage": {
                "type": "string",
                "enum": ["primary", "junior"],
                "title": "学段",
                "description": "Only this stage of the school.",
            },
        }
    body = {
        "type": "object",
        "properties": {**props, **explain_props},
        "required": required,
        "additionalProperties": False,
    }
    upload = {
        "type": "object",
        "properties": {**form, **explain_props},
        "required": required,
        "additionalProperties": False,
    }
    if explain:
        # exactly one of them: both present match both branches, which oneOf refuses
        one_of = [{"required": ["school_id"]}, {"required": ["county_code"]}]
        body["oneOf"] = one_of
        upload["oneOf"] = copy.deepcopy(one_of)
    return {
        "required": True,
        "content": {
            _JSON: {"schema": body},
            _MULTIPART: {
                "schema": upload,
                "encoding": {
                    "schools": {
                        "contentType": "application/json, text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/octet-stream"
                    },
                    "county": {
                        "contentType": "application/json, text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, application/octet-stream"
                    },
                },
            },
        },
    }


def _components(engine: Engine) -> dict[str, Any]:
    report = _embedded(_report_schema(), "Report")
    nullable_str = {"type": ["string", "null"]}
    origin = {
        "type": "object",
        "properties": {"ruleset": nullable_str, "file": nullable_str},
        "required": ["ruleset", "file"],
        "description": "The ruleset (and its file's name) that gave the value.",
    }
    return {
        "School": _embedded(engine.registry.school_schema, "School"),
        "County": _embedded(engine.registry.county_schema, "County"),
        "Report": report,
        "Issue": {"$ref": "#/components/schemas/Report/$defs/data_issue"},
        "Problem": {
            "type": "object",
            "title": "错误 (RFC 9457 problem details)",
            "properties": {
                "type": {"type": "string", "format": "uri"},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "detail": {"type": "string"},
                "instance": {"type": "string"},
                "issues": {
                    "type": "array",
                    "items": _ref("Issue"),
                    "description": "every located error",
                },
                "warning_issues": {
                    "type": "array",
                    "items": _ref("Issue"),
                    "description": "the warnings that came with them",
                },
                "errors": {"type": "integer", "minimum": 0},
                "warnings": {"type": "integer", "minimum": 0},
            },
            "required": [
                "type",
                "title",
                "status",
                "detail",
                "issues",
                "warning_issues",
                "errors",
                "warnings",
            ],
        },
        "ValidateResult": {
            "type": "object",
            "title": "校验结果（与 junheng validate --format json 相同，另加 valid）",
            "properties": {
                "valid": {"type": "boolean"},
                "errors": {"type": "integer", "minimum": 0},
                "warnings": {"type": "integer", "minimum": 0},
                "issues": {"type": "array", "items": _ref("Issue")},
            },
            "required": ["valid", "errors", "warnings", "issues"],
            "additionalProperties": False,
        },
        "Health": {
            "type": "object",
            "properties": {
                "status": {"const": "ok"},
                "engine": {"const": "junheng"},
                "version": {"type": "string"},
                "pid": {"type": "integer"},
                "plugins": {"type": "array", "items": {"type": "string"}},
                "plugin_problems": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"plugin": {"type": "string"}, "message": {"type": "string"}},
                        "required": ["plugin", "message"],
                    },
                },
                "rulesets": {"type": "integer", "minimum": 0},
                "queue": {
                    "type": "object",
                    "properties": {
                        k: {"type": "integer", "minimum": 0}
                        for k in ("running", "waiting", "capacity", "threads")
                    },
                    "required": ["running", "waiting", "capacity", "threads"],
                },
            },
            "required": ["status", "engine", "version", "plugins", "plugin_problems", "queue"],
        },
        "RulesetList": {
            "type": "object",
            "properties": {
                "rulesets": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "string"},
                            "title": {"type": "string"},
                            "basis": {"type": "string"},
                            "source": {"type": "string"},
                            "extends": nullable_str,
                            "plugin": {"type": "string"},
                            "file": {"type": "string"},
                            "unverified": {"type": ["integer", "null"], "minimum": 0},
                            "problems": {"type": "array", "items": {"type": "string"}},
                        },
                        "required": ["id", "title", "plugin", "unverified"],
                    },
                }
            },
            "required": ["rulesets"],
        },
        "RulesetDetail": {
            "type": "object",
            "title": "规则集（继承已合并，每个值注明来源）",
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "version": {"type": "string"},
                "source": {"type": "string"},
                "basis": {"type": "string"},
                "extends": nullable_str,
                "lineage": {"type": "array", "items": {"type": "string"}},
                "effective_year": {"type": ["integer", "null"]},
                "stages": {"type": "array", "items": {"type": "string"}},
                "files": {"type": "array", "items": origin},
                "unverified": {"type": "integer", "minimum": 0},
                "documents": {
                    "type": "object",
                    "title": "依据文件（规则以 document 引用）",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {
                            k: {"type": "string"}
                            for k in (
                                "issuer",
                                "title",
                                "number",
                                "date",
                                "kind",
                                "citation",
                                "repository_source",
                                "url",
                                "note",
                            )
                        },
                        "required": ["issuer", "title", "kind", "citation"],
                    },
                },
                "rules": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "table": {
                                "enum": [
                                    "parameters",
                                    "indicators",
                                    "school_rules",
                                    "county_items",
                                    "multi_year",
                                    "vetoes",
                                    "score",
                                ]
                            },
                            "id": {"type": "string"},
                            "title": {"type": "string"},
                            "source": {"type": "string"},
                            "document": nullable_str,
                            "clause": nullable_str,
                            "unverified": {"type": "boolean"},
                            "owner": nullable_str,
                            "note": nullable_str,
                            "origin": origin,
                            "values": {
                                "type": "object",
                                "additionalProperties": {
                                    "type": "object",
                                    "properties": {"value": {}, "origin": origin},
                                    "required": ["value", "origin"],
                                },
                            },
                        },
                        "required": [
                            "table",
                            "id",
                            "title",
                            "source",
                            "unverified",
                            "origin",
                            "values",
                        ],
                    },
                },
            },
            "required": ["id", "title", "version", "source", "lineage", "rules"],
        },
        "Explanation": {
            "type": "object",
            "title": "评估过程说明（与 junheng explain --format json 相同）",
            "description": "A school's chain (`units`, one per stage, each with `steps`) or a county's (`passed`, `steps`); every step has the rule, the formula, the formula with the recorded numbers substituted, the requirement, the result and the source clause.",
            "properties": {
                "subject": {"enum": ["school", "county"]},
                "ruleset": {"type": "object"},
                "units": {"type": "array", "items": {"type": "object"}},
                "steps": {"type": "array", "items": {"type": "object"}},
                "passed": {"type": ["boolean", "null"]},
            },
            "required": ["subject", "ruleset"],
        },
    }


def openapi_document(engine: Engine, *, api_key: bool = False) -> dict[str, Any]:
    """The OpenAPI 3.1 document of a server running ``engine`` (``api_key``: one is required)."""
    ids = engine.ruleset_ids()
    writers = {k: w for k, w in engine.registry.writers.items() if w.files is None}
    formats = list(writers)
    report_content: dict[str, Any] = {}
    for fmt, writer in writers.items():
        media = writer.media_type.split(";")[0].strip()
        if fmt == "json":
            report_content[media] = {"schema": _ref("Report")}
        else:
            report_content.setdefault(media, {"schema": {"type": "string", "format": "binary"}})
    disposition = {
        "Content-Disposition": {
            "description": "attachment (xlsx) or inline, with an ASCII filename and the Chinese one as RFC 5987 filename*.",
            "schema": {"type": "string"},
        },
        "X-Junheng-Passed": {
            "description": "true when every county passes.",
            "schema": {"enum": ["true", "false"]},
        },
    }
    fmt_param = {
        "name": "format",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": formats, "default": "json"},
        "description": "Report format: the bytes `junheng evaluate --format FORMAT` writes.",
    }
    busy = ("400", "404", "413", "415", "422", "503")
    paths: dict[str, Any] = {
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "存活检查：引擎版本、插件问题、队列 (liveness)",
                "security": [],
                "responses": {
                    "200": {"description": "alive", "content": {_JSON: {"schema": _ref("Health")}}}
                },
            }
        },
        "/v1/rulesets": {
            "get": {
                "operationId": "listRulesets",
                "summary": "全部规则集 (every installed ruleset)",
                "responses": _responses(
                    {"description": "rulesets", "content": {_JSON: {"schema": _ref("RulesetList")}}}
                ),
            }
        },
        "/v1/rulesets/{id}": {
            "get": {
                "operationId": "getRuleset",
                "summary": "一个规则集，继承合并，每个值注明来源 (resolved, with each value's origin)",
                "parameters": [
                    {
                        "name": "id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": ids},
                    }
                ],
                "responses": _responses(
                    {
                        "description": "the resolved ruleset",
                        "content": {_JSON: {"schema": _ref("RulesetDetail")}},
                    },
                    "404",
                ),
            }
        },
        "/v1/validate": {
            "post": {
                "operationId": "validate",
                "summary": "校验数据，列出全部问题 (validate; 200 even when the data have errors)",
                "requestBody": _data_request(ids, ruleset_required=False, explain=False),
                "responses": _responses(
                    {
                        "description": "every issue, as junheng validate --format json",
                        "content": {_JSON: {"schema": _ref("ValidateResult")}},
                    },
                    "400",
                    "404",
                    "413",
                    "415",
                    "503",
                ),
            }
        },
        "/v1/evaluate": {
            "post": {
                "operationId": "evaluate",
                "summary": "评估并返回报告 (evaluate; the report in ?format=)",
                "parameters": [fmt_param],
                "requestBody": _data_request(ids, ruleset_required=True, explain=False),
                "responses": _responses(
                    {
                        "description": "the report",
                        "headers": disposition,
                        "content": report_content,
                    },
                    *busy,
                ),
            }
        },
        "/v1/explain": {
            "post": {
                "operationId": "explain",
                "summary": "一所学校或一个县的评估过程 (explain a school or a county)",
                "requestBody": _data_request(ids, ruleset_required=True, explain=True),
                "responses": _responses(
                    {
                        "description": "the reasoning chain",
                        "content": {_JSON: {"schema": _ref("Explanation")}},
                    },
                    *busy,
                ),
            }
        },
        "/v1/plan": {
            "post": {
                "operationId": "plan",
                "summary": "整改方案：达标所需的最少投入 (the least-cost plan; junheng plan)",
                "description": "The evaluate bodies; the plan in ?format= (json: `$defs/plan` of the report schema). The default unit costs (docs/plan.md); X-Junheng-Passed says whether every school-based criterion passes after the plan.",
                "parameters": [
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "string",
                            "enum": ["json", "xlsx", "html", "md"],
                            "default": "json",
                        },
                    }
                ],
                "requestBody": _data_request(ids, ruleset_required=True, explain=False),
                "responses": _responses(
                    {
                        "description": "the plan",
                        "headers": disposition,
                        "content": {
                            _JSON: {"schema": {"$ref": "#/components/schemas/Report/$defs/plan"}},
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                "schema": {"type": "string", "format": "binary"}
                            },
                            "text/html": {"schema": {"type": "string"}},
                            "text/markdown": {"schema": {"type": "string"}},
                        },
                    },
                    *busy,
                ),
            }
        },
        "/v1/templates/{ruleset}": {
            "get": {
                "operationId": "template",
                "summary": "数据采集模板 (data-collection template)",
                "description": "kind=schools: the school template with the fields this ruleset needs (junheng template --ruleset); kind=county: the county data template with its score sheet (junheng template --county --ruleset), its finance rows for the years before ?year= (default: last year).",
                "parameters": [
                    {
                        "name": "ruleset",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": ids},
                    },
                    {
                        "name": "kind",
                        "in": "query",
                        "required": False,
                        "schema": {
                            "type": "string",
                            "enum": ["schools", "county"],
                            "default": "schools",
                        },
                    },
                    {
                        "name": "year",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 2000, "maximum": 2100},
                        "description": "kind=county: the evaluation year (default: last year).",
                    },
                    {
                        "name": "format",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["xlsx", "csv"], "default": "xlsx"},
                    },
                ],
                "responses": _responses(
                    {
                        "description": "the template",
                        "headers": {"Content-Disposition": disposition["Content-Disposition"]},
                        "content": {
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                                "schema": {"type": "string", "format": "binary"}
                            },
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    },
                    "400",
                    "404",
                ),
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "本文档 (this OpenAPI 3.1 document)",
                "responses": _responses(
                    {
                        "description": "OpenAPI 3.1",
                        "content": {
                            _JSON: {"schema": {"type": "object", "required": ["openapi", "paths"]}}
                        },
                    }
                ),
            }
        },
        "/docs": {
            "get": {
                "operationId": "docs",
                "summary": "离线接口文档页 (the offline docs page)",
                "responses": _responses(
                    {
                        "description": "a self-contained HTML page",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                ),
            }
        },
    }
    if api_key:
        for code in ("401",):
            for path, item in paths.items():
                if path != "/healthz":
                    for op in item.values():
                        op["responses"][code] = _problem_response(_ERRORS[code])
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "junheng 均衡 HTTP API",
            "version": __version__,
            "description": "县域义务教育均衡发展督导评估规则引擎的 HTTP 服务 (junheng serve)。Stateless: nothing a request sends is kept after the response. Errors are RFC 9457 application/problem+json with the located data issues. See docs/http.md.",
        },
        "paths": paths,
        "components": {
            "schemas": _components(engine),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Authorization: Bearer KEY",
                },
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
    }
    if api_key:
        doc["security"] = [{"bearer": []}, {"apiKey": []}]
    return doc
