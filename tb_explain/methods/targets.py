"""What the model predicts and which output value is explained.

These helpers share the engine's compiled forward pass, so the callback and
the quality metrics see exactly the numbers the methods explain.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from tb_explain.methods._prepare import all_outputs, fill_targets, prepare


def _job(model, inputs, output, target=None):
    options = {"output": output}
    return prepare(model, inputs, "model_outputs", {}, options, target)


def model_outputs(
    model: keras.Model, inputs: Any, output: int | str | None = None
) -> np.ndarray:
    """The model's output for each sample, as the model returns it.

    Args:
        model: A built Keras model on the TensorFlow backend.
        inputs: One array, a list or a dict of arrays, ``(batch, ...)``.
        output: For multi-output models, the output's index or name; None
            means the first output.

    Returns:
        float32 ``(batch, n_outputs)``: probabilities after a softmax,
        ``(batch, 1)`` for a sigmoid or a single regression output.

    Raises:
        ValueError: Inputs that do not fit the model, or an unknown output.
    """
    return all_outputs(_job(model, inputs, output))


def resolve_targets(
    model: keras.Model, inputs: Any, target: Any, output: int | str | None = None
) -> np.ndarray:
    """The explained output index of each sample.

    Args:
        model: A built Keras model on the TensorFlow backend.
        inputs: One array, a list or a dict of arrays, ``(batch, ...)``.
        target: None (the predicted class: the argmax of the output, or 0
            for a single output), an int, or ints ``(batch,)``.
        output: The output's index or name for multi-output models.

    Returns:
        int32 ``(batch,)``.

    Raises:
        ValueError: A target out of range or of the wrong length.
        TypeError: A target that is not None, an int or ints.
    """
    return fill_targets(_job(model, inputs, output, target)).targets


def explained_output(
    model: keras.Model, inputs: Any, targets: Any, output: int | str | None = None
) -> np.ndarray:
    """``f(x)[t]``: the output value explained for each sample.

    Args:
        model: A built Keras model on the TensorFlow backend.
        inputs: One array, a list or a dict of arrays, ``(batch, ...)``.
        targets: None, an int, or ints ``(batch,)``, as in ``resolve_targets``.
        output: The output's index or name for multi-output models.

    Returns:
        float32 ``(batch,)``.
    """
    job = fill_targets(_job(model, inputs, output, targets))
    return job.explained(job.inputs)
