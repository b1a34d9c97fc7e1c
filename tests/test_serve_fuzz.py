"""Property-based fuzzing of ``junheng serve`` with schemathesis, against its own /openapi.json.

Every operation of the document, requests generated from its schemas (the project's
school, county and report schemas among them): no response may be a server error, and
every response must be documented — its status, its content type, its headers — and
valid against its schema. The example count is kept small for CI
(``JUNHENG_FUZZ_EXAMPLES`` raises it for a longer local run).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from servers import start

EXAMPLES = int(os.environ.get("JUNHENG_FUZZ_EXAMPLES", "12"))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = start(tmp_path_factory.mktemp("fuzz"))
    yield server
    assert server.stop() == 0
    assert "Traceback" not in server.output(), server.output()


import junheng  # noqa: E402
from junheng.serve.openapi import openapi_document  # noqa: E402

# the document the server serves (checked below), built in process so that each
# operation is collected as its own test
DOCUMENT = openapi_document(junheng.Engine())
schema = schemathesis.openapi.from_dict(DOCUMENT)


def test_the_fuzzed_document_is_the_served_one(served):
    import httpx

    assert httpx.get(served.url + "/openapi.json").json() == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)
def test_every_operation_answers_as_documented(case, served):
    case.call_and_validate(
        base_url=served.url,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
        timeout=60,
    )
