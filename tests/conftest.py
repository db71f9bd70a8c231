"""Shared test set-up: quiet TensorFlow, fixed seeds, shared logdir fixtures.

Area-specific fixtures live in their own modules under tests/ and are listed
in ``pytest_plugins`` so that every test module can use them.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest_plugins = ["fixtures_logdirs", "fixtures_server"]


@pytest.fixture(autouse=True)
def _fixed_seeds():
    """Every test starts from the same numpy and Keras seeds."""
    import keras

    np.random.seed(0)
    keras.utils.set_random_seed(0)
    yield
