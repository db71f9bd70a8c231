"""Logdirs shared by the plugin, report and server tests.

Two kinds:

- ``schema_logdir``: runs written directly through ``tb_explain.summary`` with
  known values (fast, and the values are known to the tests that read them);
- ``callback_logdir``: runs written by ``ExplainCallback`` while tiny models
  train on ``load_digits`` (images) and ``load_breast_cancer`` (tabular).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from tb_explain import summary

IMAGE_CLASSES = [f"digit {i}" for i in range(10)]


def write_schema_run(
    run_dir: str,
    *,
    modality: str = "image",
    n: int = 12,
    steps: tuple[int, ...] = (0, 5, 10),
    methods: tuple[str, ...] = ("integrated_gradients", "smoothgrad"),
    class_names: list[str] | None = None,
    feature_names: list[str] | None = None,
    seed: int = 0,
) -> dict:
    """Writes one run of every tag the callback writes, with known values.

    Returns:
        The values written, for the tests to compare against:
        ``{"inputs", "labels", "predictions": {step: ...},
        "attributions": {(method, step): ...}}``.
    """
    rng = np.random.default_rng(seed)
    writer = summary.SummaryWriter(os.path.join(run_dir, "explain"))
    if modality == "image":
        shape, n_classes = (8, 8, 1), 10
        class_names = class_names or IMAGE_CLASSES
    else:
        shape, n_classes = (5,), 2
        class_names = class_names or ["benign", "malignant"]
        feature_names = feature_names or [f"feature {i}" for i in range(5)]
    inputs = rng.uniform(0, 16, size=(n,) + shape).astype(np.float32)
    labels = rng.integers(0, n_classes, size=n).astype(np.int32)
    first = steps[0]
    display, value_range = _display(inputs, modality)
    writer.write_array(summary.probe_inputs_tag(0), display, first)
    writer.write_array(summary.PROBE_LABELS, labels, first)
    writer.write_json(summary.RUN_MODEL, _model_overview(shape, n_classes), first)
    writer.write_json(
        summary.RUN_CONFIG,
        _config(
            modality,
            shape,
            n,
            n_classes,
            class_names,
            feature_names,
            methods,
            value_range,
        ),
        first,
    )
    written = {
        "inputs": inputs,
        "labels": labels,
        "predictions": {},
        "attributions": {},
    }
    for index, step in enumerate(steps):
        logits = rng.normal(size=(n, n_classes)) + 3 * np.eye(n_classes)[labels] * (
            index / max(len(steps) - 1, 1)
        )
        predictions = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        predictions = predictions.astype(np.float32)
        targets = predictions.argmax(axis=1).astype(np.int32)
        writer.write_array(summary.PREDICTIONS, predictions, step)
        writer.write_array(summary.TARGETS, targets, step)
        written["predictions"][step] = predictions
        scales = {}
        for method in methods:
            maps = rng.normal(
                scale=1e-3 * (index + 1),
                size=(n,) + shape[: 2 if modality == "image" else 1],
            ).astype(np.float32)
            written["attributions"][(method, step)] = maps
            tag = summary.attributions_tag(method, 0)
            scales[tag] = writer.write_map(tag, maps, step)
            importance = np.stack(
                [np.abs(maps).mean(axis=0)]
                + [
                    np.abs(maps[labels == c]).mean(axis=0)
                    if (labels == c).any()
                    else np.full(maps.shape[1:], np.nan)
                    for c in range(n_classes)
                ]
            )
            tag = summary.importance_tag(method, 0)
            scales[tag] = writer.write_map(tag, importance, step)
            completeness = rng.uniform(0, 0.1, size=n).astype(np.float32)
            writer.write_array(
                summary.quality_tag("completeness", method), completeness, step
            )
        writer.write_array(summary.log_tag("loss"), np.float32(2.0 / (index + 1)), step)
        writer.write_array(
            summary.log_tag("accuracy"), np.float32(0.5 + 0.1 * index), step
        )
        writer.write_json(
            summary.WEIGHT_STATS,
            [
                {
                    "layer": "dense",
                    "class": "Dense",
                    "weight_norm": 1.0 + index,
                    "weight_mean": 0.0,
                    "weight_std": 0.1,
                    "dead_fraction": 0.0,
                    "grad_norm": 0.5,
                }
            ],
            step,
        )
        writer.write_json(
            summary.QUALITY_SUMMARY,
            [
                {
                    "metric": "completeness",
                    "method": m,
                    "value": 0.05,
                    "interval": [0.03, 0.07],
                    "n": n,
                    "rule": "pass <= 0.05",
                    "threshold": 0.05,
                    "status": "pass",
                }
                for m in methods
            ],
            step,
        )
        writer.write_json(
            summary.STEP_INFO,
            {
                "step": step,
                "epoch": index,
                "kind": "epoch" if index else "initial",
                "wall_time": 1.0e9 + index,
                "weights_sha256": f"{index:064x}",
                "methods": list(methods),
                "scales": scales,
                "seconds": 0.1,
            },
            step,
        )
    writer.close()
    return written


def _display(inputs, modality):
    if modality != "image":
        return inputs, [float(inputs.min()), float(inputs.max())]
    low, high = float(inputs.min()), float(inputs.max())
    scaled = np.round((inputs - low) / (high - low) * 255).astype(np.uint8)
    return scaled, [low, high]


def _model_overview(shape, n_classes):
    return {
        "name": "tiny",
        "class": "Sequential",
        "total_params": 100,
        "trainable_params": 100,
        "layers": [
            {
                "name": "dense",
                "class": "Dense",
                "output_shape": [None, n_classes],
                "params": 100,
                "activation": "softmax",
                "regularizers": [],
            }
        ],
        "optimizer": {"name": "Adam", "config": {"learning_rate": 0.001}},
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
    }


def _config(
    modality, shape, n, n_classes, class_names, feature_names, methods, value_range
):
    return {
        "schema_version": summary.SCHEMA_VERSION,
        "versions": {
            "tb_explain": "test",
            "tensorflow": "test",
            "keras": "test",
            "python": "test",
        },
        "created": 1.0e9,
        "modality": modality,
        "task": "multiclass" if n_classes > 2 else "binary",
        "n_outputs": n_classes,
        "n_classes": n_classes,
        "class_names": class_names,
        "feature_names": feature_names,
        "inputs": [
            {
                "name": "input_0",
                "shape": list(shape),
                "dtype": "float32",
                "modality": modality,
                "range": value_range,
            }
        ],
        "methods": [
            {"key": m, "name": m, "label": m.replace("_", " "), "options": {}}
            for m in methods
        ],
        "probe": {"count": n, "ids": [str(i) for i in range(n)], "has_labels": True},
        "baselines": {"kind": "zeros", "description": "all-zero input"},
        "target": "predicted",
        "output": None,
        "every_n_epochs": 1,
        "every_n_batches": None,
        "quality": True,
        "quality_every_n_epochs": 1,
    }


@pytest.fixture(scope="session")
def schema_logdir(tmp_path_factory):
    """A logdir with an image run ``images`` and a tabular run ``tabular``.

    Returns:
        ``(logdir, {"images": written, "tabular": written})``.
    """
    logdir = str(tmp_path_factory.mktemp("schema_logdir"))
    written = {
        "images": write_schema_run(os.path.join(logdir, "images"), modality="image"),
        "tabular": write_schema_run(
            os.path.join(logdir, "tabular"), modality="tabular", seed=1
        ),
    }
    return logdir, written


# --------------------------------------------------------------------------
# Runs written by the real callback.


def digits_data(n_probe: int = 32):
    """``load_digits`` as images ``(n, 8, 8, 1)`` in [0, 1], labels, probe split."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    y = digits.target.astype(np.int32)
    return x, y, (x[-n_probe:], y[-n_probe:])


def cancer_data(n_probe: int = 32):
    """``load_breast_cancer`` standardised, labels, feature names, probe split."""
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    x = data.data.astype(np.float32)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    y = data.target.astype(np.float32)
    names = [str(n) for n in data.feature_names]
    return x, y, names, (x[-n_probe:], y[-n_probe:])


def digits_cnn():
    """A small CNN for 8x8 digits with a softmax head (about 96% in 3 epochs)."""
    import keras

    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="digits_cnn",
    )
    model.compile(
        keras.optimizers.Adam(0.01),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def cancer_mlp(n_features: int = 30):
    """A small MLP with a sigmoid head for breast cancer."""
    import keras

    model = keras.Sequential(
        [
            keras.Input((n_features,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="cancer_mlp",
    )
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="session")
def callback_logdir(tmp_path_factory):
    """Runs ``digits`` (CNN, 3 epochs) and ``cancer`` (MLP, 3 epochs).

    Returns:
        ``(logdir, {"digits": (model, probe), "cancer": (model, probe)})`` with
        the trained models, so tests can compare what was written with what
        the models compute now.
    """
    import keras

    import tb_explain as tbe

    logdir = str(tmp_path_factory.mktemp("callback_logdir"))
    keras.utils.set_random_seed(0)
    x, y, probe = digits_data()
    digits = digits_cnn()
    digits.fit(
        x,
        y,
        epochs=3,
        batch_size=128,
        verbose=0,
        callbacks=[
            tbe.ExplainCallback(
                os.path.join(logdir, "digits"),
                probe=probe,
                methods=("gradients", "integrated_gradients", "grad_cam"),
                class_names=[f"digit {i}" for i in range(10)],
            )
        ],
    )
    x, y, names, probe_c = cancer_data()
    cancer = cancer_mlp()
    cancer.fit(
        x,
        y,
        epochs=3,
        batch_size=64,
        verbose=0,
        callbacks=[
            tbe.ExplainCallback(
                os.path.join(logdir, "cancer"),
                probe=probe_c,
                methods=("integrated_gradients", "gradient_x_input"),
                class_names=["malignant", "benign"],
                feature_names=names,
            )
        ],
    )
    return logdir, {"digits": (digits, probe), "cancer": (cancer, probe_c)}


@pytest.fixture(scope="session")
def mirrored_run(tmp_path_factory):
    """A run written under MirroredStrategy by ``tests/mirrored_fit.py``.

    The fit runs once a session, in a subprocess (the two logical CPUs must be
    set before TensorFlow starts).

    Returns:
        The run folder; it holds ``explain/`` and ``predictions.npy``.
    """
    import subprocess
    import sys

    run_dir = tmp_path_factory.mktemp("mirrored") / "run"
    script = os.path.join(os.path.dirname(__file__), "mirrored_fit.py")
    result = subprocess.run(
        [sys.executable, script, str(run_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return run_dir
