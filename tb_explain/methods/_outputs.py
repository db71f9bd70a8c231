"""Choosing the explained output of a model with one or several outputs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import tensorflow as tf


def output_names(model: keras.Model, outputs: Any) -> list[str]:
    """Returns the names of the model's outputs, in the order of ``outputs``."""
    if isinstance(outputs, Mapping):
        return [str(key) for key in outputs]
    names = list(getattr(model, "output_names", None) or [])
    count = len(outputs) if isinstance(outputs, list | tuple) else 1
    return names if len(names) == count else [str(i) for i in range(count)]


def select_output(model: keras.Model, outputs: Any, output: int | str | None):
    """Picks one output and flattens it to ``(batch, n_outputs)``.

    Args:
        model: The model, for its output names.
        outputs: What the model returned: a tensor, a list or a dict.
        output: None (the first output), an index or a name.

    Returns:
        A float tensor ``(batch, n_outputs)``.

    Raises:
        ValueError: ``output`` names no output of the model.
    """
    names = output_names(model, outputs)
    values = _as_list(outputs)
    index = _output_index(output, names)
    chosen = tf.convert_to_tensor(values[index])
    return tf.reshape(chosen, (tf.shape(chosen)[0], -1))


def _as_list(outputs: Any) -> list:
    if isinstance(outputs, Mapping):
        return list(outputs.values())
    if isinstance(outputs, list | tuple):
        return list(outputs)
    return [outputs]


def _output_index(output: int | str | None, names: list[str]) -> int:
    if output is None:
        return 0
    if isinstance(output, str) and output in names:
        return names.index(output)
    if isinstance(output, int) and 0 <= output < len(names):
        return output
    raise ValueError(
        f"Unknown `output={output!r}`. The model's outputs are: indices "
        f"0..{len(names) - 1} or names {names}."
    )
