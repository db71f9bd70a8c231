"""ExplainCallback: fit tiny models, read the event files back, check values."""

from __future__ import annotations

import json
import logging
import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from fixtures_logdirs import cancer_data, cancer_mlp, digits_cnn, digits_data

import tb_explain as tbe
from tb_explain import summary


def _reader(log_dir: str) -> summary.RunReader:
    logdir = summary.open_logdir(log_dir)
    (run,) = logdir.runs()
    return logdir.reader(run)


class BatchCounter(keras.callbacks.Callback):
    """Counts the training batches that ran."""

    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


# --------------------------------------------------------------------------
# What is written, for an image and a tabular model (the shared fixture).


def test_image_run_has_exact_tags_and_steps(callback_logdir):
    logdir, _ = callback_logdir
    reader = summary.open_logdir(logdir).reader("digits/explain")
    methods = ("gradients", "integrated_gradients", "grad_cam")
    per_step = {"predictions", "targets", "step/info", "weights/stats"}
    per_step |= {"weights/pictures"}
    per_step |= {summary.attributions_tag(m) for m in methods}
    per_step |= {summary.importance_tag(m) for m in methods}
    once = {"run/config", "run/model", "probe/inputs/0", "probe/labels"}
    logs = {"logs/loss", "logs/accuracy"}
    tags = set(reader.tags())
    quality_tags = {t for t in tags if t.startswith("quality")}
    assert tags - quality_tags == per_step | once | logs
    steps_per_epoch = int(np.ceil(1797 / 128))
    expected = [0] + [steps_per_epoch * e for e in (1, 2, 3)]
    for tag in per_step:
        assert reader.steps(tag) == expected, tag
    for tag in once:
        assert reader.steps(tag) == [0], tag
    for tag in logs:
        assert reader.steps(tag) == expected[1:], tag
    assert "quality/summary" in quality_tags
    assert reader.steps("quality/summary") == expected[1:]


def test_image_values_match_the_engine_and_predict(callback_logdir):
    logdir, models = callback_logdir
    model, (x_probe, y_probe) = models["digits"]
    reader = summary.open_logdir(logdir).reader("digits/explain")
    last = reader.at(summary.PREDICTIONS)
    np.testing.assert_allclose(
        last.value, model.predict(x_probe, verbose=0), rtol=1e-5, atol=1e-6
    )
    targets = reader.at(summary.TARGETS).value
    np.testing.assert_array_equal(targets, last.value.argmax(axis=1))
    expected = tbe.attribute(model, x_probe, "integrated_gradients", target=targets)
    written = reader.at(summary.attributions_tag("integrated_gradients")).value
    reference = expected.sum(axis=-1)
    tolerance = 1e-3 * np.abs(reference).max()
    np.testing.assert_allclose(written, reference, atol=tolerance)
    grad_cam = tbe.attribute(model, x_probe, "grad_cam", target=targets)
    np.testing.assert_allclose(
        reader.at(summary.attributions_tag("grad_cam")).value,
        grad_cam,
        atol=1e-3 * np.abs(grad_cam).max(),
    )


def test_image_probe_written_once_compactly(callback_logdir):
    logdir, models = callback_logdir
    _, (x_probe, y_probe) = models["digits"]
    reader = summary.open_logdir(logdir).reader("digits/explain")
    inputs = reader.first(summary.probe_inputs_tag(0))
    assert inputs.dtype == np.uint8 and inputs.shape == x_probe.shape
    low, high = reader.config()["inputs"][0]["range"]
    restored = inputs.astype(np.float32) / 255 * (high - low) + low
    np.testing.assert_allclose(restored, x_probe, atol=(high - low) / 255)
    np.testing.assert_array_equal(reader.first(summary.PROBE_LABELS), y_probe)


def test_importance_rows_are_mean_abs_per_class(callback_logdir):
    logdir, models = callback_logdir
    _, (_, y_probe) = models["digits"]
    reader = summary.open_logdir(logdir).reader("digits/explain")
    maps = reader.at(summary.attributions_tag("gradients")).value
    rows = reader.at(summary.importance_tag("gradients")).value
    assert rows.shape == (11, 8, 8)
    scale = np.abs(maps).max()
    np.testing.assert_allclose(rows[0], np.abs(maps).mean(axis=0), atol=2e-3 * scale)
    present = np.unique(y_probe)
    for c in present:
        expected = np.abs(maps[y_probe == c]).mean(axis=0)
        np.testing.assert_allclose(rows[1 + c], expected, atol=2e-3 * scale)
    for c in set(range(10)) - set(present.tolist()):
        assert np.isnan(rows[1 + c]).all()


def test_step_info_fingerprint_and_logs(callback_logdir):
    logdir, models = callback_logdir
    model, _ = models["digits"]
    reader = summary.open_logdir(logdir).reader("digits/explain")
    steps = reader.steps(summary.STEP_INFO)
    infos = [reader.step_info(s) for s in steps]
    assert [i["kind"] for i in infos] == ["initial", "epoch", "epoch", "epoch"]
    assert [i["epoch"] for i in infos] == [0, 1, 2, 3]
    assert len({i["weights_sha256"] for i in infos}) == 4
    from tb_explain import model_facts

    assert infos[-1]["weights_sha256"] == model_facts.fingerprint(model)
    losses = [d.value for d in reader.read("logs/loss")]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]


def test_model_overview_and_config(callback_logdir):
    logdir, models = callback_logdir
    model, _ = models["digits"]
    reader = summary.open_logdir(logdir).reader("digits/explain")
    overview = reader.model()
    assert overview["total_params"] == model.count_params()
    assert [layer["class"] for layer in overview["layers"]] == [
        "Conv2D",
        "Conv2D",
        "Flatten",
        "Dense",
    ]
    assert overview["optimizer"]["name"] == "Adam"
    config = reader.config()
    assert config["modality"] == "image" and config["task"] == "multiclass"
    assert config["class_names"][3] == "digit 3"
    assert [m["key"] for m in config["methods"]] == [
        "gradients",
        "integrated_gradients",
        "grad_cam",
    ]
    assert config["versions"]["keras"] == keras.__version__


def test_weight_statistics_and_pictures(callback_logdir):
    logdir, models = callback_logdir
    model, (x_probe, y_probe) = models["digits"]
    reader = summary.open_logdir(logdir).reader("digits/explain")
    stats = reader.at(summary.WEIGHT_STATS).value
    first = next(s for s in stats if s["layer"] == model.layers[0].name)
    kernel = np.asarray(model.layers[0].kernel, dtype=np.float64)
    assert first["weight_norm"] == pytest.approx(np.linalg.norm(kernel), rel=1e-5)
    # The loss gradient on the probe, by a plain tape on the final weights.
    with tf.GradientTape() as tape:
        outputs = model(x_probe, training=False)
        loss = tf.reduce_mean(keras.losses.get(model.loss)(y_probe, outputs))
    grads = tape.gradient(loss, model.layers[0].trainable_weights)
    expected = np.sqrt(sum(np.sum(np.square(np.float64(g))) for g in grads))
    assert expected > 0
    assert first["grad_norm"] == pytest.approx(expected, rel=1e-4)
    assert 0.0 <= first["dead_fraction"] <= 1.0
    pictures = reader.at(summary.WEIGHT_PICTURES).value
    assert pictures.shape == (8, 3, 3, 1)
    np.testing.assert_allclose(
        pictures, np.transpose(kernel, (3, 0, 1, 2)), atol=1e-3 * np.abs(kernel).max()
    )


def test_tabular_binary_run(callback_logdir):
    logdir, models = callback_logdir
    model, (x_probe, y_probe) = models["cancer"]
    reader = summary.open_logdir(logdir).reader("cancer/explain")
    config = reader.config()
    assert config["modality"] == "tabular" and config["task"] == "binary"
    assert config["feature_names"][0] == "mean radius"
    predictions = reader.at(summary.PREDICTIONS).value
    assert predictions.shape == (len(x_probe), 1)
    np.testing.assert_allclose(
        predictions, model.predict(x_probe, verbose=0), rtol=1e-5
    )
    written = reader.at(summary.attributions_tag("gradient_x_input")).value
    expected = tbe.attribute(model, x_probe, "gradient_x_input", target=0)
    np.testing.assert_allclose(written, expected, atol=1e-3 * np.abs(expected).max())
    rows = reader.at(summary.importance_tag("integrated_gradients")).value
    assert rows.shape == (3, 30)


# --------------------------------------------------------------------------
# Every kind of model.


def _fit(model, x, y, callback, epochs=1):
    counter = BatchCounter()
    model.fit(
        x, y, epochs=epochs, batch_size=64, verbose=0, callbacks=[callback, counter]
    )
    return counter


def test_functional_two_input_regression(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(128, 4)).astype(np.float32)
    b = rng.normal(size=(128, 3)).astype(np.float32)
    y = (a[:, :1] * 2 - b[:, 1:2]).astype(np.float32)
    in_a, in_b = keras.Input((4,), name="a"), keras.Input((3,), name="b")
    merged = keras.layers.Concatenate()([in_a, in_b])
    out = keras.layers.Dense(1)(keras.layers.Dense(8, activation="relu")(merged))
    model = keras.Model([in_a, in_b], out)
    model.compile("adam", "mse")
    callback = tbe.ExplainCallback(
        str(tmp_path), probe=([a[:8], b[:8]], y[:8]), methods=("integrated_gradients",)
    )
    _fit(model, [a, b], y, callback)
    reader = _reader(str(tmp_path))
    assert reader.config()["task"] == "regression"
    first = reader.at(summary.attributions_tag("integrated_gradients", 0)).value
    second = reader.at(summary.attributions_tag("integrated_gradients", 1)).value
    assert first.shape == (8, 4) and second.shape == (8, 3)
    expected = tbe.attribute(model, [a[:8], b[:8]], "integrated_gradients")
    np.testing.assert_allclose(
        second, expected[1], atol=1e-3 * np.abs(expected[1]).max()
    )

    # The report explains the first input only: the sum of its attributions
    # is not f(x) - f(x'), so no output on the baseline is made up from it.
    facts = json.loads(tbe.report.build(str(tmp_path), format="json"))
    assert facts["cases"] and all(c["baseline_output"] is None for c in facts["cases"])
    page = tbe.report.build(str(tmp_path), format="html")
    assert "predicts one number from each" in page
    assert "the model&#x27;s output on the baseline was not recorded" in page


class TinySubclassed(keras.Model):
    """A subclassed model: no symbolic graph."""

    def __init__(self):
        super().__init__()
        self.hidden = keras.layers.Dense(8, activation="relu")
        self.head = keras.layers.Dense(3, activation="softmax")

    def call(self, inputs):
        return self.head(self.hidden(inputs))


def test_subclassed_model(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(96, 5)).astype(np.float32)
    y = rng.integers(0, 3, size=96)
    model = TinySubclassed()
    model.compile("adam", "sparse_categorical_crossentropy")
    model(x[:2])
    callback = tbe.ExplainCallback(
        str(tmp_path), probe=(x[:6], y[:6]), methods=("gradients", "occlusion")
    )
    _fit(model, x, y, callback, epochs=2)
    reader = _reader(str(tmp_path))
    assert len(reader.steps(summary.attributions_tag("occlusion"))) == 3
    written = reader.at(summary.attributions_tag("gradients")).value
    targets = reader.at(summary.TARGETS).value
    expected = tbe.attribute(model, x[:6], "gradients", target=targets)
    np.testing.assert_allclose(written, expected, atol=1e-3 * np.abs(expected).max())


def test_dataset_probe_and_default_methods_on_mlp(tmp_path):
    import tensorflow as tf

    x, y, names, _ = cancer_data()
    dataset = tf.data.Dataset.from_tensor_slices((x[:40], y[:40])).batch(16)
    callback = tbe.ExplainCallback(str(tmp_path), probe=dataset, max_probe=20)
    _fit(cancer_mlp(), x, y, callback)
    reader = _reader(str(tmp_path))
    assert reader.config()["probe"]["count"] == 20
    assert reader.methods() == ["integrated_gradients", "smoothgrad"]


def test_configured_method_objects_and_batch_frequency(tmp_path):
    x, y, (xp, yp) = digits_data(n_probe=8)
    methods = [tbe.Method("integrated_gradients", n_steps=8), tbe.Method("gradients")]
    callback = tbe.ExplainCallback(
        str(tmp_path),
        probe=(xp, yp),
        methods=methods,
        every_n_batches=10,
        every_n_epochs=1,
        quality=False,
    )
    _fit(digits_cnn(), x[:640], y[:640], callback)
    reader = _reader(str(tmp_path))
    assert reader.steps(summary.PREDICTIONS) == [0, 10]
    options = reader.config()["methods"][0]["options"]
    assert options["n_steps"] == 8 if "n_steps" in options else options


# --------------------------------------------------------------------------
# Validation at on_train_begin: raised before any batch runs.


def _assert_fails_before_training(model, x, y, callback, match):
    counter = BatchCounter()
    with pytest.raises(ValueError, match=match):
        model.fit(
            x, y, epochs=1, batch_size=64, verbose=0, callbacks=[callback, counter]
        )
    assert counter.batches == 0
    assert int(np.asarray(model.optimizer.iterations)) == 0


def test_probe_shape_mismatch_fails_early(tmp_path):
    x, y, _ = digits_data()
    callback = tbe.ExplainCallback(str(tmp_path), probe=np.zeros((4, 9, 9, 2)))
    _assert_fails_before_training(digits_cnn(), x, y, callback, "probe")


def test_unknown_method_fails_at_construction(tmp_path):
    with pytest.raises(ValueError, match="Unknown method 'deeplift'"):
        tbe.ExplainCallback(str(tmp_path), probe=np.ones((2, 3)), methods=["deeplift"])


def test_grad_cam_on_dense_model_fails_early(tmp_path):
    x, y, _, (xp, yp) = cancer_data()
    callback = tbe.ExplainCallback(str(tmp_path), probe=(xp, yp), methods=["grad_cam"])
    message = "Grad-CAM needs an image"
    _assert_fails_before_training(cancer_mlp(), x, y, callback, message)


def test_class_names_of_wrong_length_fail_early(tmp_path):
    x, y, (xp, yp) = digits_data()
    callback = tbe.ExplainCallback(
        str(tmp_path), probe=(xp, yp), class_names=["a", "b", "c"]
    )
    _assert_fails_before_training(digits_cnn(), x, y, callback, "class_names")


def test_feature_names_of_wrong_length_fail_early(tmp_path):
    x, y, _, (xp, yp) = cancer_data()
    callback = tbe.ExplainCallback(
        str(tmp_path), probe=(xp, yp), feature_names=["only one"]
    )
    _assert_fails_before_training(cancer_mlp(), x, y, callback, "feature_names")


def test_unwritable_log_dir_fails_early(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    x, y, _, (xp, yp) = cancer_data()
    callback = tbe.ExplainCallback(str(blocker / "run"), probe=(xp, yp))
    _assert_fails_before_training(cancer_mlp(), x, y, callback, "not writable")
    assert blocker.read_text() == "not a folder"


def test_true_target_without_labels_fails_early(tmp_path):
    x, y, _, (xp, _) = cancer_data()
    callback = tbe.ExplainCallback(str(tmp_path), probe=xp, target="true")
    _assert_fails_before_training(cancer_mlp(), x, y, callback, "no labels")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"every_n_epochs": 0}, "every_n_epochs"),
        ({"every_n_batches": -1}, "every_n_batches"),
        ({"target": "best"}, "target"),
        ({"modality": "video"}, "modality"),
        ({"methods": []}, "methods"),
        ({"probe": None}, "probe"),
    ],
)
def test_bad_arguments_fail_at_construction(tmp_path, kwargs, match):
    arguments = {"log_dir": str(tmp_path), "probe": np.ones((2, 3))}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        tbe.ExplainCallback(**arguments)


# --------------------------------------------------------------------------
# Faults during training: logged, skipped, training goes on.


def test_nan_attributions_are_skipped_and_training_continues(tmp_path, caplog):
    x, y, (xp, yp) = digits_data(n_probe=6)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Lambda(lambda t: keras.ops.sqrt(t)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    callback = tbe.ExplainCallback(
        str(tmp_path), probe=(xp, yp), methods=("gradients", "occlusion"), quality=False
    )
    with caplog.at_level(logging.WARNING, logger="tb_explain.callbacks"):
        history = model.fit(
            x, y, epochs=2, batch_size=128, verbose=0, callbacks=[callback]
        )
    assert len(history.history["loss"]) == 2
    messages = [r.getMessage() for r in caplog.records]
    assert any("'gradients'" in m and "NaN" in m and "'0'" in m for m in messages)
    reader = _reader(str(tmp_path))
    assert not reader.has(summary.attributions_tag("gradients"))
    assert len(reader.steps(summary.attributions_tag("occlusion"))) == 3
    assert reader.step_info(reader.steps(summary.STEP_INFO)[-1])["methods"] == [
        "occlusion"
    ]


def test_maps_are_stored_at_two_bytes_per_value(callback_logdir):
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    logdir, _ = callback_logdir
    folder = os.path.join(logdir, "digits", "explain")
    sizes = {}
    for name in tf.io.gfile.listdir(folder):
        for record in tf.data.TFRecordDataset(os.path.join(folder, name)):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                if value.tag.startswith("attributions/"):
                    tensor = value.tensor
                    count = int(np.prod([d.size for d in tensor.tensor_shape.dim]))
                    sizes[(value.tag, event.step)] = (
                        tensor.dtype,
                        len(tensor.tensor_content) / count,
                    )
    assert len(sizes) == 3 * 4
    assert {dtype for dtype, _ in sizes.values()} == {tf.float16.as_datatype_enum}
    assert {per_value for _, per_value in sizes.values()} == {2.0}


def test_quality_figures_match_an_independent_completeness(callback_logdir):
    logdir, models = callback_logdir
    model, (x_probe, _) = models["digits"]
    reader = summary.open_logdir(logdir).reader("digits/explain")
    targets = reader.at(summary.TARGETS).value
    rows = np.arange(len(targets))
    f_x = model.predict(x_probe, verbose=0)[rows, targets].astype(np.float64)
    f_0 = model.predict(np.zeros_like(x_probe), verbose=0)[rows, targets]
    total = reader.at(summary.attributions_tag("integrated_gradients")).value
    total = total.reshape(len(rows), -1).sum(axis=1).astype(np.float64)
    expected = np.abs(total - (f_x - f_0)) / np.abs(f_x - f_0)
    written = reader.at(summary.quality_tag("completeness", "integrated_gradients"))
    # float16 maps: the sum of 64 values carries about 1e-3 of their scale.
    scale = np.abs(reader.at(summary.attributions_tag("integrated_gradients")).value)
    atol = 64 * 1e-3 * scale.max() / np.abs(f_x - f_0).min()
    np.testing.assert_allclose(written.value, expected, atol=max(atol, 1e-3))
    entries = reader.at(summary.QUALITY_SUMMARY).value
    metrics = {(e["metric"], e["method"]) for e in entries}
    assert ("completeness", "integrated_gradients") in metrics
    assert ("randomisation", "grad_cam") in metrics
    assert ("stability", "gradients") in metrics
    assert {e["status"] for e in entries} <= {"pass", "warn", "fail", "info"}
    info = reader.at(summary.QUALITY_INFO).value
    assert info["fill"] == "zeros"  # no baselines given: the all-zero input
    np.testing.assert_allclose(info["output_baselines"], f_0, rtol=1e-4, atol=1e-6)


# --------------------------------------------------------------------------
# What the quality figures are fed.


def test_stability_leaves_out_samples_whose_target_changed(callback_logdir):
    """A map of another class is not compared: NaN exactly there."""
    logdir, _ = callback_logdir
    reader = summary.open_logdir(logdir).reader("digits/explain")
    tag = summary.quality_tag("stability", "gradients")
    steps = reader.steps(summary.TARGETS)
    changed = 0
    for before, step in zip(steps, steps[1:]):
        if step not in reader.steps(tag):
            continue
        differ = reader.at(summary.TARGETS, before).value != (
            reader.at(summary.TARGETS, step).value
        )
        stability = reader.at(tag, step).value
        np.testing.assert_array_equal(np.isnan(stability), differ)
        changed += int(differ.sum())
    assert changed > 0  # the untrained model's classes change as it learns


def test_quality_follows_the_methods_own_baselines(tmp_path):
    """Completeness against the baselines IG was given, not the callback's."""
    x, y, names, (x_probe, y_probe) = cancer_data()
    model = cancer_mlp()
    baselines = np.full((1, x.shape[1]), 0.5, np.float32)
    method = tbe.Method("integrated_gradients", baselines=baselines, n_steps=64)
    callback = tbe.ExplainCallback(
        str(tmp_path), probe=(x_probe, y_probe), methods=(method, "gradients")
    )
    _fit(model, x, y, callback)
    reader = _reader(str(tmp_path))
    info = reader.at(summary.QUALITY_INFO).value
    f_base = model.predict(np.repeat(baselines, len(x_probe), axis=0), verbose=0)
    np.testing.assert_allclose(info["output_baselines"], f_base[:, 0], rtol=1e-4)
    f_x = model.predict(x_probe, verbose=0)[:, 0].astype(np.float64)
    gap = f_x - f_base[:, 0]
    total = reader.at(summary.attributions_tag("integrated_gradients")).value
    expected = np.abs(total.sum(axis=1) - gap) / np.abs(gap)
    written = reader.at(summary.quality_tag("completeness", "integrated_gradients"))
    informative = np.abs(gap) >= 0.05
    assert informative.sum() >= 8
    # float16 maps: 30 values each within 2**-11 of the step's largest value.
    atol = 30 * 2**-11 * np.abs(total).max() / np.abs(gap[informative]).min()
    np.testing.assert_allclose(
        written.value[informative], expected[informative], atol=max(atol, 1e-3)
    )
    # The report names the baseline the maps and checks used.
    assert reader.config()["baselines"]["kind"] == "constant"
    page = tbe.report.build(str(tmp_path), format="html")
    assert "relative to a constant input of 0.5" in page
    assert "all-zero input" not in page


def test_quality_every_epoch_when_batches_divide_the_epoch(tmp_path):
    """The batch hook explains the epoch's last step; quality still runs."""
    x, y, _, probe = cancer_data()
    model = cancer_mlp()
    batches = -(-len(x) // 64)
    callback = tbe.ExplainCallback(
        str(tmp_path), probe=probe, methods=("gradients",), every_n_batches=batches
    )
    _fit(model, x, y, callback, epochs=2)
    reader = _reader(str(tmp_path))
    quality_steps = reader.steps(summary.QUALITY_SUMMARY)
    assert quality_steps == [batches, 2 * batches]


def test_quality_on_a_one_input_model_with_a_dict_probe(tmp_path):
    x, y, _, (x_probe, y_probe) = cancer_data()
    inputs = keras.Input((x.shape[1],), name="features")
    outputs = keras.layers.Dense(1, activation="sigmoid")(
        keras.layers.Dense(8, activation="relu")(inputs)
    )
    model = keras.Model({"features": inputs}, outputs)
    model.compile("adam", "binary_crossentropy")
    callback = tbe.ExplainCallback(
        str(tmp_path),
        probe=({"features": x_probe}, y_probe),
        methods=("integrated_gradients",),
    )
    _fit(model, {"features": x}, y, callback)
    reader = _reader(str(tmp_path))
    written = reader.at(summary.quality_tag("completeness", "integrated_gradients"))
    assert written.value.shape == (len(x_probe),)
    assert np.isfinite(written.value).any()


# --------------------------------------------------------------------------
# Checks before the first batch, and steps across fits.


def test_labels_outside_the_head_fail_early(tmp_path):
    x, y, (xp, yp) = digits_data()
    bad = np.where(np.arange(len(yp)) == 0, 12, yp)
    callback = tbe.ExplainCallback(str(tmp_path), probe=(xp, bad))
    _assert_fails_before_training(digits_cnn(), x, y, callback, "class 12")
    one_hot = np.eye(4)[np.asarray(yp) % 4]
    callback = tbe.ExplainCallback(str(tmp_path), probe=(xp, one_hot))
    _assert_fails_before_training(digits_cnn(), x, y, callback, "4 columns")


def test_binary_task_on_two_units_and_class_names_on_regression_fail_early(tmp_path):
    x, y, (xp, yp) = digits_data()
    callback = tbe.ExplainCallback(str(tmp_path), probe=(xp, yp), task="binary")
    _assert_fails_before_training(digits_cnn(), x, y, callback, "task='binary'")
    rng = np.random.default_rng(0)
    xr = rng.normal(size=(64, 3)).astype(np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("adam", "mse")
    callback = tbe.ExplainCallback(
        str(tmp_path), probe=(xr[:8], xr[:8, :1]), class_names=["a", "b"]
    )
    _assert_fails_before_training(model, xr, xr[:, :1], callback, "class_names")


def test_integer_features_are_tabular_and_probe_shaped_baselines_pass(tmp_path):
    """Counts are features, not tokens, without an Embedding; baselines may
    have one row per probe sample."""
    rng = np.random.default_rng(1)
    x = rng.integers(0, 5, size=(64, 4)).astype(np.int64)
    y = (x.sum(axis=1) > 8).astype(np.float32)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")]
    )
    model.compile("adam", "binary_crossentropy")
    baselines = np.full((8, 4), 2.0, np.float32)
    callback = tbe.ExplainCallback(
        str(tmp_path),
        probe=(x[:8], y[:8], np.ones(8)),  # (x, y, sample_weight)
        feature_names=["a", "b", "c", "d"],
        baselines=baselines,
        methods=("integrated_gradients",),
    )
    _fit(model, x, y, callback)
    reader = _reader(str(tmp_path))
    assert reader.config()["modality"] == "tabular"
    written = reader.at(summary.attributions_tag("integrated_gradients")).value
    expected = tbe.attribute(
        model, x[:8].astype(np.float32), baselines=baselines, target=0
    )
    np.testing.assert_allclose(written, expected, atol=1e-3 * np.abs(expected).max())


def test_steps_keep_increasing_across_fits_and_recompiles(tmp_path):
    x, y, _, probe = cancer_data()
    model = cancer_mlp()
    callback = tbe.ExplainCallback(str(tmp_path), probe=probe, methods=("gradients",))
    _fit(model, x, y, callback)
    _fit(model, x, y, callback)  # iterations go on: the same steps as Keras'
    model.compile("adam", "binary_crossentropy")  # a new optimizer, from 0
    _fit(model, x, y, callback)
    reader = _reader(str(tmp_path))
    steps = reader.steps(summary.PREDICTIONS)
    batches = -(-len(x) // 64)
    assert steps[:3] == [0, batches, 2 * batches]
    assert steps == sorted(set(steps)) and len(steps) == 5
    assert reader.steps(summary.RUN_CONFIG) == [0]
    assert reader.steps(summary.probe_inputs_tag(0)) == [0]


def test_every_n_batches_counts_over_the_whole_training(tmp_path):
    x, y, _, probe = cancer_data()
    batches = -(-len(x) // 64)  # 9 per epoch
    callback = tbe.ExplainCallback(
        str(tmp_path), probe=probe, methods=("gradients",), every_n_batches=4
    )
    _fit(cancer_mlp(), x, y, callback, epochs=2)
    steps = _reader(str(tmp_path)).steps(summary.PREDICTIONS)
    expected = {0, batches, 2 * batches} | set(range(4, 2 * batches + 1, 4))
    assert set(steps) == expected


def test_dead_units_behind_separate_relu_layers():
    """A ReLU layer of its own counts for the weighted layer before it."""
    from tb_explain import model_facts

    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(6),
            keras.layers.ReLU(),
            keras.layers.Dense(2, activation="leaky_relu"),
        ]
    )
    kernel = np.ones((4, 6), np.float32)
    kernel[:, :3] = -1.0  # units 0-2 never fire on positive inputs
    model.layers[0].set_weights([kernel, np.zeros(6, np.float32)])
    x = np.random.default_rng(0).uniform(0.1, 1.0, size=(16, 4)).astype(np.float32)
    dead = model_facts.ActivationProbe(model).dead_fractions(x)
    assert dead == {model.layers[0].name: 0.5}


def test_the_task_comes_from_the_explained_output(tmp_path):
    """A sigmoid head picked by output= is binary, whatever the last layer."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    inputs = keras.Input((4,))
    big = keras.layers.Dense(1, activation="sigmoid", name="is_big")(inputs)
    kind = keras.layers.Dense(3, activation="softmax", name="kind")(inputs)
    model = keras.Model(inputs, [big, kind])  # the softmax is the last layer
    assert model.layers[-1].name == "kind"
    model.compile("adam", ["binary_crossentropy", "sparse_categorical_crossentropy"])
    y = [(x[:, 0] > 0).astype(np.float32), rng.integers(0, 3, 64)]
    callback = tbe.ExplainCallback(
        str(tmp_path), probe=x[:8], methods=("gradients",), output="is_big"
    )
    model.fit(x, y, epochs=1, verbose=0, callbacks=[callback])
    assert _reader(str(tmp_path)).config()["task"] == "binary"


@pytest.mark.parametrize("as_dict", [False, True])
def test_labels_given_per_output_keep_the_explained_one(tmp_path, as_dict):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(64, 4)).astype(np.float32)
    inputs = keras.Input((4,))
    big = keras.layers.Dense(1, activation="sigmoid", name="is_big")(inputs)
    kind = keras.layers.Dense(3, activation="softmax", name="kind")(inputs)
    model = keras.Model(inputs, [big, kind])
    model.compile("adam", ["binary_crossentropy", "sparse_categorical_crossentropy"])
    y_big, y_kind = (x[:, 0] > 0).astype(np.float32), rng.integers(0, 3, 64)
    labels = (
        {"is_big": y_big[:8], "kind": y_kind[:8]}
        if as_dict
        else [
            y_big[:8],
            y_kind[:8],
        ]
    )
    callback = tbe.ExplainCallback(
        str(tmp_path),
        probe=(x[:8], labels),
        methods=("gradients",),
        output="kind" if as_dict else 1,
        target="true",
    )
    model.fit(x, [y_big, y_kind], epochs=1, verbose=0, callbacks=[callback])
    reader = _reader(str(tmp_path))
    np.testing.assert_array_equal(reader.at(summary.PROBE_LABELS).value, y_kind[:8])
    np.testing.assert_array_equal(reader.at(summary.TARGETS).value, y_kind[:8])
