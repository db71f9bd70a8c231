"""Broken logdirs: the server lists what it can read and says what it cannot.

Runs in the session's hardening logdir: a truncated event file, a run of
schema version 99, a run whose metadata is garbage, a run with metadata of an
older (unversioned) schema, a run holding only ``run/config``, an empty folder
and a folder with a text file. No route may answer 5xx; broken runs answer
4xx with a reason, good runs keep working.
"""

from __future__ import annotations

import json
import os

import hardening_utils as hu
import numpy as np
import pytest
from fixtures_logdirs import write_schema_run

from tb_explain import summary

pytestmark = pytest.mark.server

TRUNCATED = hu.BROKEN_RUNS["truncated"]
NEWER = hu.BROKEN_RUNS["newer"]
GARBLED = hu.BROKEN_RUNS["garbled"]
CONFIG_ONLY = hu.BROKEN_RUNS["config_only"]
ROUTE_QUERIES = (
    ("run", {}),
    ("samples", {}),
    ("sample", {"sample": 0}),
    ("map", {"sample": 0, "method": "smoothgrad"}),
    ("map", {"sample": 0, "method": "smoothgrad", "view": "abs"}),
    ("global", {"method": "smoothgrad"}),
    ("input", {"sample": 0}),
    ("history", {"sample": 0}),
    ("quality", {}),
    ("report", {"format": "json"}),
)


@pytest.fixture(scope="module")
def hardened(tmp_path_factory, tensorboard_server):
    """``(server, info)`` of the session's hardening server."""
    return hu.hardening_server(tmp_path_factory, tensorboard_server)


def listing(server) -> dict:
    status, headers, body = server.get(hu.PREFIX + "runs")
    assert status == 200, body[:300]
    return {r["run"]: r for r in json.loads(body)["runs"]}


def test_runs_lists_readable_runs_and_says_what_is_not(hardened):
    server, _ = hardened
    runs = listing(server)
    for name in (*hu.GOOD_RUNS, hu.HOSTILE_RUN, hu.OLDER_RUN):
        assert runs[name]["errors"] == [], name
        assert runs[name]["methods"], name
    assert runs[TRUNCATED]["errors"] == []
    assert runs[TRUNCATED]["steps"] == [0, 5]
    for name, reason in ((NEWER, "version 99"), (GARBLED, "unreadable")):
        assert runs[name]["steps"] == [], name
        assert any(reason in error for error in runs[name]["errors"]), runs[name]
    assert runs[CONFIG_ONLY]["errors"] == []
    assert runs[CONFIG_ONLY]["steps"] == []
    assert runs[CONFIG_ONLY]["methods"] == []
    assert runs[CONFIG_ONLY]["probe_count"] == 4
    # Folders without event files are no runs at all.
    assert not {"empty/explain", "notes/explain"} & set(runs)


@pytest.mark.parametrize("run, reason", [(NEWER, "version 99"), (GARBLED, "metadata")])
def test_every_route_refuses_an_unreadable_schema_with_its_reason(
    hardened, run, reason
):
    server, _ = hardened
    for route, query in ROUTE_QUERIES:
        status, headers, body = server.get(hu.route_path(route, run=run, **query))
        assert status == 404, (route, status, body[:300])
        assert headers["Content-Type"].startswith("text/plain")
        assert reason in body.decode("utf-8"), (route, body[:300])


def test_a_run_stopped_after_its_config_answers_with_what_it_has(hardened):
    server, _ = hardened
    expected = {
        "run": 200,
        "quality": 200,
        "history": 200,
        "samples": 404,
        "sample": 404,
        "map": 404,
        "global": 404,
        "input": 404,
        "report": 404,
    }
    for route, query in ROUTE_QUERIES:
        status, _, body = server.get(hu.route_path(route, run=CONFIG_ONLY, **query))
        assert status == expected[route], (route, status, body[:300])
        if status == 404:
            assert CONFIG_ONLY.encode() in body, (route, body[:300])
    status, _, body = server.get(hu.route_path("history", run=CONFIG_ONLY, sample=0))
    assert json.loads(body)["steps"] == []


def test_truncated_run_serves_its_complete_steps_with_true_values(hardened):
    server, info = hardened
    status, _, body = server.get(hu.route_path("samples", run=TRUNCATED))
    assert status == 200, body[:300]
    assert json.loads(body)["step"] == 5
    # The last step lost its step/info (the map scales): no guessed values.
    path = hu.route_path("map", run=TRUNCATED, method="smoothgrad", sample=1, step=10)
    status, _, body = server.get(path)
    assert status == 404 and b"step 10" in body, body[:300]
    path = hu.route_path("map", run=TRUNCATED, method="smoothgrad", sample=1)
    status, headers, body = server.get(path)
    assert status == 200 and headers["X-Step"] == "5"
    written = info["written"][TRUNCATED]
    np.testing.assert_allclose(
        np.frombuffer(body, "<f4").reshape(8, 8),
        written["attributions"][("smoothgrad", 5)][1],
        rtol=2e-3,
        atol=1e-7,
    )


def test_truncated_run_report_covers_its_last_complete_step(hardened):
    server, _ = hardened
    path = hu.route_path("report", run=TRUNCATED, format="json")
    status, headers, body = server.get(path)
    assert status == 200, body[:300]
    assert "truncated-5-report.json" in headers["Content-Disposition"]
    facts = json.loads(body)
    assert facts["step"] == 5
    assert set(facts["methods"]) == {"integrated_gradients", "smoothgrad"}
    status, _, body = server.get(hu.route_path("report", run=TRUNCATED, step=10))
    assert status == 404 and b"step 10" in body, body[:300]


def test_broken_runs_never_answer_5xx_and_good_runs_keep_working(hardened):
    server, _ = hardened
    runs = (*hu.BROKEN_RUNS.values(), "empty/explain", "notes/explain")
    tried = 0
    for run in runs:
        for route, query in ROUTE_QUERIES:
            status, _, body = server.get(hu.route_path(route, run=run, **query))
            tried += 1
            assert status < 500, (run, route, body[:300])
            if status >= 400:
                assert body.strip(), (run, route)
    for run in hu.GOOD_RUNS:
        status, _, body = server.get(hu.route_path("sample", run=run, sample=3))
        assert status == 200, body[:300]
    print(f"\n[hardening] broken data: {tried} requests on broken runs")


def test_reader_raises_schema_error_for_a_newer_version(hardened):
    _, info = hardened
    logdir = summary.open_logdir(info["logdir"])
    with pytest.raises(summary.SchemaError, match=r"version 99.*Upgrade tb_explain"):
        logdir.reader(NEWER)
    with pytest.raises(summary.SchemaError, match="unreadable explain metadata"):
        logdir.reader(GARBLED)
    older = logdir.reader(hu.OLDER_RUN)
    assert older.version(summary.PREDICTIONS) == 0
    assert older.steps(summary.PREDICTIONS) == [0, 5]


@pytest.mark.parametrize("cut", [1, 37, 500, "half"])
def test_truncated_event_files_read_back_what_is_whole(tmp_path, cut):
    written = write_schema_run(str(tmp_path / "run"), n=4, steps=hu.SCHEMA_STEPS)
    path = hu.event_file(str(tmp_path / "run" / "explain"))
    size = hu.truncate(path, os.path.getsize(path) // 2 if cut == "half" else cut)
    assert size > 0

    reader = summary.open_logdir(str(tmp_path)).reader("run/explain")
    complete = reader.steps(summary.STEP_INFO)
    assert complete == list(hu.SCHEMA_STEPS[: len(complete)])
    for tag in reader.tags():
        data = reader.read(tag)
        if summary.encoding_of(tag) == summary.MAP:
            assert {d.step for d in data} <= set(complete), tag
    tag = summary.attributions_tag("smoothgrad")
    for datum in reader.read(tag) if reader.has(tag) else []:
        np.testing.assert_allclose(
            datum.value,
            written["attributions"][("smoothgrad", datum.step)],
            rtol=2e-3,
            atol=1e-7,
        )

    client = hu.wsgi_client(str(tmp_path))
    status, runs = hu.wsgi_json(client, "runs")
    assert status == 200
    for route, query in ROUTE_QUERIES:
        response = client.get(hu.route_path(route, run="run/explain", **query))
        assert response.status_code in (200, 404), (route, response.get_data()[:300])
