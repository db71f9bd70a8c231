"""The callback under tf.distribute: one writer, the chief."""

from __future__ import annotations

import os
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


def test_mirrored_strategy_writes_once(mirrored_run):
    from mirrored_fit import METHODS, N_PROBE

    logdir = summary.open_logdir(str(mirrored_run.parent))
    assert logdir.runs() == ["run/explain"]
    reader = logdir.reader("run/explain")
    steps = [d.step for d in reader.read(summary.PREDICTIONS)]
    assert steps == [0, 2, 4]
    events = os.listdir(mirrored_run / "explain")
    assert len([name for name in events if "tfevents" in name]) == 1
    np.testing.assert_allclose(
        reader.at(summary.PREDICTIONS).value,
        np.load(mirrored_run / "predictions.npy"),
        rtol=1e-5,
        atol=1e-6,
    )
    maps = {m: reader.at(summary.attributions_tag(m)).value for m in METHODS}
    assert maps["grad_cam"].shape == (N_PROBE, 8, 8)
    assert np.isfinite(maps["integrated_gradients"]).all()
    assert np.abs(maps["integrated_gradients"]).max() > 0
