"""The attribution engine: seven methods behind one function.

Example:

    >>> attributions = attribute(model, x, "integrated_gradients", n_steps=64)
    >>> attributions, delta = attribute(model, x, return_delta=True)

Every method explains ``f(x)[t]``: the model's output as the model returns it
(a probability after a softmax), for the ``target`` index ``t`` of each
sample. Options every method accepts:

- ``batch_size`` (int or None): rows per compiled call; bounds peak memory.
  None (the default) picks 256 rows, or more (up to 8192) for rows so small
  that a chunk of 256 would hold under 2**20 input values (4 MiB of float32).
- ``output`` (index or name): the explained output of a multi-output model;
  the first output by default.
- ``baselines``: an array broadcastable to the inputs (a list or dict for
  several inputs); zeros by default; ignored by methods that need none.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import keras
import numpy as np

from tb_explain.methods import _options
from tb_explain.methods._inputs import is_token_input
from tb_explain.methods._layers import find_grad_cam_layer
from tb_explain.methods._prepare import fill_targets, prepare
from tb_explain.methods.grad_cam import GRAD_CAM
from tb_explain.methods.gradients import GRADIENT_X_INPUT, GRADIENTS
from tb_explain.methods.integrated import INTEGRATED_GRADIENTS
from tb_explain.methods.occlusion import OCCLUSION
from tb_explain.methods.shap import KERNEL_SHAP
from tb_explain.methods.smoothgrad import SMOOTHGRAD
from tb_explain.methods.targets import explained_output, model_outputs, resolve_targets

logger = logging.getLogger(__name__)

_SPECS = {
    "gradients": GRADIENTS,
    "gradient_x_input": GRADIENT_X_INPUT,
    "integrated_gradients": INTEGRATED_GRADIENTS,
    "smoothgrad": SMOOTHGRAD,
    "grad_cam": GRAD_CAM,
    "occlusion": OCCLUSION,
    "kernel_shap": KERNEL_SHAP,
}

METHOD_NAMES: tuple[str, ...] = tuple(_SPECS)
"""The names :func:`attribute` accepts, in a stable order."""


def _spec(method: Any) -> _options.Spec:
    if not isinstance(method, str) or method not in _SPECS:
        raise ValueError(
            f"Unknown `method={method!r}`. Expected one of: {', '.join(METHOD_NAMES)}."
        )
    return _SPECS[method]


def validate(
    model: keras.Model, inputs: Any, method: str, target: Any = None, **options: Any
) -> None:
    """Raises the errors :func:`attribute` would raise, without its work.

    Runs one forward pass of one sample at most, so that a callback can check
    its configuration before the first batch of training.

    Raises:
        ValueError: An unknown method or option, a value out of range, a
            target out of range, a missing or non-spatial layer, inputs
            that do not fit the model, or a non-TensorFlow Keras backend.
        TypeError: An argument of the wrong type.
    """
    spec = _spec(method)
    job = prepare(model, inputs, method, spec.options, options, target)
    spec.check(job)


def attribute(
    model: keras.Model,
    inputs: Any,
    method: str = "integrated_gradients",
    target: Any = None,
    **options: Any,
) -> Any:
    """Attributions of the model's output to its inputs.

    Args:
        model: A built Keras 3 model on the TensorFlow backend: Sequential,
            functional (several inputs allowed) or subclassed.
        inputs: A numpy array or tensor ``(batch, ...)``, or a list or dict
            of them for several inputs. Integer tokens read by an Embedding
            first layer are accepted.
        method: One of :data:`METHOD_NAMES`.
        target: None (the predicted class; the single output of a sigmoid
            or regression head), an int, or ints ``(batch,)``.
        **options: The common options (see the module) and the method's own:
            ``integrated_gradients``: ``n_steps`` (50), ``quadrature``
            ("trapezoid" | "gauss_legendre"), ``return_delta`` (False);
            ``smoothgrad``: ``n_samples`` (25), ``noise_level`` (0.15 of the
            input's range), ``base_method``, ``seed`` (0), ``n_steps``,
            ``quadrature``; ``grad_cam``: ``layer`` (last spatial layer),
            ``relu`` (True); ``occlusion``: ``window`` ((4, 4)), ``stride``
            (the window); ``kernel_shap``: ``n_samples`` (512), ``kernel``
            ("shap" | "lime"), ``patch_size`` (4), ``kernel_width`` (0.25),
            ``seed`` (0).

    Returns:
        float32 attributions with the shape and structure of ``inputs``;
        ``(batch, tokens)`` for token inputs; for ``grad_cam`` one array
        ``(batch, height, width)`` at the image input's size. With
        ``return_delta=True``: ``(attributions, delta)``, ``delta``
        ``(batch,)`` = sum of attributions - (f(x)[t] - f(baselines)[t]).

    Raises:
        ValueError: As :func:`validate`, before any heavy work.
        TypeError: As :func:`validate`.
    """
    spec = _spec(method)
    job = prepare(model, inputs, method, spec.options, options, target)
    spec.check(job)
    result = spec.run(fill_targets(job))
    if isinstance(result, np.ndarray):
        return result
    if isinstance(result, tuple):
        attributions, delta = result
        return job.structure.pack(attributions), delta
    return job.structure.pack(result)


class Method:
    """A method name with its options, ready to call on a model.

    Example:

        >>> ig = Method("integrated_gradients", n_steps=64)
        >>> ig.label
        'Integrated gradients (n_steps=64)'
        >>> attributions = ig(model, x)

    Attributes:
        name: One of :data:`METHOD_NAMES`.
        options: The options given (a copy), passed on to :func:`attribute`.
    """

    def __init__(self, name: str, **options: Any):
        spec = _spec(name)
        _options.resolve(name, spec.options, options)
        self.name = name
        self.options = dict(options)

    @property
    def label(self) -> str:
        """A readable name with the options that differ from the defaults."""
        shown = [
            f"{key}={_describe(value)}"
            for key, value in self.options.items()
            if key != "baselines"
        ]
        base = _SPECS[self.name].label
        return f"{base} ({', '.join(shown)})" if shown else base

    def __call__(self, model: keras.Model, inputs: Any, target: Any = None) -> Any:
        """Returns ``attribute(model, inputs, self.name, target, **options)``."""
        return attribute(model, inputs, self.name, target, **self.options)

    def to_config(self) -> dict[str, Any]:
        """A JSON-able description: ``{"name": ..., "options": {...}}``.

        Arrays (such as baselines) are described by their shape, not stored.
        """
        options = {key: _jsonable(value) for key, value in self.options.items()}
        return {"name": self.name, "options": options}

    def __repr__(self) -> str:
        options = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"Method({self.name!r}{options})"


def _describe(value: Any) -> str:
    if hasattr(value, "shape") and getattr(value, "ndim", 0) > 0:
        return f"array{tuple(value.shape)}"
    return repr(value)


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        pass
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if hasattr(value, "shape"):
        return {"array_shape": list(value.shape)}
    return repr(value)


__all__ = [
    "METHOD_NAMES",
    "Method",
    "attribute",
    "explained_output",
    "find_grad_cam_layer",
    "is_token_input",
    "model_outputs",
    "resolve_targets",
    "validate",
]
