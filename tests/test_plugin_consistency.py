"""Runs whose tags disagree, or that are caught mid-write, through the WSGI app.

Each run is written through ``tb_explain.summary`` as the callback writes it,
then bent the way a crash, a diverged model or a hand-made logdir bends it:
the maps of a step on disk before the step's ``step/info``, a sigmoid head, a
model whose outputs are NaN, labels shorter than the predictions, a step
without targets.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
from fixtures_logdirs import _config, _model_overview
from fixtures_server import make_app
from werkzeug import test as wtest

from tb_explain import summary

PREFIX = "/data/plugin/explain/"
N, CLASSES, SHAPE = 4, 3, (4, 4, 1)


def _get(client, route: str, **query):
    return client.get(PREFIX + route, query_string=query)


def _json(client, route: str, **query) -> dict:
    response = _get(client, route, **query)
    assert response.status_code == 200, response.get_data()[:300]
    return json.loads(response.get_data())


def _head(writer, config=None, labels=None) -> None:
    writer.write_array(summary.probe_inputs_tag(0), np.zeros((N,) + SHAPE, np.uint8), 0)
    if labels is None:
        labels = np.arange(N, dtype=np.int32) % CLASSES
    writer.write_array(summary.PROBE_LABELS, labels, 0)
    writer.write_json(summary.RUN_MODEL, _model_overview(SHAPE, CLASSES), 0)
    names = [f"c{i}" for i in range(CLASSES)]
    config = config or _config("image", SHAPE, N, CLASSES, names, None, ("m",), [0, 1])
    writer.write_json(summary.RUN_CONFIG, config, 0)


def _maps(writer, step: int, values=None) -> dict:
    if values is None:
        values = np.random.default_rng(step).normal(size=(N,) + SHAPE[:2])
    values = np.asarray(values, np.float32)
    scales = {}
    tag = summary.attributions_tag("m", 0)
    scales[tag] = writer.write_map(tag, values, step)
    tag = summary.importance_tag("m", 0)
    scales[tag] = writer.write_map(tag, np.abs(values[: CLASSES + 1]), step)
    return scales


def _tail(writer, step: int, scales: dict, predictions=None, targets=True) -> None:
    if predictions is None:
        predictions = np.full((N, CLASSES), 1.0 / CLASSES, np.float32)
    writer.write_array(summary.PREDICTIONS, np.asarray(predictions, np.float32), step)
    if targets:
        writer.write_array(summary.TARGETS, np.zeros(N, np.int32), step)
    info = {"step": step, "scales": scales, "methods": ["m"]}
    writer.write_json(summary.STEP_INFO, info, step)


def _run(tmp_path, name: str = "r"):
    return summary.SummaryWriter(os.path.join(str(tmp_path), name, "explain"))


def test_maps_of_a_step_appear_once_its_scale_is_written(tmp_path):
    """A request between a step's maps and its step/info must not pin the
    step's absence in the cache."""
    writer = _run(tmp_path)
    _head(writer)
    _tail(writer, 0, _maps(writer, 0))
    scales = _maps(writer, 5)
    writer.flush()
    app, multiplexer = make_app(str(tmp_path))
    client = wtest.Client(app)
    assert _json(client, "sample", run="r/explain", sample=0)["step"] == 0

    _tail(writer, 5, scales)
    writer.close()
    multiplexer.Reload()
    time.sleep(1.1)  # the plugin reuses its run listing for a second
    body = _json(client, "sample", run="r/explain", sample=0)
    assert body["step"] == 5 and [m["key"] for m in body["methods"]] == ["m"]
    response = _get(client, "map", run="r/explain", method="m", sample=0, step=5)
    assert response.status_code == 200 and response.headers["X-Step"] == "5"


def test_a_sigmoid_head_explains_the_positive_class(tmp_path):
    """Output 0 of one sigmoid is P(class 1): its name and its probability."""
    writer = _run(tmp_path, "cancer")
    names = ["malignant", "benign"]
    config = _config("tabular", (5,), 3, 2, names, None, ("m",), [0, 1])
    config.update(task="binary", n_outputs=1)
    writer.write_array(summary.probe_inputs_tag(0), np.ones((3, 5), np.float32), 0)
    writer.write_array(summary.PROBE_LABELS, np.array([1, 1, 0], np.float32), 0)
    writer.write_json(summary.RUN_CONFIG, config, 0)
    tag = summary.attributions_tag("m", 0)
    scales = {tag: writer.write_map(tag, np.ones((3, 5), np.float32), 0)}
    tag = summary.importance_tag("m", 0)
    scales[tag] = writer.write_map(tag, np.ones((3, 5), np.float32), 0)
    writer.write_array(summary.PREDICTIONS, np.array([[0.9], [0.8], [0.1]]), 0)
    writer.write_array(summary.TARGETS, np.zeros(3, np.int32), 0)
    writer.write_json(summary.STEP_INFO, {"step": 0, "scales": scales}, 0)
    writer.close()
    client = wtest.Client(make_app(str(tmp_path))[0])

    for sample, p in enumerate((0.9, 0.8, 0.1)):
        body = _json(client, "sample", run="cancer/explain", sample=sample)
        assert (body["target"], body["target_name"]) == (1, "benign")
        np.testing.assert_allclose(body["probabilities"], [1 - p, p], rtol=1e-6)
        history = _json(client, "history", run="cancer/explain", sample=sample)
        np.testing.assert_allclose(history["target_probability"], [p], rtol=1e-6)


def test_a_diverged_model_still_gets_its_report(tmp_path):
    """NaN outputs and maps: every route answers, the report says why no map."""
    writer = _run(tmp_path)
    _head(writer)
    nan_maps = np.full((N,) + SHAPE[:2], np.nan)
    _tail(writer, 0, _maps(writer, 0, nan_maps), np.full((N, CLASSES), np.nan))
    writer.close()
    client = wtest.Client(make_app(str(tmp_path))[0])

    for route, query in (("samples", {}), ("sample", {"sample": 0})):
        _json(client, route, run="r/explain", **query)
    for report_format in ("html", "markdown", "json"):
        response = _get(client, "report", run="r/explain", format=report_format)
        assert response.status_code == 200, response.get_data()[:300]
    page = _get(client, "report", run="r/explain", format="html").get_data()
    assert b"the model may have diverged" in page


def test_a_run_whose_tags_disagree_is_422_for_the_report(tmp_path):
    """Labels for 2 of 4 samples: the views answer, the report says why not."""
    writer = _run(tmp_path)
    _head(writer, labels=np.array([0, 1], np.int32))
    _tail(writer, 0, _maps(writer, 0))
    writer.close()
    client = wtest.Client(make_app(str(tmp_path))[0])

    samples = _json(client, "samples", run="r/explain")["samples"]
    assert [s["label"] for s in samples] == [0, 1, None, None]
    assert _json(client, "sample", run="r/explain", sample=3)["label"] is None
    assert (
        _json(client, "history", run="r/explain", sample=3)["label_probability"] is None
    )
    response = _get(client, "report", run="r/explain", format="html")
    assert response.status_code == 422
    assert b"cannot be reported at step 0" in response.get_data()


@pytest.mark.parametrize("route", ["samples", "sample", "history"])
def test_a_step_without_targets_still_serves(tmp_path, route):
    writer = _run(tmp_path)
    _head(writer)
    _tail(writer, 0, _maps(writer, 0))
    _tail(writer, 5, _maps(writer, 5), targets=False)
    writer.close()
    client = wtest.Client(make_app(str(tmp_path))[0])
    query = {} if route == "samples" else {"sample": 0}
    body = _json(client, route, run="r/explain", **query)
    if route == "history":
        assert body["target_probability"][0] is not None
        assert body["target_probability"][1] is None
    elif route == "sample":
        assert body["step"] == 5 and body["target"] is None
