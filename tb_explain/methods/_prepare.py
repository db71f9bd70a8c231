"""Checking a request before any heavy work, and resolving its targets."""

from __future__ import annotations

import logging
import numbers
from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

from tb_explain.methods import _compiled, _inputs, _options
from tb_explain.methods._job import Job
from tb_explain.methods._outputs import select_output

logger = logging.getLogger(__name__)


def prepare(
    model: keras.Model,
    inputs: Any,
    method: str,
    declared: Mapping[str, _options.Option],
    given: Mapping[str, Any],
    target: Any = None,
) -> Job:
    """Checks a request and returns it as a :class:`Job`.

    The heaviest work here is one forward pass of one sample, which catches
    inputs that do not fit the model and gives the number of outputs.

    Args:
        model: A built Keras model on the TensorFlow backend.
        inputs: One array, a list or a dict of arrays, batch first.
        method: The method name, for messages.
        declared: The method's options.
        given: The options the user passed.
        target: None, an int, or ints ``(batch,)``.

    Returns:
        The job; ``job.targets`` is None when ``target`` is None.

    Raises:
        ValueError: A wrong backend, option, input, output or target.
        TypeError: A wrong type of model, inputs or option.
    """
    _check_model(model)
    options = _options.resolve(method, declared, given)
    embedding = _inputs.embedding_layer(model)
    structure, arrays = _inputs.to_arrays(inputs, keep_integers=bool(embedding))
    _inputs.check_against_model(model, arrays, structure)
    if embedding is not None:
        arrays = _token_arrays(arrays)
    baselines = _inputs.broadcast_baselines(options["baselines"], arrays, structure)

    name = None if embedding is None else embedding.name
    call = _compiled.ModelCall(model, structure, options["output"], name)
    job = Job(model, structure, arrays, baselines, options, call, embedding)
    n_outputs = _probe(job)
    job.targets = check_target(target, n_outputs, job.batch)
    return job


def _check_model(model: Any) -> None:
    if keras.backend.backend() != "tensorflow":
        raise ValueError(
            "tb_explain needs the TensorFlow Keras backend. Received: Keras "
            f"backend {keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow "
            "before importing keras."
        )
    if not isinstance(model, keras.Model):
        raise TypeError(
            "`model` must be a Keras 3 model (Sequential, functional or "
            f"subclassed). Received: `model` of type {type(model).__name__}."
        )
    if not model.built:
        raise ValueError(
            f"`model` {model.name!r} is not built. Call it on a batch or fit it "
            "once before explaining it."
        )


def _token_arrays(arrays: list[np.ndarray]) -> list[np.ndarray]:
    if len(arrays) != 1:
        raise ValueError(
            "Token inputs (an Embedding first layer) are supported for models "
            f"with one input. Received {len(arrays)} inputs."
        )
    return [arrays[0].astype(np.int32)]


def _probe(job: Job) -> int:
    key = (job.call.key(), _compiled.signature_key(job.inputs))
    return _compiled.probed(job.model, key, lambda: _output_width(job))


def _output_width(job: Job) -> int:
    sample = [array[:1] for array in job.inputs]
    model = job.model
    try:
        raw = model(job.structure.pack(sample), training=False)
    except Exception as error:
        raise ValueError(
            f"`inputs` do not match the model {model.name!r}: the forward pass "
            f"on one sample failed with {type(error).__name__}: {error}"
        ) from error
    return int(select_output(model, raw, job.call.output).shape[1])


def check_target(target: Any, n_outputs: int, batch: int) -> np.ndarray | None:
    """Checks ``target`` and expands it to ``(batch,)`` int32.

    Raises:
        TypeError: Not None, an int or an array of ints.
        ValueError: The wrong length, or a value outside ``[0, n_outputs)``.
    """
    if target is None:
        return None
    is_int = isinstance(target, numbers.Integral) and not isinstance(target, bool)
    values = np.full(batch, target) if is_int else np.asarray(target)
    if not np.issubdtype(values.dtype, np.integer):
        raise TypeError(
            "`target` must be None, an int or an array of ints (batch,). "
            f"Received: `target={target!r}`."
        )
    if values.shape != (batch,):
        raise ValueError(
            f"`target` must hold one int per sample, shape ({batch},). "
            f"Received shape {values.shape}."
        )
    bad = values[(values < 0) | (values >= n_outputs)]
    if bad.size:
        shown = target if is_int else bad[0]
        raise ValueError(
            f"`target={shown!r}` is out of range. The explained output has "
            f"{n_outputs} value(s): expected ints in [0, {n_outputs - 1}]."
        )
    return values.astype(np.int32)


def all_outputs(job: Job) -> np.ndarray:
    """The selected output for every sample, ``(batch, n_outputs)``."""
    raw_call = _compiled.ModelCall(job.model, job.structure, job.call.output)
    function = _compiled.forward_function(raw_call, job.inputs)
    size = job.chunk_rows(job.inputs)
    parts = [
        np.asarray(function([a[start : start + size] for a in job.inputs]))
        for start in range(0, job.batch, size)
    ]
    return np.concatenate(parts).astype(np.float32)


def fill_targets(job: Job) -> Job:
    """Sets ``job.targets`` to the predicted class when it is None.

    The predicted class is the argmax of the explained output, or 0 when it
    has one value (a sigmoid or regression head).
    """
    if job.targets is None:
        outputs = all_outputs(job)
        job.targets = np.argmax(outputs, axis=1).astype(np.int32)
    return job
