"""An end-to-end fit under MirroredStrategy, then the tab and the report.

The fit runs in a subprocess (two logical CPU devices must be set before
TensorFlow starts) and writes into the session's hardening logdir while the
real server watches it; the server picks the run up on its next reload.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import hardening_utils as hu
import pytest

from tb_explain import report

pytestmark = pytest.mark.server

RUN = "mirrored/explain"
SCRIPT = textwrap.dedent(
    """
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import tensorflow as tf
    device = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        device, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import tb_explain as tbe
    from sklearn.datasets import load_digits
    keras.utils.set_random_seed(0)
    digits = load_digits()
    x = (digits.images[:256] / 16.0).astype("float32")[..., None]
    y = digits.target[:256]
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        model = keras.Sequential([
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
    callback = tbe.ExplainCallback(
        sys.argv[1], probe=(x[:6], y[:6]), methods=("gradients", "grad_cam"),
        class_names=[f"digit {i}" for i in range(10)])
    history = model.fit(x, y, epochs=2, batch_size=128, verbose=0,
        callbacks=[callback])
    assert len(history.history["loss"]) == 2
    """
)


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory, tensorboard_server):
    """``(server, run folder)`` once the mirrored run is written and listed."""
    server, info = hu.hardening_server(tmp_path_factory, tensorboard_server)
    run_dir = os.path.join(info["logdir"], "mirrored")
    if not os.path.isdir(run_dir):
        script = os.path.join(os.path.dirname(info["logdir"]), "mirrored.py")
        with open(script, "w") as handle:
            handle.write(SCRIPT)
        result = subprocess.run(
            [sys.executable, script, run_dir],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
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
    assert [m["key"] for m in entry["methods"]] == ["gradients", "grad_cam"]

    for route, query in (
        ("samples", {}),
        ("sample", {"sample": 5}),
        ("map", {"method": "grad_cam", "sample": 5}),
        ("global", {"method": "gradients"}),
    ):
        status, headers, body = server.get(hu.route_path(route, run=RUN, **query))
        assert status == 200, (route, body[:300])
    status, _, body = server.get(hu.route_path("samples", run=RUN))
    samples = json.loads(body)
    assert samples["steps"] == [0, 2, 4]
    assert len(samples["samples"]) == 6
    status, _, body = server.get(hu.route_path("sample", run=RUN, sample=5))
    assert [m["key"] for m in json.loads(body)["methods"]] == ["gradients", "grad_cam"]


def test_report_on_the_mirrored_run(mirrored):
    _, run_dir = mirrored
    document = report.build(run_dir, format="html")
    assert document.startswith("<!DOCTYPE html>")
    assert "mirrored" in document
    facts = json.loads(report.build(run_dir, format="json"))
    assert facts["run"] == "mirrored"
    assert facts["steps"] == [0, 2, 4]
    assert facts["step"] == 4
    assert set(facts["methods"]) == {"gradients", "grad_cam"}
