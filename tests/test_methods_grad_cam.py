"""Grad-CAM against the formula, and its default layer on every model kind."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tb_explain.methods import attribute, find_grad_cam_layer


def sequential_cnn():
    keras.utils.set_random_seed(20)
    return keras.Sequential(
        [
            keras.Input((10, 10, 3)),
            keras.layers.Conv2D(4, 3, activation="relu", name="conv_a"),
            keras.layers.Conv2D(6, 3, activation="relu", name="conv_b"),
            keras.layers.GlobalAveragePooling2D(name="pool"),
            keras.layers.Dense(3, activation="softmax", name="head"),
        ]
    )


class SubclassedCNN(keras.Model):
    def __init__(self):
        super().__init__()
        self.conv_a = keras.layers.Conv2D(4, 3, activation="relu", name="conv_a")
        self.conv_b = keras.layers.Conv2D(6, 3, activation="relu", name="conv_b")
        self.pool = keras.layers.GlobalAveragePooling2D(name="pool")
        self.head = keras.layers.Dense(3, activation="softmax", name="head")

    def call(self, inputs):
        return self.head(self.pool(self.conv_b(self.conv_a(inputs))))


def functional_cnn():
    keras.utils.set_random_seed(21)
    inputs = keras.Input((10, 10, 3))
    hidden = keras.layers.Conv2D(4, 3, activation="relu", name="conv_a")(inputs)
    hidden = keras.layers.Conv2D(6, 3, activation="relu", name="conv_b")(hidden)
    hidden = keras.layers.GlobalAveragePooling2D(name="pool")(hidden)
    return keras.Model(inputs, keras.layers.Dense(3, "softmax", name="head")(hidden))


@pytest.fixture
def images():
    return np.random.default_rng(22).random((4, 10, 10, 3), dtype="float32")


def formula(model, layer_name, x, targets):
    """Grad-CAM by hand: the chain of layers run under a GradientTape."""
    layers = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    with tf.GradientTape() as tape:
        hidden = tf.constant(x)
        for layer in layers:
            hidden = layer(hidden)
            if layer.name == layer_name:
                activations = hidden
                tape.watch(activations)
        explained = tf.gather(hidden, targets, axis=1, batch_dims=1)
    grads = tape.gradient(explained, activations)
    weights = tf.reduce_mean(grads, axis=(1, 2))
    cam = tf.nn.relu(tf.einsum("bhwc,bc->bhw", activations, weights))
    return tf.image.resize(cam[..., None], x.shape[1:3], "bilinear")[..., 0].numpy()


@pytest.mark.parametrize("layer", ["conv_a", "conv_b"])
def test_grad_cam_matches_formula(images, layer):
    model = sequential_cnn()
    targets = np.array([0, 1, 2, 0])
    result = attribute(model, images, "grad_cam", target=targets, layer=layer)
    expected = formula(model, layer, images, targets)
    assert result.shape == (4, 10, 10) and result.dtype == np.float32
    assert expected.max() > 0
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-7)


def test_default_layer_functional_matches_formula(images):
    model = functional_cnn()
    result = attribute(model, images, "grad_cam", target=1)
    np.testing.assert_allclose(
        result, formula(model, "conv_b", images, np.ones(4, int)), rtol=1e-5
    )


def test_default_layer_on_every_model_kind(images):
    subclassed = SubclassedCNN()
    subclassed(images[:1])
    assert find_grad_cam_layer(sequential_cnn()) == "conv_b"
    assert find_grad_cam_layer(functional_cnn()) == "conv_b"
    assert find_grad_cam_layer(subclassed, images) == "conv_b"
    result = attribute(subclassed, images, "grad_cam", target=2)
    assert result.shape == (4, 10, 10) and result.max() > 0


def test_no_relu_keeps_negative_evidence(images):
    model = sequential_cnn()
    signed = attribute(model, images, "grad_cam", target=0, relu=False)
    clipped = attribute(model, images, "grad_cam", target=0)
    assert signed.min() < 0 <= clipped.min()


def test_no_spatial_layer_returns_none():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    assert find_grad_cam_layer(model) is None
