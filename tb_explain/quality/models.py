"""A copy of a model with fresh random weights, for the randomisation check."""

from __future__ import annotations

import logging

import keras
import numpy as np
from numpy.typing import ArrayLike

logger = logging.getLogger(__name__)


def reinitialised_copy(
    model: keras.Model, inputs: ArrayLike | None = None
) -> keras.Model:
    """Clones ``model`` with the same architecture and freshly drawn weights.

    Sequential and functional models are cloned layer by layer
    (``keras.models.clone_model``); subclassed models are rebuilt from their
    config, which needs ``get_config`` (Keras fills it in for constructors
    that take only plain arguments). The user's model is left untouched.

    Args:
        model: a built Keras model.
        inputs: ``(batch, ...)`` a few inputs, used to build a rebuilt
            subclassed model; not needed for Sequential or functional models.

    Returns:
        A built ``keras.Model`` whose weights come from the layers'
        initializers.

    Raises:
        TypeError: if ``model`` is not a ``keras.Model``.
        ValueError: if the model cannot be rebuilt from its config, or it needs
            ``inputs`` to build and none were given.

    Example:
        >>> fresh = reinitialised_copy(model)
        >>> grads_fresh = ...  # explain `fresh` on the probe, then
        >>> randomisation(grads_trained, grads_fresh)  # doctest: +SKIP
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            "`model` must be a keras.Model. "
            f"Received: model of type {type(model).__name__}."
        )
    try:
        copy = keras.models.clone_model(model)
    except (NotImplementedError, TypeError, ValueError, KeyError) as error:
        raise ValueError(
            f"Cannot rebuild model {model.name!r} of class "
            f"{type(model).__name__} with fresh weights: {error}. Give the "
            "class a get_config() (and from_config() if its arguments are not "
            "plain values), or build the copy yourself and explain it."
        ) from error

    if len(copy.weights) != len(model.weights):
        if inputs is None:
            raise ValueError(
                f"The rebuilt copy of {type(model).__name__} has no weights "
                "until it is called. Pass `inputs` (a few samples, batch "
                "first) to build it. Received: inputs=None."
            )
        copy(np.asarray(inputs, dtype=np.float32)[:1], training=False)
    if len(copy.weights) != len(model.weights):
        raise ValueError(
            f"The rebuilt copy of {type(model).__name__} has "
            f"{len(copy.weights)} weights where the model has "
            f"{len(model.weights)}; its config does not describe it fully."
        )
    logger.debug("Re-initialised a copy of %s.", model.name)
    return copy
