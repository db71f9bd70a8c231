"""Tabular data: breast cancer diagnosis with feature names and a sigmoid head.

The report's reasons come out in feature terms ("worst radius = 1.9 (scaled)
accounted for 23% of the attribution").

    python examples/tabular_breast_cancer.py --logdir logs
"""

from __future__ import annotations

import argparse
import logging
import os

import keras
import numpy as np
from _common import write_reports
from sklearn.datasets import load_breast_cancer

import tb_explain as tbe


def main(argv=None) -> list[str]:
    """Trains a small MLP with the callback and writes its reports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="logs")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--fast", action="store_true", help="2 epochs, 16 probes")
    args = parser.parse_args(argv)
    epochs, n_probe = (2, 16) if args.fast else (args.epochs, 64)

    # Prepare: standardise each feature; keep the names for the report.
    data = load_breast_cancer()
    x = data.data.astype(np.float32)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    y = data.target.astype(np.float32)
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order], y[order]
    x_train, y_train, x_test, y_test = x[:450], y[:450], x[450:], y[450:]

    # Build: a sigmoid head gives P(benign), class 1 of the data set.
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((x.shape[1],)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(1, activation="sigmoid"),
        ],
        name="breast_cancer",
    )
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])

    # Train with the callback; the baseline is the average patient (all zeros
    # after standardisation), which the report names.
    callback = tbe.ExplainCallback(
        log_dir=os.path.join(args.logdir, model.name),
        probe=(x_test[:n_probe], y_test[:n_probe]),
        methods=("integrated_gradients", "gradient_x_input", "kernel_shap"),
        class_names=[str(c) for c in data.target_names],
        feature_names=[str(f) for f in data.feature_names],
    )
    model.fit(
        x_train, y_train, epochs=epochs, batch_size=32, verbose=0, callbacks=[callback]
    )
    run = f"{model.name}/explain"
    return write_reports(args.logdir, run, os.path.join(args.logdir, "reports"))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for path in main():
        print("report:", path)
