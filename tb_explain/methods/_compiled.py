"""Compiled functions per model, and the chunked loop that feeds them.

One ``tf.function`` per model, kind and input signature is traced once and
kept in a cache keyed weakly on the model. Signatures leave the batch axis
free, so a call with another batch size or another ``batch_size`` does not
retrace. Variables are captured by reference: weights that change between
epochs are read fresh on every call, with no retracing either.

XLA stays off: on CPU it was measured 3 to 25 times slower here.

Interpolation and noise samples are laid out as rows and run through the
compiled function in Python-level chunks of ``batch_size`` rows: peak memory
follows ``batch_size``, not ``batch x n_steps``.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tb_explain.methods._inputs import Structure
from tb_explain.methods._layers import find_layer, tap
from tb_explain.methods._outputs import select_output

logger = logging.getLogger(__name__)

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cached(model: keras.Model, key: Hashable, build: Callable[[], Any]) -> Any:
    """Returns the model's function for ``key``, building it on first use."""
    functions = _CACHE.setdefault(model, {})
    if key not in functions:
        logger.debug("Building %s for model %s", key[0], model.name)
        functions[key] = build()
    return functions[key]


def concrete(model: keras.Model, key: Hashable, build: Callable[[], Any]) -> Any:
    """The concrete function of a cached ``tf.function`` with a full signature.

    Calling it skips the argument binding of ``tf.function.__call__``, which
    costs as much as a small model's whole gradient pass.
    """
    return cached(model, key, build).get_concrete_function()


def cached_functions(model: keras.Model) -> dict:
    """The compiled functions built so far for ``model`` (key -> tf.function)."""
    return dict(_CACHE.get(model, {}))


def specs(arrays: Sequence[np.ndarray]) -> list[tf.TensorSpec]:
    """Tensor specs of ``arrays`` with a free batch axis."""
    return [tf.TensorSpec((None, *a.shape[1:]), tf.as_dtype(a.dtype)) for a in arrays]


def signature_key(arrays: Sequence[np.ndarray]) -> tuple:
    """A hashable input signature: shapes without the batch axis, dtypes."""
    return tuple((a.shape[1:], str(a.dtype)) for a in arrays)


class ModelCall:
    """Calls a model on flat rows and selects one output.

    In token mode the rows are ``[tokens, embedded]``: the model runs on the
    tokens (so that masks still work) while the Embedding layer's output is
    replaced by ``embedded``, the tensor the gradients are taken against.
    """

    def __init__(
        self,
        model: keras.Model,
        structure: Structure,
        output: int | str | None,
        embedding: str | None = None,
    ):
        self.model_ref = weakref.ref(model)
        self.structure = structure
        self.output = output
        self.embedding = embedding

    def __call__(self, rows: list) -> tf.Tensor:
        """Returns the selected output, ``(batch, n_outputs)``."""
        model = self.model_ref()
        if self.embedding is None:
            raw = model(self.structure.pack(rows), training=False)
            return select_output(model, raw, self.output)
        tokens, embedded = rows
        with tap(find_layer(model, self.embedding), lambda call, *a, **k: embedded):
            raw = model(tokens, training=False)
        return select_output(model, raw, self.output)

    def key(self) -> tuple:
        """What makes two calls compile to the same graph."""
        return (self.structure, self.output, self.embedding)


def forward_function(call: ModelCall, rows: Sequence[np.ndarray]):
    """Returns the compiled ``f(rows) -> (batch, n_outputs)``."""
    key = ("forward", call.key(), signature_key(rows))

    def build():
        return tf.function(
            lambda rows: call(rows), input_signature=[specs(rows)], jit_compile=False
        )

    return concrete(call.model_ref(), key, build)


def gradient_function(call: ModelCall, rows: Sequence[np.ndarray]):
    """Returns the compiled ``f(rows, targets) -> (gradients, explained)``.

    ``gradients`` holds one ``d f(x)[t] / d rows`` per differentiable row
    array (all of them, or only ``embedded`` in token mode); ``explained`` is
    ``f(x)[t]``, ``(batch,)``.
    """
    key = ("gradient", call.key(), signature_key(rows))
    first = 0 if call.embedding is None else 1

    def gradients(rows, targets):
        watched = rows[first:]
        with tf.GradientTape() as tape:
            tape.watch(watched)
            outputs = call(rows)
            explained = tf.gather(outputs, targets, axis=1, batch_dims=1)
        # An input the explained output does not depend on has zero gradient
        # (a head of a multi-output model fed by some inputs only).
        zero = tf.UnconnectedGradients.ZERO
        return tape.gradient(explained, watched, unconnected_gradients=zero), explained

    def build():
        signature = [specs(rows), tf.TensorSpec((None,), tf.int32)]
        return tf.function(gradients, input_signature=signature, jit_compile=False)

    return concrete(call.model_ref(), key, build)


_PROBES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def probed(model: keras.Model, key: Hashable, probe: Callable[[], int]) -> int:
    """``probe()``, run once per model and key (the output width)."""
    found = _PROBES.setdefault(model, {})
    if key not in found:
        found[key] = probe()
    return found[key]


def spans(start: int, stop: int, n_samples: int) -> list[tuple[int, int, int]]:
    """Splits rows ``[start, stop)`` into ``(block, first, last)`` spans.

    Row ``r`` is sample ``r % n_samples`` of block ``r // n_samples`` (for
    example block = interpolation step), so each span is a contiguous range
    of samples ``[first, last)`` of one block.
    """
    found = []
    row = start
    while row < stop:
        block, first = divmod(row, n_samples)
        last = min(n_samples, first + stop - row)
        found.append((block, first, last))
        row += last - first
    return found


def run_blocks(
    n_blocks: int,
    n_samples: int,
    batch_size: int,
    make_rows: Callable[[int, int, int], list[np.ndarray]],
    evaluate: Callable[[list[np.ndarray], list[tuple]], list[np.ndarray]],
    consume: Callable[[int, int, int, list[np.ndarray]], None],
) -> None:
    """Evaluates ``n_blocks x n_samples`` rows in chunks of ``batch_size``.

    Args:
        n_blocks: Number of blocks (steps, noise draws, masks...).
        n_samples: Samples per block (the batch of inputs).
        batch_size: Most rows per chunk; bounds peak memory. The rows are
            split into the fewest chunks of at most this size, their sizes
            within one row of each other.
        make_rows: ``make_rows(block, first, last)`` -> arrays for the rows of
            samples ``[first, last)`` of ``block``.
        evaluate: ``evaluate(rows, spans)`` -> list of arrays, rows first.
        consume: ``consume(block, first, last, results)`` for each span.
    """
    total = n_blocks * n_samples
    # The fewest chunks of at most batch_size rows, sizes within one row of
    # each other: no small, slow last chunk.
    n_chunks = -(-total // batch_size)
    bounds = [index * total // n_chunks for index in range(n_chunks + 1)]
    for start, stop in zip(bounds[:-1], bounds[1:]):
        chunk = spans(start, stop, n_samples)
        parts = [make_rows(*span) for span in chunk]
        rows = [np.concatenate(p) if len(p) > 1 else p[0] for p in zip(*parts)]
        results = evaluate(rows, chunk)
        offset = 0
        for block, first, last in chunk:
            size = last - first
            consume(block, first, last, [r[offset : offset + size] for r in results])
            offset += size
