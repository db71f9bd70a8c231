"""Gradients, gradient x input and SmoothGrad against a plain GradientTape."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tb_explain.methods import attribute, explained_output, is_token_input


class SubclassedCNN(keras.Model):
    """A subclassed CNN: no declared inputs, layers found by calling it."""

    def __init__(self):
        super().__init__()
        self.conv = keras.layers.Conv2D(4, 3, activation="relu")
        self.pool = keras.layers.GlobalAveragePooling2D()
        self.head = keras.layers.Dense(3, activation="softmax")

    def call(self, inputs):
        return self.head(self.pool(self.conv(inputs)))


def build(kind):
    """A small CNN on (6, 6, 2) images with 3 softmax outputs."""
    keras.utils.set_random_seed(5)
    if kind == "subclassed":
        model = SubclassedCNN()
        model(np.zeros((1, 6, 6, 2), "float32"))
        return model
    layers = [
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3, activation="softmax"),
    ]
    if kind == "sequential":
        return keras.Sequential([keras.Input((6, 6, 2)), *layers])
    inputs = keras.Input((6, 6, 2))
    hidden = inputs
    for layer in layers:
        hidden = layer(hidden)
    return keras.Model(inputs, hidden)


def tape_gradients(model, x, targets, output=None):
    """The reference: d f(x)[t] / dx with a GradientTape, eagerly."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = model(x, training=False)
        if output is not None:
            outputs = outputs[output]
        explained = tf.gather(outputs, targets, axis=1, batch_dims=1)
    return tape.gradient(explained, x).numpy()


@pytest.fixture
def images():
    return np.random.default_rng(6).random((5, 6, 6, 2), dtype="float32") + 0.5


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
def test_gradients_match_tape(kind, images):
    model = build(kind)
    targets = np.array([0, 1, 2, 1, 0])
    result = attribute(model, images, "gradients", target=targets)
    expected = tape_gradients(model, images, targets)
    assert result.dtype == np.float32 and result.shape == images.shape
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-7)


def test_default_target_is_predicted_class(images):
    model = build("sequential")
    predicted = np.argmax(model.predict(images, verbose=0), axis=1)
    result = attribute(model, images, "gradients")
    np.testing.assert_allclose(
        result, tape_gradients(model, images, predicted), rtol=1e-5, atol=1e-7
    )


def test_gradient_x_input(images):
    model = build("functional")
    result = attribute(model, images, "gradient_x_input", target=2)
    expected = tape_gradients(model, images, np.full(5, 2)) * images
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-7)


def test_smoothgrad_differs_and_converges(images):
    model = build("sequential")
    plain = attribute(model, images, "gradients", target=1)
    noisy = attribute(model, images, "smoothgrad", target=1, n_samples=8)
    quiet = attribute(
        model, images, "smoothgrad", target=1, n_samples=8, noise_level=1e-5
    )
    assert np.abs(noisy - plain).max() > 0.05 * np.abs(plain).max()
    np.testing.assert_allclose(quiet, plain, rtol=1e-2, atol=1e-4)


def _half_square_model(features: int) -> keras.Model:
    """f(x) = sum(x**2) / 2, so that the gradient at x is x itself."""
    inputs = keras.Input((features,))
    half_square = keras.layers.Lambda(
        lambda t: 0.5 * keras.ops.sum(t * t, axis=1, keepdims=True)
    )(inputs)
    return keras.Model(inputs, half_square)


def test_smoothgrad_of_gradient_x_input_matches_its_expectation():
    """Each draw's gradient times that same draw: E[(x+n)^2] = x^2 + sigma^2.

    Multiplying by another draw (or by x) would give x^2 alone.
    """
    x = np.array([[1.0, 1.5, 2.0, 1.2, 1.8]], np.float32)
    sigma = 1.0 * (x.max() - x.min())  # noise_level 1.0 of the sample's range
    result = attribute(
        _half_square_model(5),
        x,
        "smoothgrad",
        base_method="gradient_x_input",
        n_samples=4000,
        noise_level=1.0,
    )
    # Per feature, sd of the mean: sqrt(4 x^2 s^2 + 2 s^4) / sqrt(4000) < 0.05.
    np.testing.assert_allclose(result, x**2 + sigma**2, atol=0.25)


@pytest.mark.parametrize("base", ["gradients", "gradient_x_input"])
def test_smoothgrad_noise_does_not_depend_on_batch_size(images, base):
    model = build("sequential")
    kwargs = dict(target=1, n_samples=6, base_method=base)
    whole = attribute(model, images, "smoothgrad", **kwargs)
    chunked = attribute(model, images, "smoothgrad", batch_size=5, **kwargs)
    np.testing.assert_allclose(chunked, whole, rtol=1e-5, atol=1e-7)


def test_smoothgrad_of_integrated_gradients(images):
    """With no noise, SmoothGrad of IG is IG, completeness included."""
    model = build("sequential")
    kwargs = dict(target=0, baselines=0.25, n_steps=32)
    ig = attribute(model, images, "integrated_gradients", **kwargs)
    smooth = attribute(
        model,
        images,
        "smoothgrad",
        base_method="integrated_gradients",
        noise_level=0.0,
        n_samples=2,
        **kwargs,
    )
    np.testing.assert_allclose(smooth, ig, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("head", ["sigmoid", "linear"])
def test_single_output_heads(head):
    """A (batch, 1) head is explained as is: target None means output 0."""
    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(5, "tanh"), keras.layers.Dense(1, head)]
    )
    x = np.random.default_rng(8).normal(size=(6, 4)).astype("float32")
    result = attribute(model, x, "gradients")
    np.testing.assert_allclose(
        result, tape_gradients(model, x, np.zeros(6, int)), rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("output", [1, "score"])
def test_multi_output_by_index_and_name(output):
    keras.utils.set_random_seed(9)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(6, activation="tanh")(inputs)
    label = keras.layers.Dense(3, activation="softmax", name="label")(hidden)
    score = keras.layers.Dense(2, name="score")(hidden)
    model = keras.Model(inputs, [label, score])
    x = np.random.default_rng(10).normal(size=(5, 4)).astype("float32") + 1
    result = attribute(model, x, "gradients", target=1, output=output)
    expected = tape_gradients(model, x, np.ones(5, int), output=1)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-7)


@pytest.fixture(scope="module")
def text_model():
    keras.utils.set_random_seed(11)
    return keras.Sequential(
        [
            keras.Input((7,), dtype="int32"),
            keras.layers.Embedding(30, 4),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )


def test_token_model_gradients_sum_over_embedding(text_model):
    tokens = np.random.default_rng(12).integers(1, 30, size=(3, 7))
    result = attribute(text_model, tokens, "gradient_x_input", target=1)
    embedded = tf.constant(text_model.layers[0](tokens))
    with tf.GradientTape() as tape:
        tape.watch(embedded)
        hidden = embedded
        for layer in text_model.layers[1:]:
            hidden = layer(hidden)
        explained = hidden[:, 1]
    expected = (tape.gradient(explained, embedded) * embedded).numpy().sum(axis=-1)
    assert is_token_input(text_model)
    assert result.shape == (3, 7)
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    ("method", "options"),
    [
        ("integrated_gradients", {"n_steps": 8}),
        ("occlusion", {}),
        ("kernel_shap", {"n_samples": 64}),
        ("smoothgrad", {"n_samples": 4}),
    ],
)
def test_token_model_every_method(text_model, method, options):
    tokens = np.random.default_rng(13).integers(1, 30, size=(3, 7))
    result = attribute(text_model, tokens, method, **options)
    assert result.shape == (3, 7) and result.dtype == np.float32
    assert np.isfinite(result).all() and np.abs(result).max() > 0


def test_token_model_completeness(text_model):
    """IG in embedding space adds up to f(x) - f(zero embeddings)."""
    tokens = np.random.default_rng(14).integers(1, 30, size=(4, 7))
    result, delta = attribute(text_model, tokens, n_steps=64, return_delta=True)
    embedded = text_model.layers[0](tokens)
    hidden = keras.ops.zeros_like(embedded)
    for layer in text_model.layers[1:]:
        hidden = layer(hidden)
    predicted = np.argmax(text_model.predict(tokens, verbose=0), axis=1)
    empty = np.asarray(hidden)[np.arange(4), predicted]
    change = explained_output(text_model, tokens, predicted) - empty
    np.testing.assert_allclose(result.sum(axis=1), change, rtol=0.02, atol=1e-6)
    np.testing.assert_allclose(delta, result.sum(axis=1) - change, atol=1e-6)
