"""The probe: the fixed samples the callback explains at every written step.

Turns what a user passes as ``probe`` (arrays, ``(x, y)``, a dataset) into one
normalised :class:`Probe`, detects each input's modality from its shape and
prepares the compact copy of the inputs that is written once.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

TASKS = ("multiclass", "binary", "regression")


@dataclasses.dataclass
class Probe:
    """The probe in a normalised form.

    Attributes:
        inputs: One array per model input, each ``(batch, ...)``.
        input_names: One name per input (dict keys, or ``input_0``...).
        structure: ``"single"``, ``"list"`` or ``"dict"``: how the model takes
            its inputs, so that :meth:`model_inputs` rebuilds that structure.
        labels: ``(batch,)`` class indices or ``(batch, n_outputs)`` values,
            or None.
        ids: One id per sample.
    """

    inputs: list[np.ndarray]
    input_names: list[str]
    structure: str
    labels: np.ndarray | None
    ids: list[str]

    @property
    def size(self) -> int:
        """Number of samples."""
        return int(self.inputs[0].shape[0])

    def model_inputs(self, index: slice | None = None) -> Any:
        """The inputs in the structure the model takes, optionally sliced."""
        return self.pack([x if index is None else x[index] for x in self.inputs])

    def pack(self, arrays: list) -> Any:
        """``arrays`` (one per input, arrays or tensors) in the model's structure."""
        if self.structure == "single":
            return arrays[0]
        if self.structure == "dict":
            return dict(zip(self.input_names, arrays))
        return list(arrays)


def _as_array(value: Any, what: str) -> np.ndarray:
    try:
        return np.asarray(value)
    except Exception as error:
        raise TypeError(
            f"Could not read `probe` {what} as an array. Expected numpy arrays "
            f"or tensors, batch first. Received: {type(value).__name__}"
        ) from error


def _split_inputs(x: Any) -> tuple[list[np.ndarray], list[str], str]:
    if isinstance(x, Mapping):
        names = [str(k) for k in x]
        return [_as_array(x[k], f"input {k!r}") for k in x], names, "dict"
    if isinstance(x, (list, tuple)):
        arrays = [_as_array(v, f"input {i}") for i, v in enumerate(x)]
        return arrays, [f"input_{i}" for i in range(len(arrays))], "list"
    return [_as_array(x, "inputs")], ["input_0"], "single"


def _from_dataset(dataset, max_probe: int) -> tuple[Any, Any]:
    xs, ys, count = [], [], 0
    for element in dataset:
        if isinstance(element, tuple) and len(element) >= 2:
            x, y = element[0], element[1]
        else:
            x, y = element, None
        xs.append(x)
        ys.append(y)
        count += len(np.asarray(_split_inputs(x)[0][0]))
        if count >= max_probe:
            break
    if not xs:
        raise ValueError("`probe` is an empty dataset. Pass at least one batch.")
    return _concat(xs), None if ys[0] is None else _concat(ys)


def _concat(parts: list[Any]) -> Any:
    first = parts[0]
    if isinstance(first, Mapping):
        return {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in first}
    if isinstance(first, (list, tuple)):
        return [
            np.concatenate([np.asarray(p[i]) for p in parts]) for i in range(len(first))
        ]
    return np.concatenate([np.asarray(p) for p in parts])


def make_probe(
    probe: Any,
    max_probe: int = 256,
    ids: Sequence | None = None,
    output: int | str | None = None,
) -> Probe:
    """Normalises a user's ``probe`` argument.

    Args:
        probe: ``(x, y)``, ``x`` alone, or a ``tf.data.Dataset`` yielding
            ``(x, y)`` or ``x`` batches (the first batches are taken up to
            ``max_probe`` samples). ``x`` is an array, a list or a dict of
            arrays for several inputs.
        max_probe: Most samples kept; extra samples are dropped with a
            warning.
        ids: Optional sample ids (default ``"0"``, ``"1"``, ...).
        output: The explained output of a multi-output model: labels given
            per output (a list, or a dict by output name) keep its entry.

    Returns:
        A :class:`Probe`.

    Raises:
        ValueError: When the probe is empty, inputs differ in batch size or
            labels do not match the inputs.
        TypeError: When ``probe`` is of an unsupported type.
    """
    if probe is None:
        raise ValueError(
            "`probe` is required: the fixed samples to explain, as (x, y), x "
            "or a tf.data.Dataset. Received: probe=None"
        )
    x, y = _unpack(probe, max_probe)
    inputs, names, structure = _split_inputs(x)
    y = _labels_of_output(y, output, len(inputs[0]))
    _check_batch(inputs, names)
    labels = None if y is None else _as_array(y, "labels")
    inputs, labels = _truncate(inputs, labels, max_probe)
    if labels is not None and len(labels) != len(inputs[0]):
        raise ValueError(
            f"`probe` labels have {len(labels)} samples but the inputs have "
            f"{len(inputs[0])}. Pass as many labels as samples."
        )
    ids = [str(i) for i in (ids if ids is not None else range(len(inputs[0])))]
    if len(ids) < len(inputs[0]):
        raise ValueError(
            f"`probe_ids` has {len(ids)} ids for {len(inputs[0])} samples."
        )
    return Probe(inputs, names, structure, labels, ids[: len(inputs[0])])


def _labels_of_output(labels: Any, output: int | str | None, count: int) -> Any:
    """The labels of the explained output when they are given per output
    (a dict by output name, or a list of arrays of ``count`` samples each)."""
    if isinstance(labels, Mapping):
        keys = list(labels)
        key = keys[0] if output is None else output
        if key not in labels:
            raise ValueError(
                f"The probe's labels are given per output {keys}, but "
                f"`output={output!r}` names none of them. Pass output= one of "
                f"{keys}."
            )
        return labels[key]
    per_output = (
        isinstance(labels, (list, tuple))
        and len(labels) != count
        and all(np.ndim(item) >= 1 and len(item) == count for item in labels)
    )
    if not per_output or len(labels) < 2:
        return labels
    if output is None or isinstance(output, (int, np.integer)):
        index = 0 if output is None else int(output)
        if 0 <= index < len(labels):
            return labels[index]
    raise ValueError(
        f"The probe's labels are a list of {len(labels)} arrays, one per output; "
        f"`output={output!r}` must be an index into it (a name needs the labels "
        "as a dict by output name)."
    )


def _unpack(probe: Any, max_probe: int) -> tuple[Any, Any]:
    if hasattr(probe, "element_spec") and hasattr(probe, "take"):
        return _from_dataset(probe, max_probe)
    if isinstance(probe, tuple) and len(probe) in (2, 3):
        return probe[0], probe[1]  # (x, y) or (x, y, sample_weight)
    if isinstance(probe, (np.ndarray, list, Mapping)) or hasattr(probe, "shape"):
        return probe, None
    raise TypeError(
        "`probe` must be (x, y), (x, y, sample_weight), x, or a tf.data.Dataset. "
        f"Received: {type(probe).__name__}"
    )


def _check_batch(inputs: list[np.ndarray], names: list[str]) -> None:
    sizes = {name: (x.shape[0] if x.ndim else 0) for x, name in zip(inputs, names)}
    if min(sizes.values()) == 0:
        raise ValueError(f"`probe` has no samples. Received batch sizes: {sizes}")
    if len(set(sizes.values())) > 1:
        raise ValueError(
            f"`probe` inputs differ in batch size: {sizes}. Pass the same "
            "samples for every input."
        )


def _truncate(inputs, labels, max_probe):
    if len(inputs[0]) <= max_probe:
        return inputs, labels
    logger.warning(
        "The probe has %d samples; keeping the first %d (max_probe).",
        len(inputs[0]),
        max_probe,
    )
    inputs = [x[:max_probe] for x in inputs]
    return inputs, None if labels is None else labels[:max_probe]


def detect_modality(x: np.ndarray, token_input: bool = False) -> str:
    """Modality of one input from its shape and dtype.

    Args:
        x: ``(batch, ...)`` array.
        token_input: Whether the model feeds this input to an Embedding.

    Returns:
        ``"image"`` for ``(batch, height, width, channels)``, ``"text"`` for
        integer tokens read by an Embedding, ``"sequence"`` for ``(batch,
        steps, channels)`` and ``"tabular"`` for ``(batch, features)``
        (integer features included).
    """
    if x.ndim == 4:
        return "image"
    if token_input:
        return "text"
    if x.ndim == 3:
        return "sequence"
    return "tabular"


def display_inputs(x: np.ndarray, modality: str) -> tuple[np.ndarray, list]:
    """The compact copy of one input that is written once.

    Images become uint8 scaled over the probe's own range; other inputs keep
    their values (float32, or int32 tokens).

    Returns:
        ``(array, value_range)`` with ``value_range = [low, high]`` of the
        original values.
    """
    x = np.asarray(x)
    finite = x[np.isfinite(x)] if np.issubdtype(x.dtype, np.floating) else x
    low = float(finite.min()) if finite.size else 0.0
    high = float(finite.max()) if finite.size else 0.0
    if modality == "image":
        span = high - low if high > low else 1.0
        scaled = np.clip((x.astype(np.float32) - low) / span, 0.0, 1.0)
        return np.round(scaled * 255).astype(np.uint8), [low, high]
    if modality == "text":
        return x.astype(np.int32), [low, high]
    return x.astype(np.float32), [low, high]


def reduce_map(attributions: np.ndarray, modality: str) -> tuple[np.ndarray, Any]:
    """Reduces full attributions of one input to the maps that are written.

    Args:
        attributions: ``(batch, ...)`` attributions of one input, or Grad-CAM
            ``(batch, height, width)``.
        modality: The input's modality.

    Returns:
        ``(signed, absolute)``: the signed map with channels summed
        (``(batch, height, width)`` for images, ``(batch, steps)`` for
        sequences, ``(batch, features)`` otherwise), and for images with
        several channels the sum of absolute values over channels (None
        otherwise, where ``|signed|`` is the absolute view).
    """
    a = np.asarray(attributions, dtype=np.float32)
    if modality == "image" and a.ndim == 4:
        absolute = np.abs(a).sum(axis=-1) if a.shape[-1] > 1 else None
        return a.sum(axis=-1), absolute
    if modality == "sequence" and a.ndim == 3:
        return a.sum(axis=-1), None
    if a.ndim > 2 and modality != "image":
        return a.reshape(a.shape[0], -1), None
    return a, None


def class_indices(labels: np.ndarray | None, task: str) -> np.ndarray | None:
    """Labels as ``(batch,)`` int class indices, or None for regression."""
    if labels is None or task == "regression":
        return None
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] > 1:
        return labels.argmax(axis=1).astype(np.int32)
    return np.round(labels.reshape(-1)).astype(np.int32)


def predicted_classes(predictions: np.ndarray, task: str) -> np.ndarray | None:
    """Predicted class per sample from ``(batch, n_outputs)`` outputs."""
    if task == "regression":
        return None
    if task == "binary":
        return (predictions[:, 0] > 0.5).astype(np.int32)
    return predictions.argmax(axis=1).astype(np.int32)


def detect_task(
    model, n_outputs: int, labels: np.ndarray | None, output: int | str | None = None
) -> str:
    """``"multiclass"``, ``"binary"`` or ``"regression"`` from the head.

    Several outputs are multi-class; a single output whose layer has a
    sigmoid activation is binary; any other single output is a regression.
    A binary head must give a probability: a logit head (trained with
    ``from_logits=True``) is read as a regression; add a sigmoid to it (or
    explain a copy that ends in one) to get classes.
    """
    if n_outputs > 1:
        return "multiclass"
    layer = _output_layer(model, output)
    activation = getattr(layer, "activation", None)
    name = getattr(activation, "__name__", str(activation or ""))
    if "sigmoid" in name:
        return "binary"
    return "regression"


def _output_layer(model, output: int | str | None):
    """The layer that gives the explained output (the last layer when the
    model has no symbolic outputs, as a subclassed model)."""
    outputs = getattr(model, "outputs", None) or []
    names = list(getattr(model, "output_names", None) or [])
    index = 0
    if isinstance(output, str) and output in names:
        index = names.index(output)
    elif isinstance(output, int) and 0 <= output < len(outputs):
        index = output
    history = getattr(outputs[index], "_keras_history", None) if outputs else None
    if history is not None:
        return history[0]
    return model.layers[-1] if model.layers else None
