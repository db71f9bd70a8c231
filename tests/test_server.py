"""A real ``tensorboard`` process finds the plugin and serves every step."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
from fixtures_logdirs import write_schema_run

pytestmark = pytest.mark.server

STEPS = tuple(range(15))
RUN = "long/explain"
FRONTEND_INDEX = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "frontend", "index.js"
)


@pytest.fixture(scope="module")
def long_logdir(tmp_path_factory):
    """One run of 15 steps: more than the 10 TensorBoard keeps by default."""
    logdir = str(tmp_path_factory.mktemp("long_logdir"))
    written = write_schema_run(os.path.join(logdir, "long"), n=4, steps=STEPS)
    return logdir, written


def get_json(server, path):
    status, headers, body = server.get(path)
    assert status == 200, body[:300]
    assert headers["Content-Type"] == "application/json"
    return json.loads(body)


def wait_for_steps(server, count, seconds=60.0):
    """The runs listing once the run shows ``count`` steps (loading is async)."""
    deadline = time.monotonic() + seconds
    while True:
        runs = get_json(server, "/data/plugin/explain/runs")["runs"]
        steps = [r["steps"] for r in runs if r["run"] == RUN]
        if (steps and len(steps[0]) >= count) or time.monotonic() > deadline:
            return runs
        time.sleep(0.5)


def test_plugin_is_listed_enabled_with_its_iframe_module(
    tensorboard_server, long_logdir
):
    server = tensorboard_server(long_logdir[0])
    listing = get_json(server, "/data/plugins_listing")
    assert listing["explain"]["enabled"] is True
    assert listing["explain"]["tab_name"] == "Explain"
    module_path = listing["explain"]["loading_mechanism"]["module_path"]
    assert module_path == "/data/plugin/explain/index.js"


def test_every_step_is_readable_without_a_flag(tensorboard_server, long_logdir):
    logdir, written = long_logdir
    server = tensorboard_server(logdir)
    runs = wait_for_steps(server, len(STEPS))
    assert [r["steps"] for r in runs if r["run"] == RUN] == [list(STEPS)]
    for step in STEPS:
        query = f"?run={RUN}&method=smoothgrad&sample=1&step={step}"
        status, headers, body = server.get("/data/plugin/explain/map" + query)
        assert status == 200, body[:300]
        assert headers["X-Step"] == str(step)
        values = np.frombuffer(body, dtype="<f4").reshape(8, 8)
        expected = written["attributions"][("smoothgrad", step)]
        np.testing.assert_allclose(
            values, expected[1], atol=1e-3 * float(np.abs(expected).max())
        )


def test_a_users_own_sampling_wins(tensorboard_server, long_logdir):
    server = tensorboard_server(long_logdir[0], "--samples_per_plugin", "explain=5")
    time.sleep(2.0)
    runs = wait_for_steps(server, len(STEPS), seconds=5.0)
    steps = [r["steps"] for r in runs if r["run"] == RUN][0]
    assert len(steps) <= 5
    assert steps[-1] == STEPS[-1]


def test_frontend_module_is_served(tensorboard_server, long_logdir):
    server = tensorboard_server(long_logdir[0])
    status, headers, body = server.get("/data/plugin/explain/index.js")
    if os.path.isfile(FRONTEND_INDEX):
        assert status == 200
        assert headers["Content-Type"].startswith("text/javascript")
        assert b"render" in body
    else:
        # frontend/index.js is not written yet: a clear 404, never a 500.
        assert status == 404
        assert b"index.js" in body


def test_errors_over_http_are_plain_text_4xx(tensorboard_server, long_logdir):
    server = tensorboard_server(long_logdir[0])
    status, _, body = server.get(f"/data/plugin/explain/sample?run={RUN}&sample=NaN")
    assert status == 400
    assert b"Parameter 'sample'" in body
    status, _, body = server.get("/data/plugin/explain/static/%2e%2e/%2e%2e/setup.py")
    assert status == 404
