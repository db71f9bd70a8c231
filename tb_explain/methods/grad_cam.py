"""Grad-CAM: class activation maps from a spatial layer's gradients.

For the layer's activations ``A`` ``(batch, h, w, channels)``, each channel
is weighted by the mean over ``h, w`` of ``d f(x)[t] / d A``; the weighted
sum over channels, through a ReLU, is resized (bilinear) to the input's
``(height, width)``.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from tb_explain.methods import _compiled
from tb_explain.methods._job import Job
from tb_explain.methods._layers import (
    find_grad_cam_layer,
    find_layer,
    output_ranks,
    static_rank,
    tap,
)
from tb_explain.methods._options import Option, Spec, boolean, optional_name

OPTIONS = {
    "layer": Option(None, optional_name),
    "relu": Option(True, boolean),
}


def check(job: Job) -> None:
    """Resolves ``layer`` (stored back into ``job.options``) and checks it.

    Raises:
        ValueError: No such layer, a layer without a spatial output, no
            spatial layer at all, or no ``(batch, height, width, channels)``
            input to resize the maps to.
    """
    _image_size(job)
    sample = job.structure.pack([a[:1] for a in job.inputs])
    name = job.options["layer"]
    if name is None:
        found = find_grad_cam_layer(job.model, sample)
        if found is None:
            raise ValueError(
                "`layer=None`: the model has no layer with a spatial output "
                "(batch, height, width, channels). Grad-CAM needs one; pass "
                "`layer=` the name of a convolutional layer."
            )
        job.options["layer"] = found
        return
    rank = static_rank(find_layer(job.model, name))
    if rank is None:
        rank = output_ranks(job.model, sample).get(name)
    if rank != 4:
        raise ValueError(
            f"`layer={name!r}` has no spatial output: its output has rank "
            f"{rank}. Grad-CAM needs a layer with a (batch, height, width, "
            "channels) output, such as a Conv2D."
        )


def _image_size(job: Job) -> tuple[int, int]:
    for array in job.inputs:
        if array.ndim == 4:
            return array.shape[1], array.shape[2]
    shapes = [a.shape for a in job.inputs]
    raise ValueError(
        "Grad-CAM needs an image input (batch, height, width, channels). "
        f"Received inputs of shapes {shapes}."
    )


def _maps_function(job: Job, rows: list[np.ndarray]):
    call, name, relu = job.call, job.options["layer"], job.options["relu"]
    key = ("grad_cam", call.key(), name, relu, _compiled.signature_key(rows))

    def maps(rows, targets):
        seen = {}
        with tf.GradientTape() as tape:

            def keep(layer_call, *args, **kwargs):
                activations = layer_call(*args, **kwargs)
                tape.watch(activations)
                seen["activations"] = activations
                return activations

            with tap(find_layer(call.model_ref(), name), keep):
                outputs = call(rows)
            explained = tf.gather(outputs, targets, axis=1, batch_dims=1)
        activations = seen["activations"]
        # Zero when the explained output does not depend on the layer.
        zero = tf.UnconnectedGradients.ZERO
        grads = tape.gradient(explained, activations, unconnected_gradients=zero)
        weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
        cam = tf.reduce_sum(weights * activations, axis=-1)
        return tf.nn.relu(cam) if relu else cam

    def build():
        signature = [_compiled.specs(rows), tf.TensorSpec((None,), tf.int32)]
        return tf.function(maps, input_signature=signature, jit_compile=False)

    return _compiled.concrete(job.model, key, build)


def run(job: Job) -> np.ndarray:
    """Grad-CAM maps at the image input's size, ``(batch, height, width)``."""
    height, width = _image_size(job)
    function = _maps_function(job, job.inputs)
    size = job.chunk_rows(job.inputs)
    parts = []
    for start in range(0, job.batch, size):
        rows = [a[start : start + size] for a in job.inputs]
        cam = function(rows, job.targets[start : start + size])
        resized = tf.image.resize(cam[..., None], (height, width), "bilinear")
        parts.append(np.asarray(resized[..., 0], np.float32))
    return np.concatenate(parts)


GRAD_CAM = Spec(OPTIONS, run, check, "Grad-CAM")
