"""Inputs and baselines: one array, a list or a dict, flattened and rebuilt.

The methods work on a flat list of numpy arrays, one per model input. The
structure the user passed (one array, a list, a dict) is remembered so that
attributions come back in the same structure.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Structure:
    """How the user's inputs were nested.

    Attributes:
        kind: ``"single"``, ``"list"`` or ``"dict"``.
        keys: The dict keys in order (empty unless ``kind == "dict"``).
    """

    kind: str
    keys: tuple[str, ...] = ()

    def pack(self, arrays: Sequence[Any]) -> Any:
        """Rebuilds the user's structure from a flat list."""
        if self.kind == "single":
            return arrays[0]
        if self.kind == "dict":
            return dict(zip(self.keys, arrays, strict=True))
        return list(arrays)


def flatten(inputs: Any, name: str = "inputs") -> tuple[Structure, list[Any]]:
    """Splits inputs into a structure and a flat list of array-likes.

    Raises:
        TypeError: ``inputs`` is none of array, tensor, list or dict.
    """
    if isinstance(inputs, Mapping):
        keys = tuple(inputs)
        return Structure("dict", keys), [inputs[key] for key in keys]
    if isinstance(inputs, list | tuple):
        return Structure("list"), list(inputs)
    if hasattr(inputs, "shape") and hasattr(inputs, "dtype"):
        return Structure("single"), [inputs]
    raise TypeError(
        f"`{name}` must be a numpy array, a tensor, a list or a dict of them. "
        f"Received: `{name}` of type {type(inputs).__name__}."
    )


def to_arrays(inputs: Any, keep_integers: bool) -> tuple[Structure, list]:
    """Flattens inputs into numpy arrays of the model's float type.

    Args:
        inputs: One array or tensor, a list or a dict of them, batch first.
        keep_integers: Keep integer arrays as int32 (token inputs).

    Returns:
        The structure and a list of arrays, each ``(batch, ...)``.

    Raises:
        TypeError: Not arrays, or arrays of no numeric dtype.
        ValueError: No batch axis, an empty batch, or batches that differ.
    """
    structure, values = flatten(inputs)
    arrays = [_as_array(value, keep_integers) for value in values]
    sizes = {array.shape[0] if array.ndim else None for array in arrays}
    if None in sizes or 0 in sizes or len(sizes) != 1:
        shapes = [array.shape for array in arrays]
        raise ValueError(
            "`inputs` must be batch first, with the same non-zero batch size "
            f"for every input. Received shapes: {shapes}."
        )
    return structure, arrays


def _as_array(value: Any, keep_integers: bool) -> np.ndarray:
    array = np.asarray(value)
    if np.issubdtype(array.dtype, np.integer) and keep_integers:
        return array.astype(np.int32)
    if not np.issubdtype(array.dtype, np.number) and array.dtype != bool:
        raise TypeError(
            f"`inputs` must hold numbers. Received an array of dtype {array.dtype}."
        )
    return array.astype(keras.config.floatx())


def check_against_model(
    model: keras.Model, arrays: list[np.ndarray], structure: Structure
) -> None:
    """Checks the number and shapes of inputs against the model's inputs.

    Only models that declare their inputs (Sequential and functional) are
    checked here; the rest are checked by a one-sample forward pass. Dict
    inputs are matched to the model's inputs by name where the names match.

    Raises:
        ValueError: The count or a shape does not match.
    """
    declared = _declared_inputs(model)
    if declared is None:
        return
    by_name = {getattr(spec, "name", None): spec for spec in declared}
    if structure.kind == "dict" and set(structure.keys) == set(by_name):
        declared = [by_name[key] for key in structure.keys]
    if len(declared) != len(arrays):
        raise ValueError(
            f"The model takes {len(declared)} input(s); `inputs` holds "
            f"{len(arrays)}. Pass one array per model input."
        )
    for index, (spec, array) in enumerate(zip(declared, arrays, strict=True)):
        if not _shape_matches(tuple(spec.shape), array.shape):
            raise ValueError(
                f"`inputs[{index}]` has shape {array.shape}; the model expects "
                f"{tuple(spec.shape)} (None: any size)."
            )


def _declared_inputs(model: keras.Model) -> list | None:
    try:
        declared = model.inputs
    except (AttributeError, ValueError):
        return None
    return list(declared) if declared else None


def _shape_matches(expected: tuple, actual: tuple) -> bool:
    if len(expected) != len(actual):
        return False
    return all(e is None or e == a for e, a in zip(expected[1:], actual[1:]))


def broadcast_baselines(
    baselines: Any, arrays: list[np.ndarray], structure: Structure
) -> list[np.ndarray]:
    """Broadcasts baselines to the inputs' shapes (views, no copies).

    Args:
        baselines: None (zeros), one array-like broadcastable to the inputs,
            or the same list/dict structure as the inputs.
        arrays: The flat inputs, each ``(batch, ...)``.
        structure: The inputs' structure.

    Returns:
        One read-only array per input, each with that input's shape and dtype.

    Raises:
        ValueError: A baseline that does not broadcast, or a wrong count.
    """
    if baselines is None:
        return [np.zeros((1,) * a.ndim, a.dtype) for a in arrays]
    values = _baseline_values(baselines, structure, len(arrays))
    result = []
    for index, (value, array) in enumerate(zip(values, arrays, strict=True)):
        base = np.asarray(value).astype(array.dtype)
        try:
            fits = np.broadcast_shapes(base.shape, array.shape) == array.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"`baselines` must broadcast to the inputs. Baseline {index} "
                f"has shape {base.shape}; the input has shape {array.shape}."
            )
        result.append(base)
    return result


def _baseline_values(baselines: Any, structure: Structure, count: int) -> list:
    if structure.kind == "dict" and isinstance(baselines, Mapping):
        missing = [key for key in structure.keys if key not in baselines]
        if missing:
            raise ValueError(
                f"`baselines` lacks the input(s) {missing}. Give one baseline "
                f"per key of `inputs`: {list(structure.keys)}."
            )
        return [baselines[key] for key in structure.keys]
    # A list is one baseline per input when the inputs are a list of that
    # length (a one-element list included); otherwise it is a value.
    listed = isinstance(baselines, list | tuple)
    if listed and (count > 1 or structure.kind == "list" and len(baselines) == 1):
        if len(baselines) != count:
            raise ValueError(
                f"`baselines` must hold one array per input ({count}). "
                f"Received {len(baselines)}."
            )
        return list(baselines)
    return [baselines] * count


def full(base: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Returns a read-only broadcast view of ``base`` with ``shape``."""
    return np.broadcast_to(base, shape)


def embedding_layer(model: keras.Model) -> keras.layers.Embedding | None:
    """Returns the Embedding layer that first reads the model's inputs, if any."""
    layers = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    if layers and isinstance(layers[0], keras.layers.Embedding):
        return layers[0]
    return None


def is_token_input(model: keras.Model) -> bool:
    """Whether the model reads integer tokens through an Embedding first layer.

    Such inputs cannot be differentiated. Gradient methods then attribute at
    the embedding's output and sum over its last axis, so that each token
    gets one attribution; occlusion and kernel_shap replace tokens by the
    baseline token (0 unless ``baselines`` says otherwise).

    Args:
        model: A built Keras model with a single input.

    Returns:
        True when the first layer (in ``model.layers`` order) is an Embedding.
    """
    return embedding_layer(model) is not None
