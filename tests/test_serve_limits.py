"""``junheng serve`` limits and lifecycle over real HTTP: the API key, the bounded queue and the
time limit (503 with Retry-After), SIGTERM with a request in flight, several workers, the
missing-extra message, and the edge that answers a bug with 500 内部错误 and no traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import httpx
import pytest
from conftest import county_copy
from servers import start

RULESET = "national.quality.2017"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def body(engine):
    schools, county = engine.sample()
    return json.dumps({"ruleset": RULESET, "schools": schools, "county": county}).encode()


def _wait_for(url: str, predicate, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = httpx.get(url + "/healthz", timeout=5).json()
        if predicate(doc):
            return doc
        time.sleep(0.005)
    raise AssertionError(f"healthz never satisfied the condition: {doc}")


def test_api_key_is_required_when_configured(tmp_path, body):
    (tmp_path / "keys").write_text("# rotated monthly\nold-key-123\n\nnew-key-456\n")
    server = start(tmp_path, "--api-key-file", "keys")
    try:
        url = server.url
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"X-API-Key": "new-key-45"},
            {"Authorization": "Basic new-key-456"},
        ):
            response = httpx.post(url + "/v1/evaluate", content=body, headers={**JSON, **headers})
            assert response.status_code == 401, headers
            assert response.headers["content-type"] == "application/problem+json"
            assert response.headers["www-authenticate"].startswith("Bearer")
        assert httpx.get(url + "/openapi.json").status_code == 401
        assert httpx.get(url + "/v1/rulesets").status_code == 401
        assert httpx.get(url + "/healthz").status_code == 200  # open for load balancers
        ok = httpx.post(
            url + "/v1/evaluate",
            content=body,
            headers={**JSON, "Authorization": "Bearer new-key-456"},
        )
        assert ok.status_code == 200
        ok = httpx.get(url + "/v1/rulesets", headers={"X-API-Key": "old-key-123"})
        assert ok.status_code == 200
        doc = httpx.get(url + "/openapi.json", headers={"X-API-Key": "old-key-123"}).json()
        assert doc["security"] == [{"bearer": []}, {"apiKey": []}]
        assert "401" in doc["paths"]["/v1/evaluate"]["post"]["responses"]
        assert "new-key" not in server.output() and "old-key" not in server.output()
    finally:
        assert server.stop() == 0


def test_an_unreadable_key_file_is_refused_at_start(run_cli, tmp_path):
    (tmp_path / "empty").write_text("\n# nothing\n")
    done = run_cli("serve", "--api-key-file", "empty", "--port", "1")
    assert done.returncode == 2 and "没有密钥" in done.stderr
    done = run_cli("serve", "--api-key-file", "absent")
    assert done.returncode == 2 and "无法读取 API 密钥文件" in done.stderr
    done = run_cli("serve", "--max-body-mb", "-1")
    assert done.returncode == 2 and "应为正数" in done.stderr


def test_a_full_queue_and_the_time_limit_answer_503_with_retry_after(tmp_path, body, slow_body):
    server = start(tmp_path, "--queue", "1", "--time-limit", "0.2")
    try:
        url = server.url
        slow: dict = {}

        def html():  # a batch of 301 counties: well past 0.2 s
            slow["response"] = httpx.post(
                url + "/v1/evaluate",
                params={"format": "html"},
                content=slow_body,
                headers=JSON,
                timeout=60,
            )

        thread = threading.Thread(target=html)
        thread.start()
        _wait_for(url, lambda d: d["queue"]["running"] == 1)
        busy = httpx.post(url + "/v1/evaluate", content=body, headers=JSON, timeout=60)
        assert (
            busy.status_code == 503 and busy.headers["content-type"] == "application/problem+json"
        )
        assert int(busy.headers["retry-after"]) >= 1 and busy.json()["type"].endswith("/busy")
        assert httpx.get(url + "/healthz").status_code == 200
        thread.join(60)
        late = slow["response"]
        assert late.status_code == 503 and late.json()["type"].endswith("/time-limit")
        assert int(late.headers["retry-after"]) >= 1
        # the slot is free again once the evaluation that ran past the limit has ended
        _wait_for(url, lambda d: d["queue"]["running"] == 0 and d["queue"]["waiting"] == 0)
        assert (
            httpx.post(url + "/v1/evaluate", content=body, headers=JSON, timeout=60).status_code
            == 200
        )
    finally:
        assert server.stop() == 0
    assert "Traceback" not in server.output()


@pytest.fixture(scope="module")
def slow_body(engine):
    """A province's batch of 301 counties (the sample's 45 schools each, 22 MB): a request
    that takes a while on any machine — load, evaluate and the HTML report, about 1 s
    here — so it is surely in flight when SIGTERM is sent or the time limit passes (the
    sample alone takes a few milliseconds). With 2 workers /healthz is answered by
    either; polled every few milliseconds, the busy one answers long before the end."""
    schools, county = engine.sample()
    counties = [county]
    for k in range(300):
        more, record = county_copy(schools[:45], county, str(370000 + k), f"测试{k}县")
        schools, counties = schools + more, [*counties, record]
    return json.dumps({"ruleset": RULESET, "schools": schools, "county": counties}).encode()


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_lets_the_request_in_flight_finish(tmp_path, slow_body, workers):
    server = start(tmp_path, "--workers", str(workers))
    answer: dict = {}

    def html():
        answer["response"] = httpx.post(
            server.url + "/v1/evaluate",
            params={"format": "html"},
            content=slow_body,
            headers=JSON,
            timeout=120,
        )

    thread = threading.Thread(target=html)
    thread.start()
    try:
        # the request is in flight in one of the workers: wait until some worker says so.
        # With 2 workers the idle one may answer every /healthz (the busy one's event loop
        # is parsing the body): 0.3 s after sending, the request is surely in a worker
        # (its 22 MB cross loopback in milliseconds) and far from done (about 1.5 s here)
        started = time.monotonic()
        while time.monotonic() < started + 30 and "response" not in answer:
            if httpx.get(server.url + "/healthz").json()["queue"]["running"]:
                break
            if workers > 1 and time.monotonic() > started + 0.3:
                break
        assert "response" not in answer, "the request finished before SIGTERM could be sent"
        assert server.stop() == 0, server.output()
    finally:
        thread.join(120)
    response = answer["response"]
    assert response.status_code == 200 and b"</html>" in response.content
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/healthz")
    log = server.output()
    assert "Traceback" not in log and "Finished server process" in log


def test_the_missing_extra_is_named_in_chinese(tmp_path):
    code = (
        "import sys; sys.modules['uvicorn'] = None; sys.modules['starlette'] = None\n"
        "from junheng.cli import main; sys.exit(main(['serve']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 2
    assert "pip install 'junheng[serve]'" in done.stderr and "starlette" in done.stderr
    assert "可选依赖" in done.stderr and "Traceback" not in done.stderr


def test_a_bug_is_500_internal_error_without_a_traceback(caplog):
    """The edge around the application, with an application that fails the way a bug does
    (the served application has no way to fail on purpose)."""
    import asyncio

    from junheng.serve.app import Edge

    async def broken(scope, receive, send):
        raise ZeroDivisionError("secret internals")

    async def call():
        transport = httpx.ASGITransport(app=Edge(broken))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post("/v1/evaluate", content=b"{}")

    with caplog.at_level("ERROR", logger="junheng.serve"):
        response = asyncio.run(call())
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    doc = response.json()
    assert "内部错误" in doc["detail"] and "secret" not in response.text
    assert "Traceback" not in response.text and "ZeroDivisionError" not in response.text
    assert "ZeroDivisionError" in caplog.text  # the server's log has it
