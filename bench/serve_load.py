"""Load test of ``junheng serve`` (issue 15): N concurrent clients, a bounded number of requests.

    python bench/serve_load.py --clients 8 --requests 400 --workers 2

Starts ``junheng serve`` on a free 127.0.0.1 port (only loopback is ever addressed),
evaluates the sample county (``junheng sample``) with ``national.quality.2017`` from a
JSON body, and measures in the same run:

- ``startup_s``: from spawning ``junheng serve`` to the first ``/healthz`` answer;
- ``in_process_s``: the median of ``engine.load(records, county)`` + ``engine.evaluate``
  + ``render(report, "json")`` in this process — what an embedding Python program pays
  for the same answer (``evaluate_only_s``: ``engine.evaluate`` alone);
- a latency phase (one client, so no queueing): ``p50_s`` / ``p99_s`` and
  ``ratio_p50`` = p50 over ``in_process_s`` (target ≤ 2);
- a load phase (``--clients`` at once, ``--requests`` in all): throughput, p50 / p99,
  errors (must be 0), ``/healthz`` latency while it runs;
- the server's RSS (every process of it) before and after.

Every loop is bounded by its request count and a deadline; the server is stopped with
SIGTERM at the end. Prints a table and, as its last line, one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

import junheng
from junheng.outputs import render

RULESET = "national.quality.2017"
DEADLINE_S = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mib(pid: int) -> float:
    """Resident memory of ``pid`` and its children (uvicorn's workers), MiB."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    total = 0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _quantile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def _in_process(schools: list[dict], county: dict, runs: int) -> tuple[float, float]:
    engine = junheng.Engine()
    whole, alone = [], []
    for _ in range(runs + 3):
        started = time.perf_counter()
        inputs = engine.load(schools, county)
        report = engine.evaluate(RULESET, inputs)
        render(report, "json")
        whole.append(time.perf_counter() - started)
        started = time.perf_counter()
        engine.evaluate(RULESET, schools, county)
        alone.append(time.perf_counter() - started)
    return statistics.median(whole[3:]), statistics.median(alone[3:])


async def _load(url: str, body: bytes, clients: int, requests: int) -> dict[str, Any]:
    latencies: list[float] = []
    health: list[float] = []
    errors = 0
    left = requests
    done = asyncio.Event()
    deadline = time.monotonic() + DEADLINE_S
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(
        base_url=url, timeout=120, limits=httpx.Limits(max_connections=clients + 2)
    ) as client:

        async def worker() -> None:
            nonlocal left, errors
            while left > 0 and time.monotonic() < deadline:
                left -= 1
                started = time.perf_counter()
                try:
                    response = await client.post("/v1/evaluate", content=body, headers=headers)
                    ok = response.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += not ok

        async def probe() -> None:
            while not done.is_set() and time.monotonic() < deadline:
                started = time.perf_counter()
                await client.get("/healthz")
                health.append(time.perf_counter() - started)
                await asyncio.sleep(0.05)

        prober = asyncio.create_task(probe())
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        wall = time.perf_counter() - started
        done.set()
        await prober
    return {
        "requests": len(latencies),
        "errors": errors,
        "wall_s": round(wall, 3),
        "throughput_rps": round(len(latencies) / wall, 1),
        "p50_s": round(_quantile(latencies, 0.5), 4),
        "p99_s": round(_quantile(latencies, 0.99), 4),
        "healthz_p50_s": round(_quantile(health, 0.5), 4) if health else None,
        "healthz_max_s": round(max(health), 4) if health else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients in the load phase")
    ap.add_argument("--requests", type=int, default=400, help="requests in the load phase")
    ap.add_argument(
        "--latency-requests", type=int, default=100, help="requests of the one-client phase"
    )
    ap.add_argument("--workers", type=int, default=1, help="junheng serve --workers")
    args = ap.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="junheng-bench-"))
    script = Path(sys.executable).with_name("junheng")
    subprocess.run(
        [str(script), "sample", "--output", str(folder)], check=True, capture_output=True
    )
    schools = json.loads((folder / "schools.json").read_text("utf-8"))
    county = json.loads((folder / "county.json").read_text("utf-8"))
    body = json.dumps({"ruleset": RULESET, "schools": schools, "county": county}).encode()

    in_process_s, evaluate_only_s = _in_process(schools, county, runs=30)

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(folder / "server.log", "wb")
    spawned = time.perf_counter()
    proc = subprocess.Popen(
        [
            str(script),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--queue",
            str(max(64, args.clients * 2)),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        while True:
            if proc.poll() is not None or time.perf_counter() - spawned > 60:
                raise SystemExit(f"the server did not start: {(folder / 'server.log').read_text()}")
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.02)
        startup_s = time.perf_counter() - spawned
        if args.workers > 1:  # every worker up before measuring
            time.sleep(2)
        for _ in range(10):  # warm-up: the ruleset compiled, the caches filled
            httpx.post(
                url + "/v1/evaluate",
                content=body,
                headers={"content-type": "application/json"},
                timeout=60,
            )
        rss_before = _rss_mib(proc.pid)
        latency = asyncio.run(_load(url, body, 1, args.latency_requests))
        load = asyncio.run(_load(url, body, args.clients, args.requests))
        rss_after = _rss_mib(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(60)
        log.close()
    figures = {
        "schools": len(schools),
        "workers": args.workers,
        "cpus": os.cpu_count(),
        "startup_s": round(startup_s, 3),
        "in_process_s": round(in_process_s, 4),
        "evaluate_only_s": round(evaluate_only_s, 4),
        "latency_phase": latency,
        "ratio_p50": round(latency["p50_s"] / in_process_s, 2),
        "clients": args.clients,
        "load_phase": load,
        "ratio_p50_under_load": round(load["p50_s"] / in_process_s, 2),
        "rss_before_mib": round(rss_before, 1),
        "rss_after_mib": round(rss_after, 1),
        "server_exit": code,
    }
    print(
        f"sample county ({len(schools)} schools), {RULESET}, {args.workers} worker(s), {os.cpu_count()} CPUs"
    )
    print(f"  startup                       {startup_s:8.3f} s")
    print(
        f"  in process (load+eval+json)   {in_process_s * 1000:8.2f} ms   (evaluate alone {evaluate_only_s * 1000:.2f} ms)"
    )
    print(
        f"  HTTP, 1 client   p50 / p99    {latency['p50_s'] * 1000:8.2f} / {latency['p99_s'] * 1000:.2f} ms   ratio p50/in-process {figures['ratio_p50']}"
    )
    print(
        f"  HTTP, {args.clients} clients  p50 / p99    {load['p50_s'] * 1000:8.2f} / {load['p99_s'] * 1000:.2f} ms   {load['throughput_rps']} req/s, {load['errors']} errors of {load['requests']}"
    )
    print(
        f"  /healthz under load p50 / max {load['healthz_p50_s'] * 1000:8.2f} / {load['healthz_max_s'] * 1000:.2f} ms"
    )
    print(f"  server RSS before / after     {rss_before:8.1f} / {rss_after:.1f} MiB   exit {code}")
    print(json.dumps(figures))
    return 0 if load["errors"] == 0 and latency["errors"] == 0 and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
