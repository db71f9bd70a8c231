"""Finding layers and reading or replacing their outputs during a call.

A "tap" wraps one layer's ``call`` for the length of a ``with`` block. It
works the same on Sequential, functional and subclassed models, nested or
not, because every Keras layer runs its own ``call`` when called.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import keras
import tensorflow as tf


@contextlib.contextmanager
def tap(layer: keras.layers.Layer, wrap: Callable[..., Any]) -> Iterator[None]:
    """Routes ``layer.call(*args)`` through ``wrap(call, *args)`` for a while.

    Args:
        layer: The layer to tap.
        wrap: ``wrap(call, *args, **kwargs)``; returns the layer's output.
    """
    original = layer.call
    own = "call" in vars(layer)

    def wrapped(*args, **kwargs):
        return wrap(original, *args, **kwargs)

    object.__setattr__(layer, "call", wrapped)
    try:
        yield
    finally:
        if own:
            object.__setattr__(layer, "call", original)
        else:
            object.__delattr__(layer, "call")


def all_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Returns the model's layers, then those of nested models, depth first."""
    found = []
    for layer in model.layers:
        found.append(layer)
        if isinstance(layer, keras.Model):
            found.extend(all_layers(layer))
    return found


def find_layer(model: keras.Model, name: str) -> keras.layers.Layer:
    """Returns the layer called ``name``, searching nested models too.

    Raises:
        ValueError: No layer has that name.
    """
    for layer in all_layers(model):
        if layer.name == name:
            return layer
    names = [layer.name for layer in model.layers]
    raise ValueError(
        f"Unknown `layer={name!r}`: the model has no layer of that name. "
        f"Its layers: {names}."
    )


def output_ranks(model: keras.Model, sample: Any) -> dict[str, int]:
    """Runs one sample through the model and records each layer's output rank.

    Args:
        model: A built model.
        sample: Model inputs with a batch of one.

    Returns:
        ``{layer name: rank}`` for every layer that ran, in call order.
    """
    ranks: dict[str, int] = {}
    with contextlib.ExitStack() as stack:
        for layer in all_layers(model):
            stack.enter_context(tap(layer, _recorder(layer.name, ranks)))
        model(sample, training=False)
    return ranks


def _recorder(name: str, ranks: dict[str, int]) -> Callable[..., Any]:
    def wrap(call, *args, **kwargs):
        output = call(*args, **kwargs)
        if tf.is_tensor(output) or hasattr(output, "shape"):
            ranks.pop(name, None)
            ranks[name] = len(output.shape)
        return output

    return wrap


def static_rank(layer: keras.layers.Layer) -> int | None:
    """The rank of a layer's output, known without running it, or None."""
    try:
        return len(layer.output.shape)
    except (AttributeError, ValueError):
        pass
    shapes = getattr(layer, "_build_shapes_dict", None)
    if not shapes:
        return None
    try:
        return len(layer.compute_output_shape(**shapes))
    except (TypeError, ValueError, NotImplementedError):
        return None


def find_grad_cam_layer(model: keras.Model, inputs: Any = None) -> str | None:
    """Returns the name of the last layer with a spatial (4-D) output.

    On Sequential and functional models the layers' shapes are known without
    running anything. Subclassed models declare no shapes: pass ``inputs``
    (any batch, one sample is used) so that the call order and output shapes
    are observed on one forward pass.

    Args:
        model: A built Keras model.
        inputs: Optional model inputs, batch first.

    Returns:
        The layer name, or None when no layer has a
        ``(batch, height, width, channels)`` output.
    """
    if inputs is not None:
        sample = tf.nest.map_structure(lambda x: x[:1], inputs)
        ranks = output_ranks(model, sample)
        top = {layer.name for layer in model.layers}
        names = [name for name, rank in ranks.items() if rank == 4 and name in top]
        return names[-1] if names else None
    for layer in reversed(model.layers):
        if static_rank(layer) == 4:
            return layer.name
    return None
