"""The API's breadth: a functional model with two inputs and a regression head.

House prices from a tabular block (size, rooms, age) and a short sequence of
monthly market indices. Integrated gradients explain each input separately,
and completeness holds over both together.

    python examples/multi_input_regression.py --logdir logs
"""

from __future__ import annotations

import argparse
import logging
import os

import keras
import numpy as np
from _common import write_reports

import tb_explain as tbe

FEATURES = ["size", "rooms", "age", "distance", "garden"]


def make_data(n: int, seed: int = 0):
    """Synthetic prices: a known function of both inputs plus noise."""
    rng = np.random.default_rng(seed)
    house = rng.normal(size=(n, len(FEATURES))).astype(np.float32)
    market = rng.normal(size=(n, 12, 1)).astype(np.float32)
    price = (
        2.0 * house[:, 0]
        + 0.5 * house[:, 1]
        - 1.0 * house[:, 3]
        + 0.8 * market[:, -3:, 0].mean(axis=1)
        + 0.1 * rng.normal(size=n)
    )
    return house, market, price.astype(np.float32)[:, None]


def build_model() -> keras.Model:
    """Two inputs, one dense branch, one convolutional branch, linear head."""
    house = keras.Input((len(FEATURES),), name="house")
    market = keras.Input((12, 1), name="market")
    a = keras.layers.Dense(16, activation="relu")(house)
    b = keras.layers.Conv1D(8, 3, activation="relu")(market)
    b = keras.layers.GlobalAveragePooling1D()(b)
    price = keras.layers.Dense(1, name="price")(keras.layers.Concatenate()([a, b]))
    model = keras.Model({"house": house, "market": market}, price, name="prices")
    model.compile("adam", "mse", metrics=["mae"])
    return model


def main(argv=None) -> list[str]:
    """Trains the model with the callback and checks completeness by hand."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="logs")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--fast", action="store_true", help="1 epoch")
    args = parser.parse_args(argv)
    epochs = 1 if args.fast else args.epochs

    house, market, price = make_data(1024)
    inputs = {"house": house, "market": market}
    keras.utils.set_random_seed(0)
    model = build_model()
    probe = ({"house": house[:32], "market": market[:32]}, price[:32])
    callback = tbe.ExplainCallback(
        log_dir=os.path.join(args.logdir, model.name),
        probe=probe,
        methods=("integrated_gradients", "gradients"),
        modality="tabular",
        feature_names=FEATURES,  # of the first tabular input, "house"
    )
    model.fit(
        inputs, price, epochs=epochs, batch_size=64, verbose=0, callbacks=[callback]
    )

    # The engine alone: attributions per input, completeness over both.
    attributions = tbe.attribute(model, probe[0], "integrated_gradients", n_steps=64)
    total = sum(a.reshape(len(a), -1).sum(axis=1) for a in attributions.values())
    gap = (
        model.predict(probe[0], verbose=0)[:, 0]
        - model.predict({k: np.zeros_like(v) for k, v in probe[0].items()}, verbose=0)[
            :, 0
        ]
    )
    logging.info("largest completeness gap: %.2e", float(np.abs(total - gap).max()))
    run = f"{model.name}/explain"
    return write_reports(args.logdir, run, os.path.join(args.logdir, "reports"))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
