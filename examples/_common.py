"""Small helpers shared by the example scripts: data that ships in packages."""

from __future__ import annotations

import logging
import os

import numpy as np

logger = logging.getLogger(__name__)


def load_digit_images(dataset: str = "digits", size: int = 28):
    """Handwritten digits as ``(n, size, size, 1)`` images in [0, 1].

    Args:
        dataset: ``"digits"`` (scikit-learn's 1,797 8x8 digits, upscaled; no
            download) or ``"mnist"`` (``keras.datasets.mnist``, downloaded on
            first use; falls back to digits when the download fails).
        size: Side of the square images.

    Returns:
        ``(x_train, y_train, x_test, y_test)``.
    """
    if dataset == "mnist":
        try:
            import keras

            (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
            return (
                (x_train[..., None] / 255.0).astype(np.float32),
                y_train.astype(np.int32),
                (x_test[..., None] / 255.0).astype(np.float32),
                y_test.astype(np.int32),
            )
        except Exception as error:  # no network: say so and use digits
            logger.warning("MNIST could not be loaded (%s); using digits.", error)
    import tensorflow as tf
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[..., None]
    images = tf.image.resize(images, (size, size), method="bilinear").numpy()
    labels = digits.target.astype(np.int32)
    order = np.random.default_rng(0).permutation(len(labels))
    images, labels = images[order], labels[order]
    split = int(0.8 * len(labels))
    return images[:split], labels[:split], images[split:], labels[split:]


def write_reports(logdir: str, run: str, out_dir: str, langs=("en", "zh")) -> list:
    """Writes the HTML report of ``run`` in each language; returns the paths."""
    import tb_explain as tbe

    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for lang in langs:
        html = tbe.report.build(logdir, run=run, format="html", lang=lang)
        path = os.path.join(out_dir, f"{run.replace('/', '-')}-report-{lang}.html")
        with open(path, "w", encoding="utf-8") as f:
            f.write(html)
        paths.append(path)
    return paths
