"""Fit a small CNN with the callback under MirroredStrategy on two logical CPUs.

Run as a script (the logical devices must be set before TensorFlow starts):
``python mirrored_fit.py RUN_DIR``. Writes the run under ``RUN_DIR`` and the
model's final predictions on the probe to ``RUN_DIR/predictions.npy``.
256 digits at batch 128 make two steps an epoch, so the callback writes at
steps 0, 2 and 4.
"""

import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

N_PROBE = 8
METHODS = ("integrated_gradients", "grad_cam")


def main(run_dir: str) -> None:
    """Fit for two epochs under a two-replica MirroredStrategy, then predict."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    import keras
    from sklearn.datasets import load_digits

    import tb_explain as tbe

    keras.utils.set_random_seed(0)
    digits = load_digits()
    x = (digits.images[:256] / 16.0).astype("float32")[..., None]
    y = digits.target[:256]
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert strategy.num_replicas_in_sync == 2
    with strategy.scope():
        model = keras.Sequential(
            [
                keras.Input((8, 8, 1)),
                keras.layers.Conv2D(4, 3, activation="relu"),
                keras.layers.Flatten(),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
        model.compile("adam", "sparse_categorical_crossentropy")
    callback = tbe.ExplainCallback(
        run_dir,
        probe=(x[:N_PROBE], y[:N_PROBE]),
        methods=METHODS,
        class_names=[f"digit {i}" for i in range(10)],
    )
    history = model.fit(x, y, epochs=2, batch_size=128, verbose=0, callbacks=[callback])
    assert len(history.history["loss"]) == 2
    predictions = model.predict(x[:N_PROBE], verbose=0)
    np.save(os.path.join(run_dir, "predictions.npy"), predictions)


if __name__ == "__main__":
    main(sys.argv[1])
