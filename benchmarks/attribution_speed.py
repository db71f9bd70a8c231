"""How close integrated gradients run to the speed of one gradient pass.

Run: ``.venv/bin/python benchmarks/attribution_speed.py``

For three models (a digits CNN at 28x28, a 4-block CNN at 64x64x3, a
30-feature MLP) it prints evaluations per second of integrated gradients
(N=64 samples, n_steps=50) divided by the floor: samples per second of one
compiled input-gradient pass at batch 256 on the same model, timed over as
many rows as IG evaluates. The same ratio is shown for a naive per-sample loop
and, when importable, tf-explain. The contenders run in interleaved rounds and
each keeps its fastest round, so a busy CPU weighs on all alike. Then
the peak memory of the 64x64x3 case at two ``batch_size`` values (and for
tf-explain), each measured in a fresh subprocess: the peak resident set
(``VmHWM``, reset just before) and its growth during the attribution.

tf-explain runs from a side folder, never from .venv:
``bash benchmarks/install_tf_explain.sh /tmp/tfx`` then
``--tf-explain-site /tmp/tfx``.
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tb_explain.methods import attribute  # noqa: E402

N, N_STEPS, FLOOR_BATCH = 64, 50, 256
ROUNDS = 7


def digits_cnn():
    from sklearn.datasets import load_digits

    images = load_digits().images[..., None].astype("float32") / 16
    x = tf.image.resize(images[:FLOOR_BATCH], (28, 28)).numpy()
    model = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(16, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Conv2D(32, 3, activation="relu"),
            keras.layers.MaxPooling2D(),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    return model, x


def four_block_cnn():
    blocks = []
    for filters in (16, 32, 64, 64):
        blocks += [
            keras.layers.Conv2D(filters, 3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(),
        ]
    model = keras.Sequential(
        [
            keras.Input((64, 64, 3)),
            *blocks,
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    x = np.random.default_rng(0).random((FLOOR_BATCH, 64, 64, 3), dtype="float32")
    return model, x


def cancer_mlp():
    from sklearn.datasets import load_breast_cancer

    x = load_breast_cancer().data.astype("float32")
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    model = keras.Sequential(
        [
            keras.Input((30,)),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    return model, x[:FLOOR_BATCH]


MODELS = {
    "digits CNN 28x28": digits_cnn,
    "4-block CNN 64x64x3": four_block_cnn,
    "MLP 30 features": cancer_mlp,
}


def interleaved_rates(contenders, rounds=ROUNDS):
    """Rate of each contender: its work divided by its fastest run.

    Each round runs every contender once, in an order rotated round by round,
    after one warm-up each; all get the same number of tries, so a busy CPU
    (other tenants, a noisy neighbour) weighs on all of them alike and the
    minimum is not favoured for the fast ones.

    Args:
        contenders: ``{name: (function, work)}``, ``work`` the evaluations
            one call does.
        rounds: Tries per contender.

    Returns:
        ``{name: work per second}``, or ``{name: "failed: ..."}`` for a
        contender that raised (a peer tool failing is a result to report).
    """
    best = {}
    for name, (function, _) in contenders.items():
        try:
            function()
            best[name] = float("inf")
        except Exception as error:
            best[name] = f"failed: {type(error).__name__}: {str(error)[:80]}"
    names = [n for n in contenders if isinstance(best[n], float)]
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            contenders[name][0]()
            best[name] = min(best[name], time.perf_counter() - start)
    return {
        name: contenders[name][1] / value if isinstance(value, float) else value
        for name, value in best.items()
    }


def floor_pass(model, x):
    """One compiled input-gradient pass at batch 256, over as many rows as IG.

    Returns:
        ``(function, work)``: the passes cover ``N * N_STEPS`` rows (the last
        one full too), so the floor is timed on the same amount of work.
    """

    @tf.function
    def gradients(inputs):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            explained = model(inputs, training=False)[:, 0]
        return tape.gradient(explained, inputs)

    batch = tf.constant(x[:FLOOR_BATCH])
    passes = -(-N * N_STEPS // FLOOR_BATCH)

    def run():
        for _ in range(passes):
            gradients(batch).numpy()

    return run, passes * FLOOR_BATCH


def ours(model, x):
    """tb_explain's integrated gradients, ``N * N_STEPS`` evaluations."""
    return lambda: attribute(model, x[:N], n_steps=N_STEPS), N * N_STEPS


def naive(model, x):
    """An eager loop: one sample's n_steps at a time."""
    alphas = tf.reshape(tf.linspace(0.0, 1.0, N_STEPS), (-1,) + (1,) * (x.ndim - 1))

    def run():
        for sample in x[:N]:
            path = tf.constant(sample[None]) * alphas
            with tf.GradientTape() as tape:
                tape.watch(path)
                explained = model(path, training=False)[:, 0]
            tape.gradient(explained, path).numpy()

    return run, N * N_STEPS


def tf_explain(model, x):
    """tf-explain's IntegratedGradients, or None when not importable.

    Times its computation (interpolation and the batched gradient) and not
    its picture making, which only accepts images.
    """
    try:
        from tf_explain.core.integrated_gradients import IntegratedGradients
    except ImportError:
        return None

    def run():
        path = IntegratedGradients.generate_interpolations(x[:N], N_STEPS)
        IntegratedGradients.get_integrated_gradients(path, model, 0, N_STEPS).numpy()

    return run, N * N_STEPS


def _status_mib(field: str) -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(field)


def _reset_peak() -> None:
    # Linux: writing 5 resets VmHWM, the peak resident set, to the current RSS.
    # ru_maxrss cannot be used: a child inherits its parent's peak across exec.
    with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
        f.write("5")


def memory_case(batch_size):
    """Prints the peak RSS growth (MiB) of IG on the 64x64x3 CNN.

    ``batch_size`` 0 measures tf-explain's IntegratedGradients instead.
    """
    model, x = four_block_cnn()
    if batch_size == 0:
        from tf_explain.core.integrated_gradients import IntegratedGradients

        def run(count, steps):
            path = IntegratedGradients.generate_interpolations(x[:count], steps)
            IntegratedGradients.get_integrated_gradients(path, model, 0, steps)
    else:

        def run(count, steps):
            attribute(model, x[:count], n_steps=steps, batch_size=batch_size)

    run(2, 2)
    _reset_peak()
    before = _status_mib("VmRSS")
    run(N, N_STEPS)
    peak = _status_mib("VmHWM")
    print(peak, peak - before)


def memory_row(batch_size):
    command = [sys.executable, __file__, "--memory-case", str(batch_size)]
    output = subprocess.run(command, capture_output=True, text=True, check=True)
    peak, growth = output.stdout.split()[-2:]
    name = f"batch_size={batch_size}" if batch_size else "tf-explain"
    return f"  {name:<16} peak RSS {float(peak):7.0f} MiB, " + (
        f"growth during IG {float(growth):6.0f} MiB"
    )


def main():
    print(f"tensorflow {tf.__version__}, keras {keras.__version__}, CPU, no XLA")
    print(f"IG: N={N}, n_steps={N_STEPS}; floor: input gradients at batch 256\n")
    header = f"{'model':<22}{'floor/s':>10}{'ours/s':>10}{'ours':>7}{'naive':>7}"
    print(header + "  tf-explain")
    for name, build in MODELS.items():
        keras.utils.set_random_seed(0)
        model, x = build()
        contenders = {"floor": floor_pass(model, x), "ours": ours(model, x)}
        contenders["naive"] = naive(model, x)
        peer = tf_explain(model, x)
        if peer is not None:
            contenders["tf-explain"] = peer
        rates = interleaved_rates(contenders)
        floor = rates["floor"]
        shown = rates.get("tf-explain", "not importable")
        shown = f"{shown / floor:.2f}" if isinstance(shown, float) else shown
        print(
            f"{name:<22}{floor:>10.0f}{rates['ours']:>10.0f}"
            f"{rates['ours'] / floor:>7.2f}{rates['naive'] / floor:>7.2f}  {shown}"
        )
    print("\n(ours, naive, tf-explain: evaluations/s divided by the floor)")
    print("\nPeak memory, 4-block CNN 64x64x3, IG N=64 n_steps=50:")
    for batch_size in (64, 1024):
        print(memory_row(batch_size))
    if importlib.util.find_spec("tf_explain") is not None:
        print(memory_row(0))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memory-case", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--tf-explain-site",
        help="folder holding tf-explain (benchmarks/install_tf_explain.sh)",
    )
    arguments = parser.parse_args()
    if arguments.tf_explain_site:
        sys.path.insert(0, arguments.tf_explain_site)
        os.environ["PYTHONPATH"] = arguments.tf_explain_site
    if arguments.memory_case is not None:
        memory_case(arguments.memory_case)
    else:
        main()
