"""The callback under tf.distribute: one writer, the chief."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

from tb_explain import distribute, summary


@pytest.mark.parametrize(
    "task_type, task_id, cluster, expected",
    [
        (None, None, {}, True),
        ("chief", 0, {"chief": ["a"], "worker": ["b", "c"]}, True),
        ("worker", 0, {"chief": ["a"], "worker": ["b", "c"]}, False),
        ("worker", 0, {"worker": ["b", "c"]}, True),
        ("worker", 1, {"worker": ["b", "c"]}, False),
        ("evaluator", 0, {"worker": ["b"], "evaluator": ["e"]}, False),
    ],
)
def test_chief_decision(task_type, task_id, cluster, expected):
    assert distribute.chief_decision(task_type, task_id, cluster) is expected


def _model_under(task_type, task_id, cluster):
    import tensorflow as tf

    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec(cluster), task_type=task_type, task_id=task_id
    )
    strategy = types.SimpleNamespace(cluster_resolver=resolver)
    return types.SimpleNamespace(distribute_strategy=strategy)


def test_is_chief_reads_a_simulated_multi_worker_cluster():
    cluster = {"worker": ["127.0.0.1:1", "127.0.0.1:2"]}
    assert distribute.is_chief(_model_under("worker", 0, cluster))
    assert not distribute.is_chief(_model_under("worker", 1, cluster))


def test_non_chief_writes_nothing(tmp_path, monkeypatch):
    from fixtures_logdirs import cancer_data, cancer_mlp

    import tb_explain as tbe
    from tb_explain import callbacks

    monkeypatch.setattr(callbacks, "is_chief", lambda model: False)
    x, y, _, probe = cancer_data()
    callback = tbe.ExplainCallback(str(tmp_path / "run"), probe=probe)
    history = cancer_mlp().fit(
        x, y, epochs=2, verbose=0, batch_size=128, callbacks=[callback]
    )
    assert len(history.history["loss"]) == 2
    explain = tmp_path / "run" / "explain"
    assert not explain.exists() or not any(
        name.startswith("events") for name in os.listdir(explain)
    )


MIRRORED_SCRIPT = textwrap.dedent(
    """
    import os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import tb_explain as tbe
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        model = keras.Sequential([
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
    callback = tbe.ExplainCallback(sys.argv[1], probe=(x[:8], y[:8]),
        methods=("integrated_gradients", "grad_cam"))
    model.fit(x, y, epochs=2, batch_size=128, verbose=0, callbacks=[callback])
    predictions = model.predict(x[:8], verbose=0)
    np.save(os.path.join(sys.argv[1], "predictions.npy"), predictions)
    """
)


def test_mirrored_strategy_writes_once(tmp_path):
    script = tmp_path / "mirrored.py"
    script.write_text(MIRRORED_SCRIPT)
    run = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, str(script), str(run)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    logdir = summary.open_logdir(str(tmp_path))
    assert logdir.runs() == ["run/explain"]
    reader = logdir.reader("run/explain")
    steps = [d.step for d in reader.read(summary.PREDICTIONS)]
    assert steps == [0, 15, 30]
    assert len([f for f in os.listdir(run / "explain") if "tfevents" in f]) == 1
    np.testing.assert_allclose(
        reader.at(summary.PREDICTIONS).value,
        np.load(run / "predictions.npy"),
        rtol=1e-5,
        atol=1e-6,
    )
    assert reader.at(summary.attributions_tag("grad_cam")).value.shape == (8, 8, 8)
