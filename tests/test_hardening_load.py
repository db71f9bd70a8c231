"""200 concurrent requests over loopback against the real server.

Mixed routes (JSON, binary, frontend files, hostile and unknown values) on
the session's hardening logdir, 16 client threads, bounded in count and in
time. Every answer must be the one expected; the p95 latency is printed.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import time

import hardening_utils as hu
import pytest

pytestmark = pytest.mark.server

REQUESTS = 200
WORKERS = 16
TOTAL_SECONDS = 30
RUNS = ("images/explain", "tabular/explain", hu.HOSTILE_RUN)


@pytest.fixture(scope="module")
def server(tmp_path_factory, tensorboard_server):
    """The session's hardening server."""
    return hu.hardening_server(tmp_path_factory, tensorboard_server)[0]


def _mix() -> list[tuple[str, int]]:
    """``(path, expected status)`` in a fixed order, cycling over the runs."""
    requests = []
    methods = {"images/explain": "smoothgrad", "tabular/explain": "smoothgrad"}
    for index, run in zip(range(REQUESTS), itertools.cycle(RUNS)):
        method = methods.get(run, hu.HOSTILE_METHOD)
        sample, step = index % 4, (0, 5, 10)[index % 3]
        choices = (
            (hu.route_path("runs"), 200),
            (hu.route_path("run", run=run), 200),
            (hu.route_path("samples", run=run, step=step), 200),
            (hu.route_path("sample", run=run, sample=sample, step=step), 200),
            (hu.route_path("map", run=run, method=method, sample=sample), 200),
            (hu.route_path("map", run=run, method=method, sample=1, view="abs"), 200),
            (hu.route_path("input", run=run, sample=sample), 200),
            (hu.route_path("history", run=run, sample=sample), 200),
            (hu.route_path("global", run=run, method=method, step=step), 200),
            (hu.route_path("quality", run=run), 200),
            (hu.PREFIX + "index.js", 200),
            (hu.PREFIX + "static/api.js", 200),
            (hu.route_path("sample", run=run, sample="NaN"), 400),
            (hu.route_path("map", run=run, method="nope", sample=0), 404),
            (hu.PREFIX + "static/..%2f..%2fsetup.py", 404),
            (hu.route_path("samples", run=hu.BROKEN_RUNS["newer"]), 404),
        )
        requests.append(choices[(index * 7) % len(choices)])
    # Two reports among them: the slowest route, built concurrently.
    requests[3] = (hu.route_path("report", run=RUNS[0], format="json"), 200)
    requests[101] = (hu.route_path("report", run=RUNS[1], format="html"), 200)
    return requests


def _timed_get(server, path: str) -> tuple[int, float, int]:
    started = time.perf_counter()
    status, _, body = hu.raw_get(server.url, path, timeout=TOTAL_SECONDS)
    return status, time.perf_counter() - started, len(body)


def test_concurrent_mixed_requests(server):
    requests = _mix()
    deadline = time.monotonic() + TOTAL_SECONDS
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = [pool.submit(_timed_get, server, path) for path, _ in requests]
        results = []
        for future in futures:
            remaining = max(deadline - time.monotonic(), 0.1)
            results.append(future.result(timeout=remaining))
    elapsed = time.perf_counter() - started

    wrong = [
        (path, expected, status)
        for (path, expected), (status, _, _) in zip(requests, results)
        if status != expected
    ]
    assert not wrong, wrong[:10]
    latencies = [seconds for _, seconds, _ in results]
    p50, p95 = hu.percentile(latencies, 50), hu.percentile(latencies, 95)
    print(
        f"\n[hardening] load: {len(results)} requests, {WORKERS} threads, "
        f"{elapsed:.2f} s total, p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms"
    )
    assert len(results) == REQUESTS
    assert elapsed < TOTAL_SECONDS
    status, _, body = server.get(hu.PREFIX + "runs")
    assert status == 200, body[:300]
