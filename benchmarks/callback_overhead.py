"""What ExplainCallback costs during training (a benchmark, not a test).

    python benchmarks/callback_overhead.py [--epochs 2] [--big-samples 60000]

For (a) the 1,797 digits and (b) a 60,000-sample epoch (digits upscaled to
28x28 and tiled), with a probe of 32 and the default methods, prints:

- epoch time without and with the callback, and the overhead in percent;
- the callback's own time per explained epoch, split into attributions and
  quality figures;
- that time divided by the floor: the time its gradient evaluations would take
  at the samples/s of one compiled input-gradient pass at batch 256.

Targets (issue 3): attribution time <= 1.3x the floor; the callback's own
time <= 5% of the epoch on (b) with defaults. Bytes per stored map value are
checked by the test suite (``test_maps_are_stored_at_two_bytes_per_value``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
from _common import load_digit_images  # noqa: E402
from digits_workflow import cnn_model as cnn  # noqa: E402

import tb_explain as tbe  # noqa: E402
from tb_explain import callbacks  # noqa: E402


class Timed(tbe.ExplainCallback):
    """ExplainCallback that records how long its epoch work takes."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.explain_seconds, self.quality_seconds, self.epoch_seconds = [], [], []

    def on_epoch_end(self, epoch, logs=None):
        started = time.perf_counter()
        super().on_epoch_end(epoch, logs)
        self.epoch_seconds.append(time.perf_counter() - started)

    def _explain(self, step, kind):
        started = time.perf_counter()
        done = super()._explain(step, kind)
        if kind == "epoch":
            self.explain_seconds.append(time.perf_counter() - started)
        return done

    def _write_quality(self, step):
        started = time.perf_counter()
        super()._write_quality(step)
        self.quality_seconds.append(time.perf_counter() - started)


class EpochClock(keras.callbacks.Callback):
    """Wall time of each epoch, callbacks before it included."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._start)

    def on_train_begin(self, logs=None):
        self.times = []


def floor_rate(model, x) -> float:
    """Samples/s of one compiled input-gradient pass at batch 256."""
    batch = tf.constant(x[:256])

    @tf.function
    def gradient(inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            total = tf.reduce_sum(tf.reduce_max(model(inputs), axis=-1))
        return tape.gradient(total, inputs)

    gradient(batch)
    repeats, started = 20, time.perf_counter()
    for _ in range(repeats):
        gradient(batch).numpy()
    return repeats * 256 / (time.perf_counter() - started)


def evaluations_per_sample(callback) -> int:
    """Gradient evaluations the explained methods make per probe sample."""
    count = 1  # predictions
    for method in callback.methods:
        options = method.options
        if method.name == "integrated_gradients":
            count += options.get("n_steps", 50)
        elif method.name == "smoothgrad":
            count += options.get("n_samples", 25)
        else:
            count += 1
    return count


def measure(name, x, y, epochs, probe_size=32) -> dict:
    """Epoch times with and without the callback on one data set."""
    keras.utils.set_random_seed(0)
    plain = EpochClock()
    cnn(x.shape[1:]).fit(
        x, y, epochs=epochs, batch_size=64, verbose=0, callbacks=[plain]
    )
    keras.utils.set_random_seed(0)
    model, clock = cnn(x.shape[1:]), EpochClock()
    with tempfile.TemporaryDirectory() as logdir:
        explain = Timed(logdir, probe=(x[:probe_size], y[:probe_size]))
        model.fit(
            x, y, epochs=epochs, batch_size=64, verbose=0, callbacks=[explain, clock]
        )
    without, with_ = np.median(plain.times[1:]), np.median(clock.times[1:])
    own = np.median(explain.epoch_seconds[1:])
    attribution = np.median(explain.explain_seconds[1:])
    quality = np.median(explain.quality_seconds[1:-1] or explain.quality_seconds)
    floor = probe_size * evaluations_per_sample(explain) / floor_rate(model, x)
    return {
        "name": name,
        "without": without,
        "with": with_,
        "overhead": 100 * (with_ - without) / without,
        "own": own,
        "share": 100 * own / without,
        "attribution": attribution,
        "quality": quality,
        "vs_floor": attribution / floor,
        "floor": floor,
    }


def main(argv=None) -> None:
    """Prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--big-samples", type=int, default=60000)
    args = parser.parse_args(argv)
    callbacks.logger.setLevel("WARNING")
    x_train, y_train, x_test, y_test = load_digit_images(size=28)
    x, y = np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
    small = measure("(a) the 1,797 digits at 28x28", x, y, args.epochs)
    reps = int(np.ceil(args.big_samples / len(x)))
    big_x, big_y = (
        np.tile(x, (reps, 1, 1, 1))[: args.big_samples],
        np.tile(y, reps)[: args.big_samples],
    )
    big = measure(f"(b) {args.big_samples:,} samples", big_x, big_y, args.epochs)
    header = ("data", "epoch s", "+callback", "callback s", "share", "attrib s",
              "quality s", "x floor")  # fmt: skip
    print("{:32s} {:>7s} {:>9s} {:>10s} {:>6s} {:>8s} {:>9s} {:>7s}".format(*header))
    for row in (small, big):
        print(
            f"{row['name']:32s} {row['without']:7.2f} {row['with']:9.2f} "
            f"{row['own']:10.2f} {row['share']:5.1f}% {row['attribution']:8.2f} "
            f"{row['quality']:9.2f} {row['vs_floor']:7.2f}"
        )
    print(
        "callback s: the callback's own time per epoch; share: that time over "
        "the epoch without it (the with/without difference is noisier)\n"
        "targets: x floor <= 1.3 (attributions vs the gradient-pass floor); "
        "share <= 5% on (b)"
    )


if __name__ == "__main__":
    main()
