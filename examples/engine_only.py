"""The attribution engine on its own, notebook style: no callback, no TensorBoard.

Trains a small CNN on digits, explains a few test images with every method
and saves one figure per method, plus a check of completeness.

    python examples/engine_only.py --out plots
"""

from __future__ import annotations

import argparse
import logging
import os

import keras
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from _common import load_digit_images  # noqa: E402
from digits_workflow import cnn_model  # noqa: E402

import tb_explain as tbe  # noqa: E402

logger = logging.getLogger("engine_only")


def train(x, y, epochs: int) -> keras.Model:
    """The CNN of the digits workflow, trained for a few epochs."""
    keras.utils.set_random_seed(0)
    model = cnn_model(x.shape[1:])
    model.fit(x, y, epochs=epochs, batch_size=64, verbose=0)
    return model


def save_figure(images, maps, title: str, path: str) -> None:
    """Images on top, their attribution maps below, one shared scale."""
    count = len(images)
    figure, axes = plt.subplots(2, count, figsize=(1.6 * count, 3.4))
    limit = float(np.abs(maps).max()) or 1.0
    for i in range(count):
        axes[0, i].imshow(images[i, ..., 0], cmap="gray")
        shown = axes[1, i].imshow(maps[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
        for row in (0, 1):
            axes[row, i].axis("off")
    figure.colorbar(shown, ax=axes[1, :].tolist(), shrink=0.8)
    figure.suptitle(title)
    figure.savefig(path, dpi=90)
    plt.close(figure)


def main(argv=None) -> list[str]:
    """Explains six test digits with every method and saves the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="plots")
    parser.add_argument("--fast", action="store_true", help="1 epoch")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    x_train, y_train, x_test, _ = load_digit_images()
    model = train(x_train, y_train, epochs=1 if args.fast else 5)
    images = x_test[:6]

    paths = []
    for method in tbe.METHOD_NAMES:
        maps = tbe.attribute(model, images, method=method)
        if maps.ndim == 4:
            maps = maps.sum(axis=-1)
        path = os.path.join(args.out, f"{method}.png")
        save_figure(images, maps, method.replace("_", " "), path)
        paths.append(path)

    # Completeness: the attributions add up to f(x) - f(baseline).
    attributions, delta = tbe.attribute(
        model, images, "integrated_gradients", n_steps=128, return_delta=True
    )
    logger.info("largest completeness gap |delta|: %.2e", float(np.abs(delta).max()))
    return paths


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for saved in main():
        print("saved", saved)
