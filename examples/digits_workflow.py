"""The classic workflow on handwritten digits: prepare, build, train, view, report.

A dense network and a CNN are trained with ``ExplainCallback``; both runs land
in one logdir, so the Explain tab compares them and the report explains each.

    python examples/digits_workflow.py --logdir logs
    tensorboard --logdir logs          # then open the Explain tab

``--dataset mnist`` loads real MNIST through ``keras.datasets`` when the network
allows it; the default uses scikit-learn's digits (no download).
"""

from __future__ import annotations

import argparse
import logging
import os

import keras
from _common import load_digit_images, write_reports

import tb_explain as tbe

CLASS_NAMES = [str(d) for d in range(10)]


def dense_model(shape) -> keras.Model:
    """A dense network: flatten, one hidden layer, dropout, softmax."""
    model = keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="dense",
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def cnn_model(shape) -> keras.Model:
    """A real CNN: two convolution blocks, then a softmax over the features."""
    model = keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ],
        name="cnn",
    )
    model.compile(
        keras.optimizers.Adam(3e-3),
        "sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def main(argv=None) -> list[str]:
    """Trains both models with the callback and writes their reports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logdir", default="logs")
    parser.add_argument("--dataset", choices=["digits", "mnist"], default="digits")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--probe", type=int, default=64)
    parser.add_argument("--fast", action="store_true", help="1 epoch, 8 probes")
    args = parser.parse_args(argv)
    epochs, n_probe = (1, 8) if args.fast else (args.epochs, args.probe)

    # 1. Prepare: images in [0, 1], a fixed probe from the test split.
    x_train, y_train, x_test, y_test = load_digit_images(args.dataset)
    probe = (x_test[:n_probe], y_test[:n_probe])

    # 2-3. Build and train each model with the callback.
    reports = []
    for build in (dense_model, cnn_model):
        keras.utils.set_random_seed(0)
        model = build(x_train.shape[1:])
        methods = ["integrated_gradients", "smoothgrad", "gradients"]
        if build is cnn_model:
            methods.append("grad_cam")
        callback = tbe.ExplainCallback(
            log_dir=os.path.join(args.logdir, model.name),
            probe=probe,
            methods=methods,
            class_names=CLASS_NAMES,
        )
        model.fit(
            x_train,
            y_train,
            epochs=epochs,
            batch_size=64,
            verbose=0,
            validation_data=(x_test, y_test),
            callbacks=[callback],
        )
        accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
        logging.info("%s: test accuracy %.3f", model.name, accuracy)

        # 4-5. View in TensorBoard; write the business report.
        run = f"{model.name}/explain"
        reports += write_reports(args.logdir, run, os.path.join(args.logdir, "reports"))
    return reports


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for path in main():
        print("report:", path)
