"""Integrated gradients: completeness on trained models, closed forms, delta."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits

from tb_explain.methods import attribute, explained_output


@pytest.fixture(scope="module")
def digits_cnn():
    """A small CNN trained 3 epochs on the 8x8 digits, and 8 test images."""
    keras.utils.set_random_seed(1)
    data = load_digits()
    x = (data.images / 16.0).astype("float32")[..., None]
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(8, 3, activation="relu", name="last_conv"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:1500], data.target[:1500], epochs=3, batch_size=64, verbose=0)
    return model, x[1500:1508]


@pytest.fixture(scope="module")
def cancer_mlp():
    """An MLP trained 5 epochs on standardised breast-cancer features."""
    keras.utils.set_random_seed(2)
    data = load_breast_cancer()
    x = data.data.astype("float32")
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    model = keras.Sequential(
        [
            keras.Input((30,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:500], data.target[:500], epochs=5, batch_size=32, verbose=0)
    return model, x[500:510]


def _completeness(model, x, baselines, **options):
    attributions, delta = attribute(
        model, x, baselines=baselines, n_steps=128, return_delta=True, **options
    )
    targets = np.argmax(model.predict(x, verbose=0), axis=1)
    full = np.broadcast_to(baselines, x.shape)
    change = explained_output(model, x, targets) - explained_output(
        model, full, targets
    )
    total = attributions.reshape(len(x), -1).sum(axis=1)
    return total, change, delta


@pytest.mark.parametrize("kind", ["zero", "nonzero"])
@pytest.mark.parametrize("quadrature", ["trapezoid", "gauss_legendre"])
def test_completeness_cnn(digits_cnn, kind, quadrature):
    model, x = digits_cnn
    baselines = 0.0 if kind == "zero" else np.full((1, 8, 8, 1), 0.4, "float32")
    total, change, delta = _completeness(model, x, baselines, quadrature=quadrature)
    np.testing.assert_array_less(np.abs(total - change), 0.02 * np.abs(change) + 1e-5)
    np.testing.assert_allclose(delta, total - change, atol=1e-5)
    assert np.abs(change).min() > 1e-3


@pytest.mark.parametrize("kind", ["zero", "nonzero"])
def test_completeness_mlp(cancer_mlp, kind):
    model, x = cancer_mlp
    baselines = 0.0 if kind == "zero" else np.linspace(-1, 1, 30, dtype="float32")
    total, change, _ = _completeness(model, x, baselines)
    # ReLU kinks make the integrand jump, so the quadrature error is about
    # jump / n_steps in absolute terms: 2% holds where the output moves.
    moved = np.abs(change) > 0.05
    assert moved.sum() >= 5
    error = np.abs(total - change)
    np.testing.assert_array_less(error[moved], 0.02 * np.abs(change[moved]))
    np.testing.assert_array_less(error, 2e-3)


def test_linear_model_closed_form():
    """IG of a linear output is exactly w_i (x_i - b_i), even with 2 steps."""
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    b = np.arange(5, dtype="float32") / 5
    weights = model.layers[0].kernel.numpy()
    result = attribute(model, x, target=2, baselines=b, n_steps=2)
    np.testing.assert_allclose(result, weights[:, 2] * (x - b), rtol=1e-5, atol=1e-6)


def test_quadratic_gauss_legendre_exact():
    """Gauss-Legendre with 2 nodes integrates the linear gradient of x**2."""
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.ops.sum(inputs**2, axis=1, keepdims=True))
    x = np.array([[1.0, -2.0, 0.5]], "float32")
    b = np.array([[0.5, 1.0, 0.0]], "float32")
    result = attribute(model, x, baselines=b, n_steps=2, quadrature="gauss_legendre")
    np.testing.assert_allclose(result, x**2 - b**2, rtol=1e-5)


def two_input_model(structure):
    """A CNN branch and a dense branch, taking a list or a dict of inputs."""
    keras.utils.set_random_seed(3)
    image = keras.Input((6, 6, 1), name="image")
    table = keras.Input((4,), name="table")
    features = keras.layers.Flatten()(keras.layers.Conv2D(3, 3)(image))
    merged = keras.layers.Concatenate()([features, table])
    hidden = keras.layers.Dense(8, activation="tanh")(merged)
    outputs = keras.layers.Dense(3, activation="softmax")(hidden)
    if structure == "list":
        return keras.Model([image, table], outputs)
    # The dict lists the table first: inputs are matched by name, not order.
    return keras.Model({"table": table, "image": image}, outputs)


@pytest.mark.parametrize("structure", ["list", "dict"])
def test_multi_input_completeness(structure):
    model = two_input_model(structure)
    rng = np.random.default_rng(4)
    image = rng.random((5, 6, 6, 1), dtype="float32")
    table = rng.normal(size=(5, 4)).astype("float32")
    base_image, base_table = np.full((6, 6, 1), 0.2, "float32"), np.ones(4, "float32")
    if structure == "list":
        inputs, bases = [image, table], [base_image, base_table]
    else:
        inputs = {"image": image, "table": table}
        bases = {"image": base_image, "table": base_table}
    result, delta = attribute(
        model,
        inputs,
        target=1,
        baselines=bases,
        n_steps=128,
        return_delta=True,
    )
    parts = list(result.values()) if structure == "dict" else result
    assert isinstance(result, type(inputs))
    assert [p.shape for p in parts] == [(5, 6, 6, 1), (5, 4)]
    total = parts[0].sum(axis=(1, 2, 3)) + parts[1].sum(axis=1)
    change = total - delta
    full = [
        np.broadcast_to(base_image, image.shape),
        np.broadcast_to(base_table, table.shape),
    ]

    def pack(values):
        return dict(zip(inputs, values)) if structure == "dict" else list(values)

    expected = explained_output(model, pack([image, table]), 1)
    expected -= explained_output(model, pack(full), 1)
    np.testing.assert_allclose(change, expected, atol=1e-5)
    np.testing.assert_array_less(np.abs(delta), 0.02 * np.abs(expected) + 1e-5)


def test_batch_size_does_not_change_result(cancer_mlp):
    model, x = cancer_mlp
    small = attribute(model, x, n_steps=16, batch_size=7)
    large = attribute(model, x, n_steps=16, batch_size=1000)
    np.testing.assert_allclose(small, large, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("method", ["gradients", "integrated_gradients"])
def test_randomisation_sanity_check(digits_cnn, method):
    """A trained model and a re-initialised clone get different explanations."""
    model, x = digits_cnn
    clone = keras.models.clone_model(model)
    targets = np.argmax(model.predict(x, verbose=0), axis=1)
    options = {"n_steps": 32} if method == "integrated_gradients" else {}
    trained = attribute(model, x, method, target=targets, **options)
    random = attribute(clone, x, method, target=targets, **options)
    correlation = np.corrcoef(trained.ravel(), random.ravel())[0, 1]
    assert abs(correlation) < 0.5
    outputs = explained_output(model, x, targets), explained_output(clone, x, targets)
    assert np.abs(outputs[0] - outputs[1]).mean() > 0.1
