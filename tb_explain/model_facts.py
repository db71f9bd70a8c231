"""Facts about a Keras model: overview, fingerprint, weight statistics.

The seed article's "weight visualisation" done properly: statistics per layer
(weight norm, mean, standard deviation, share of dead units, gradient norm on
the probe) and first-layer weights as pictures. Weights are not explanations;
the report puts these in its appendix and says so.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

MAX_PICTURES = 64


def _shape_of(layer) -> Any:
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        shape = getattr(layer, "output_shape", None)
    if shape is None:
        return None
    return [None if d is None else int(d) for d in shape]


def _describe(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): _describe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    name = getattr(value, "name", None) or getattr(value, "__name__", None)
    return str(name or type(value).__name__)


def overview(model) -> dict:
    """A JSON-able overview of the model.

    Returns:
        ``{"name", "class", "layers": [{"name", "class", "output_shape",
        "params", "activation", "regularizers"}], "total_params",
        "trainable_params", "optimizer": {"name", "config"}, "loss",
        "metrics"}``.
    """
    layers = []
    for layer in model.layers:
        activation = getattr(layer, "activation", None)
        regs = [
            key
            for key in (
                "kernel_regularizer",
                "bias_regularizer",
                "activity_regularizer",
            )
            if getattr(layer, key, None) is not None
        ]
        if type(layer).__name__ in ("Dropout", "SpatialDropout2D", "GaussianNoise"):
            regs.append(f"{type(layer).__name__}({getattr(layer, 'rate', '')})")
        layers.append(
            {
                "name": layer.name,
                "class": type(layer).__name__,
                "output_shape": _shape_of(layer),
                "params": int(layer.count_params()) if layer.built else 0,
                "activation": _describe(activation) if activation else None,
                "regularizers": regs,
            }
        )
    return {
        "name": model.name,
        "class": type(model).__name__,
        "layers": layers,
        "total_params": int(model.count_params()),
        "trainable_params": int(
            sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        ),
        "optimizer": _optimizer(model),
        "loss": _describe(getattr(model, "loss", None)),
        "metrics": _metric_names(model),
    }


def _optimizer(model) -> dict | None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    try:
        config = optimizer.get_config()
    except Exception:  # a custom optimizer may not serialise
        logger.info("Optimizer %s has no readable config.", type(optimizer).__name__)
        config = {}
    keep = {k: _describe(v) for k, v in config.items() if not isinstance(v, dict)}
    return {"name": type(optimizer).__name__, "config": keep}


def _metric_names(model) -> list[str]:
    names = []
    for metric in getattr(model, "metrics", []) or []:
        name = getattr(metric, "name", None)
        if name and name not in ("loss", "compile_metrics"):
            names.append(str(name))
    compiled = getattr(model, "_compile_config", None)
    if compiled is not None:
        metrics = (
            compiled.config.get("metrics") if hasattr(compiled, "config") else None
        )
        for metric in metrics or []:
            names.append(str(_describe(metric)))
    return sorted(set(names))


def fingerprint(model) -> str:
    """SHA-256 of every weight's bytes, in model order (hex string)."""
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(np.asarray(weight)).tobytes())
    return digest.hexdigest()


def _kernel(layer) -> np.ndarray | None:
    kernel = getattr(layer, "kernel", None)
    if kernel is None:
        return None
    return np.asarray(kernel)


def weight_stats(
    model,
    grad_norms: dict[str, float] | None = None,
    dead: dict[str, float] | None = None,
) -> list[dict]:
    """Per-layer weight statistics.

    Args:
        model: A built Keras model.
        grad_norms: Layer name -> gradient norm of the loss on the probe.
        dead: Layer name -> share of units never active on the probe.

    Returns:
        One dict per layer with weights: ``layer``, ``class``,
        ``weight_norm``, ``weight_mean``, ``weight_std``, ``dead_fraction``,
        ``grad_norm`` (None where unknown).
    """
    grad_norms = grad_norms or {}
    dead = dead or {}
    stats = []
    for layer in model.layers:
        if not layer.weights:
            continue
        kernel = _kernel(layer)
        values = kernel if kernel is not None else np.asarray(layer.weights[0])
        values = values.astype(np.float64)
        stats.append(
            {
                "layer": layer.name,
                "class": type(layer).__name__,
                "weight_norm": float(np.linalg.norm(values)),
                "weight_mean": float(values.mean()),
                "weight_std": float(values.std()),
                "dead_fraction": dead.get(layer.name),
                "grad_norm": grad_norms.get(layer.name),
            }
        )
    return stats


class GradientProbe:
    """Norm of the loss gradient per layer on the probe batch.

    The gradient is one compiled function, traced on the first call and
    reused at every step (the weights are read as they are at the call).
    """

    def __init__(self, model, labels: np.ndarray | None):
        self._layers = [layer for layer in model.layers if layer.trainable_weights]
        self._function = self._compile(model, labels)
        self._present: list[int] = []

    def _compile(self, model, labels):
        import keras
        import tensorflow as tf

        loss_spec = getattr(model, "loss", None)
        if labels is None or loss_spec is None or not self._layers:
            return None
        try:
            loss_fn = keras.losses.get(loss_spec)
        except (ValueError, TypeError):
            logger.info("Loss %r cannot be read back; no gradient norms.", loss_spec)
            return None
        variables = [w for layer in self._layers for w in layer.trainable_weights]
        targets = np.asarray(labels)

        def squared_norms(inputs):
            with tf.GradientTape() as tape:
                predictions = model(inputs, training=False)
                wanted = targets
                if wanted.ndim == 1 and predictions.shape[-1] == 1:
                    wanted = wanted[:, None]
                loss = tf.reduce_mean(loss_fn(wanted, predictions))
            grads = tape.gradient(loss, variables)
            self._present = [i for i, g in enumerate(grads) if g is not None]
            return [tf.reduce_sum(tf.square(grads[i])) for i in self._present]

        return tf.function(squared_norms)

    def norms(self, inputs: Any) -> dict[str, float]:
        """Layer name -> L2 norm of the loss gradient over its trainable
        weights; empty when there are no labels or no loss to differentiate."""
        if self._function is None:
            return {}
        values = self._function(inputs)  # traces first: sets self._present
        squares = {i: float(v) for i, v in zip(self._present, values)}
        norms, position = {}, 0
        for layer in self._layers:
            count = len(layer.trainable_weights)
            span = range(position, position + count)
            parts = [squares[i] for i in span if i in squares]
            position += count
            if parts:
                norms[layer.name] = float(np.sqrt(sum(parts)))
        return norms


class ActivationProbe:
    """Measures the share of dead ReLU units per layer on the probe.

    A ReLU given as a layer's ``activation`` counts for that layer; a ReLU
    layer of its own (``keras.layers.ReLU``, ``Activation("relu")``) counts
    for the weighted layer before it. Leaky and other activations have no
    dead units. Works on models with a symbolic graph (Sequential and
    functional); on a subclassed model :meth:`dead_fractions` returns {}.
    """

    def __init__(self, model):
        import keras

        self._extractor = None
        self._names = []
        try:
            found = _relu_outputs(model)
            if found:
                inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
                self._extractor = keras.Model(
                    inputs, [layer.output for layer, _ in found]
                )
                self._names = [name for _, name in found]
                self._call = _compiled_call(self._extractor)
        except (AttributeError, ValueError):
            logger.info(
                "Model %s has no symbolic graph; no dead-unit share.", model.name
            )

    def dead_fractions(self, inputs: Any) -> dict[str, float]:
        """Layer name -> share of units (last axis) never above zero.

        Args:
            inputs: The probe as the model takes it; one array for a model
                with one input (whatever structure it was built with).
        """
        if self._extractor is None:
            return {}
        outputs = self._call(inputs)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        result = {}
        for name, out in zip(self._names, outputs):
            values = np.asarray(out)
            active = (values.reshape(-1, values.shape[-1]) > 0).any(axis=0)
            result[name] = float(1.0 - active.mean())
        return result


def _relu_outputs(model) -> list:
    """``[(layer, weighted layer name)]`` of the ReLU outputs to measure."""
    import keras

    found, weighted = [], None
    for layer in model.layers:
        if layer.weights:
            weighted = layer.name
        if isinstance(layer, keras.layers.ReLU):
            plain = not getattr(layer, "negative_slope", 0) and not getattr(
                layer, "threshold", 0
            )
        else:
            plain = _describe(getattr(layer, "activation", None)) == "relu"
        owner = layer.name if layer.weights else weighted
        if plain and owner is not None:
            found.append((layer, owner))
    return found


def _compiled_call(model):
    """``model(inputs, training=False)`` as one compiled function."""
    import tensorflow as tf

    return tf.function(lambda inputs: model(inputs, training=False))


def first_layer_pictures(model, input_shape: tuple) -> np.ndarray | None:
    """First-layer weights as pictures.

    Args:
        model: A built Keras model.
        input_shape: Shape of one image input ``(height, width, channels)``.

    Returns:
        ``(units, h, w, channels)``: for a first Dense layer fed the
        flattened image, each unit's weights reshaped to the image; for a
        first Conv2D layer, its filters. At most 64 units. None when the
        first weighted layer is neither.
    """
    layer = next(
        (lay for lay in model.layers if getattr(lay, "kernel", None) is not None), None
    )
    if layer is None or len(input_shape) != 3:
        return None
    kernel = _kernel(layer)
    if kernel.ndim == 4:
        return np.transpose(kernel, (3, 0, 1, 2))[:MAX_PICTURES]
    if kernel.ndim == 2 and kernel.shape[0] == int(np.prod(input_shape)):
        pictures = kernel.T.reshape((kernel.shape[1],) + tuple(input_shape))
        return pictures[:MAX_PICTURES]
    return None
