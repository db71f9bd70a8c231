"""Calling the model: chunked, batched, and reduced to the target's output."""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from tb_explain.methods._outputs import select_output

logger = logging.getLogger(__name__)

# A Keras model, or any callable from a float32 tensor (batch, ...) to outputs.
ModelLike = keras.Model | Callable[[tf.Tensor], Any]


def check_batch_size(batch_size: int) -> None:
    """Raises ValueError unless ``batch_size`` is a positive int."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(
            f"`batch_size` must be an int >= 1. Received: batch_size={batch_size!r}."
        )
    if batch_size < 1:
        raise ValueError(
            f"`batch_size` must be an int >= 1. Received: batch_size={batch_size!r}."
        )


def chunks(n_rows: int, batch_size: int) -> Iterator[slice]:
    """Slices covering ``range(n_rows)`` in pieces of at most ``batch_size``."""
    for start in range(0, n_rows, batch_size):
        yield slice(start, min(start + batch_size, n_rows))


_COMPILED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _compiled(model: keras.Model):
    """One compiled inference call per model (eager calls cost ~1.7x more).

    The function holds the model weakly, so a model's cache entry goes with
    it; its batch axis is left free, so chunk sizes do not retrace it.
    """
    compiled = _COMPILED.get(model)
    if compiled is None:
        reference = weakref.ref(model)
        compiled = tf.function(
            lambda tensor: reference()(tensor, training=False), reduce_retracing=True
        )
        _COMPILED[model] = compiled
    return compiled


def call(model: ModelLike, batch: np.ndarray, output: int | str | None) -> np.ndarray:
    """One model call on ``batch``; returns ``(batch, n_outputs)`` float64.

    Raises:
        ValueError: if ``output`` names no output of the model (None picks
            the first, as in :func:`tb_explain.attribute`).
    """
    tensor = tf.convert_to_tensor(batch, dtype=tf.float32)
    if isinstance(model, keras.Model):
        result = _compiled(model)(tensor)
    else:
        result = model(tensor)
    # The same choice as the engine's: None is the first output, else an
    # index or one of the model's output names.
    values = np.asarray(select_output(model, result, output), dtype=np.float64)
    return values.reshape(values.shape[0], -1)


def outputs(
    model: ModelLike,
    inputs: np.ndarray,
    output: int | str | None,
    batch_size: int,
) -> np.ndarray:
    """The model's outputs on ``inputs``, ``(batch, n_outputs)``, in chunks."""
    parts = [
        call(model, inputs[part], output) for part in chunks(len(inputs), batch_size)
    ]
    return np.concatenate(parts, axis=0)


def resolve_targets(targets: ArrayLike | int | None, values: np.ndarray) -> np.ndarray:
    """Per-sample target indices ``(batch,)`` into ``values`` ``(batch, n)``.

    None picks the predicted class (the largest output; 0 for one output).

    Raises:
        ValueError: if a target is not an int in ``[0, n)`` or the batch sizes
            differ.
    """
    n_samples, n_outputs = values.shape
    if targets is None:
        return np.argmax(values, axis=1)
    array = np.asarray(targets)
    if not np.issubdtype(array.dtype, np.integer) or array.ndim > 1:
        raise ValueError(
            "`targets` must be None, an int or an int array of shape (batch,). "
            f"Received: targets of dtype {array.dtype} and shape {array.shape}."
        )
    array = np.broadcast_to(array, (n_samples,)) if array.ndim == 0 else array
    if array.shape != (n_samples,) or array.min() < 0 or array.max() >= n_outputs:
        raise ValueError(
            f"`targets` must index the model's {n_outputs} outputs for each of "
            f"{n_samples} samples. Received: targets with shape {array.shape}, "
            f"values from {array.min()} to {array.max()}."
        )
    return array.astype(np.int64)


def pick(values: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``values[i, targets[i]]`` for every row: ``(batch, n)`` to ``(batch,)``."""
    return np.take_along_axis(values, targets[:, None], axis=1)[:, 0]


def target_output(
    model: ModelLike,
    inputs: ArrayLike,
    targets: ArrayLike | int | None = None,
    *,
    output: int | str | None = None,
    batch_size: int = 512,
) -> np.ndarray:
    """The target's output ``f(inputs)[target]`` per sample, ``(batch,)``.

    Args:
        model: a Keras model, or a callable from a float32 tensor to outputs.
        inputs: ``(batch, ...)``.
        targets: None (the predicted class), an int, or ints ``(batch,)``.
        output: which output of a model with several (index or name).
        batch_size: rows per model call.

    Returns:
        ``(batch,)`` float64.
    """
    check_batch_size(batch_size)
    values = outputs(model, np.asarray(inputs, dtype=np.float32), output, batch_size)
    return pick(values, resolve_targets(targets, values))
