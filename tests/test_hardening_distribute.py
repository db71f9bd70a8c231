"""An end-to-end fit under MirroredStrategy, then the tab and the report.

The fit (``tests/mirrored_fit.py``, once a session) runs in a subprocess: two
logical CPU devices must be set before TensorFlow starts. Its run is copied
into the session's hardening logdir while the real server watches it; the
server picks it up on its next reload.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import hardening_utils as hu
import pytest
from mirrored_fit import METHODS, N_PROBE

from tb_explain import report

pytestmark = pytest.mark.server

RUN = "mirrored/explain"


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory, tensorboard_server, mirrored_run):
    """``(server, run folder)`` once the mirrored run is copied in and listed."""
    server, info = hu.hardening_server(tmp_path_factory, tensorboard_server)
    run_dir = os.path.join(info["logdir"], "mirrored")
    if not os.path.isdir(run_dir):
        shutil.copytree(mirrored_run, run_dir)
    deadline = time.monotonic() + 90
    while RUN not in _runs(server) or _runs(server)[RUN]["steps"] != [0, 2, 4]:
        assert time.monotonic() < deadline, sorted(_runs(server))
        time.sleep(0.5)
    return server, run_dir


def _runs(server) -> dict:
    status, _, body = server.get(hu.PREFIX + "runs")
    assert status == 200, body[:300]
    return {r["run"]: r for r in json.loads(body)["runs"]}


def test_tab_routes_show_the_mirrored_run_once(mirrored):
    server, run_dir = mirrored
    status, _, body = server.get(hu.PREFIX + "runs")
    names = [r["run"] for r in json.loads(body)["runs"]]
    assert names.count(RUN) == 1
    events = [
        n for n in os.listdir(os.path.join(run_dir, "explain")) if "tfevents" in n
    ]
    assert len(events) == 1
    entry = _runs(server)[RUN]
    assert entry["errors"] == []
    assert [m["key"] for m in entry["methods"]] == list(METHODS)

    for route, query in (
        ("samples", {}),
        ("sample", {"sample": 5}),
        ("map", {"method": "grad_cam", "sample": 5}),
        ("global", {"method": "integrated_gradients"}),
    ):
        status, headers, body = server.get(hu.route_path(route, run=RUN, **query))
        assert status == 200, (route, body[:300])
    status, _, body = server.get(hu.route_path("samples", run=RUN))
    samples = json.loads(body)
    assert samples["steps"] == [0, 2, 4]
    assert len(samples["samples"]) == N_PROBE
    status, _, body = server.get(hu.route_path("sample", run=RUN, sample=5))
    assert [m["key"] for m in json.loads(body)["methods"]] == list(METHODS)


def test_report_on_the_mirrored_run(mirrored):
    _, run_dir = mirrored
    document = report.build(run_dir, format="html")
    assert document.startswith("<!DOCTYPE html>")
    assert "mirrored" in document
    facts = json.loads(report.build(run_dir, format="json"))
    assert facts["run"] == "mirrored"
    assert facts["steps"] == [0, 2, 4]
    assert facts["step"] == 4
    assert set(facts["methods"]) == set(METHODS)
