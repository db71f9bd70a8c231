"""Faults while training: a failing method, NaN weights, a failing log folder.

Each case fits a tiny MLP for three epochs with the real callback and checks
that training went on (every epoch in the history), that the error was
logged naming the method or the step, and that what was written stays
readable through ``summary.open_logdir`` and the plugin's routes.
"""

from __future__ import annotations

import logging
import os
import shutil

import hardening_utils as hu
import keras
import numpy as np
import pytest
from fixtures_logdirs import cancer_data, cancer_mlp

import tb_explain as tbe
from tb_explain import methods as engine
from tb_explain import summary

EPOCHS = 3
BATCH = 64
N_TRAIN = 128  # two batches an epoch: steps 0, 2, 4, 6
STEPS = [0, 2, 4, 6]
RUN = "run/explain"
LOGGER = "tb_explain.callbacks"


@pytest.fixture(scope="module")
def data():
    """Breast-cancer features: ``(x, y, (probe_x, probe_y))``, small."""
    x, y, _, (probe_x, probe_y) = cancer_data()
    return x[:N_TRAIN], y[:N_TRAIN], (probe_x[:8], probe_y[:8])


def fit(log_dir, data, extra_callbacks=(), **options):
    """Fits the MLP with the callback (and ``extra_callbacks`` before it)."""
    x, y, probe = data
    keras.utils.set_random_seed(0)
    options.setdefault("methods", ("gradients", "integrated_gradients"))
    options.setdefault("quality", False)
    callback = tbe.ExplainCallback(str(log_dir), probe=probe, **options)
    history = cancer_mlp().fit(
        x,
        y,
        epochs=EPOCHS,
        batch_size=BATCH,
        verbose=0,
        callbacks=[*extra_callbacks, callback],
    )
    return history


def route_status(client, route: str, **query) -> int:
    response = client.get(hu.route_path(route, run=RUN, **query))
    assert response.status_code < 500, (route, response.get_data()[:300])
    return response.status_code


def assert_readable(logdir, complete_steps, methods_at_last):
    """Every tag reads back and the routes answer for the complete steps."""
    reader = summary.open_logdir(str(logdir)).reader(RUN)
    for tag in reader.tags():
        reader.read(tag)
    assert reader.steps(summary.STEP_INFO) == complete_steps
    client = hu.wsgi_client(str(logdir))
    status, samples = hu.wsgi_json(client, "samples", run=RUN)
    assert status == 200, samples
    assert samples["steps"] == complete_steps
    assert samples["step"] == complete_steps[-1]
    status, sample = hu.wsgi_json(client, "sample", run=RUN, sample=0)
    assert status == 200, sample
    assert [m["key"] for m in sample["methods"]] == methods_at_last
    for route, query in (
        ("run", {}),
        ("history", {"sample": 1}),
        ("input", {"sample": 1}),
        ("quality", {}),
        ("map", {"method": "gradients", "sample": 1, "step": complete_steps[0]}),
        ("global", {"method": "gradients", "step": complete_steps[0]}),
        ("report", {"format": "json"}),
    ):
        assert route_status(client, route, **query) == 200, route
    return reader, client


def test_a_method_raising_from_the_second_epoch_is_skipped(
    tmp_path, data, monkeypatch, caplog
):
    original = engine.attribute
    calls = {"integrated_gradients": 0}

    def failing(model, inputs, method, **kwargs):
        if method == "integrated_gradients":
            calls[method] += 1
            # Call 1 is the initial step, call 2 the first epoch.
            if calls[method] >= 3:
                raise RuntimeError("integrated gradients broke")
        return original(model, inputs, method, **kwargs)

    monkeypatch.setattr(engine, "attribute", failing)
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        history = fit(tmp_path / "run", data)

    assert len(history.history["loss"]) == EPOCHS
    failures = [r for r in caplog.records if "failed at step" in r.getMessage()]
    assert [r.getMessage() for r in failures] == [
        f"Method 'integrated_gradients' failed at step {step}; skipped for this step."
        for step in STEPS[2:]
    ]
    assert "integrated gradients broke" in failures[0].exc_text
    reader, client = assert_readable(tmp_path, STEPS, ["gradients"])
    assert reader.steps(summary.attributions_tag("integrated_gradients")) == [0, 2]
    assert reader.steps(summary.attributions_tag("gradients")) == STEPS
    assert reader.at(summary.STEP_INFO, 6).value["methods"] == ["gradients"]
    query = {"method": "integrated_gradients", "sample": 0}
    assert route_status(client, "map", **query, step=2) == 200
    response = client.get(hu.route_path("map", run=RUN, **query))
    assert response.status_code == 404
    assert b"'integrated_gradients' at step 6" in response.get_data()


class NaNWeights(keras.callbacks.Callback):
    """Sets every weight to NaN at the end of epoch ``epoch``.

    Every layer, not the first alone: oneDNN's ReLU turns NaN into 0, so NaN
    in the first layer only can leave the output finite.
    """

    def __init__(self, epoch: int = 0):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            weights = self.model.get_weights()
            self.model.set_weights([np.full_like(w, np.nan) for w in weights])


def test_nan_weights_are_reported_and_training_goes_on(tmp_path, data, caplog):
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        history = fit(tmp_path / "run", data, [NaNWeights()], quality=True)

    assert len(history.history["loss"]) == EPOCHS
    assert np.isnan(history.history["loss"][-1])
    warned = [r.getMessage() for r in caplog.records if "NaN or Inf" in r.getMessage()]
    assert any("'gradients'" in m and "at step 2" in m for m in warned), warned
    reader, client = assert_readable(tmp_path, STEPS, [])
    predictions = reader.at(summary.PREDICTIONS, 6).value
    assert np.isnan(predictions).all()
    assert reader.steps(summary.attributions_tag("gradients")) == [0]
    status, samples = hu.wsgi_json(client, "samples", run=RUN)
    assert status == 200
    assert samples["samples"][0]["confidence"] == "NaN"


def test_a_failing_log_folder_stops_writing_not_training(
    tmp_path, data, monkeypatch, caplog
):
    original = summary.SummaryWriter._write

    def failing(self, tag, tensor, step, encoding):
        if step > STEPS[1]:
            raise OSError(28, "No space left on device")
        return original(self, tag, tensor, step, encoding)

    monkeypatch.setattr(summary.SummaryWriter, "_write", failing)
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        history = fit(tmp_path / "run", data)

    assert len(history.history["loss"]) == EPOCHS
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert "failed at epoch 1" in errors[0]
    assert "No space left on device" in errors[0]
    assert os.path.join("run", "explain") in errors[0]
    assert_readable(tmp_path, STEPS[:2], ["gradients", "integrated_gradients"])


class ReplaceLogFolder(keras.callbacks.Callback):
    """Moves ``<log_dir>/explain`` away and puts a plain file in its place."""

    def __init__(self, explain_dir: str, moved_dir: str, epoch: int = 0):
        super().__init__()
        self.explain_dir, self.moved_dir, self.epoch = explain_dir, moved_dir, epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch + 1:
            shutil.move(self.explain_dir, self.moved_dir)
            with open(self.explain_dir, "w") as handle:
                handle.write("not a folder\n")


def test_a_log_folder_replaced_by_a_file_keeps_training(tmp_path, data, caplog):
    explain = str(tmp_path / "live" / "run" / "explain")
    moved = str(tmp_path / "kept" / "run" / "explain")
    os.makedirs(os.path.dirname(moved))
    replace = ReplaceLogFolder(explain, moved)
    with caplog.at_level(logging.ERROR, logger=LOGGER):
        history = fit(tmp_path / "live" / "run", data, [replace])

    assert len(history.history["loss"]) == EPOCHS
    assert os.path.isfile(explain)
    with open(explain) as handle:
        assert handle.read() == "not a folder\n"
    # On a local disk the open event file follows the folder it was moved
    # with, so nothing fails; elsewhere the callback may stop writing, and
    # then its message names the folder.
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    for message in errors:
        assert explain in message, message
    reader = summary.open_logdir(str(tmp_path / "kept")).reader(RUN)
    steps = reader.steps(summary.STEP_INFO)
    assert steps[:2] == STEPS[:2]
    assert_readable(tmp_path / "kept", steps, ["gradients", "integrated_gradients"])
