"""Occlusion and kernel SHAP against the closed forms of linear models."""

import keras
import numpy as np
import pytest

from tb_explain.methods import attribute
from tb_explain.methods.shap import coalitions


@pytest.fixture(scope="module")
def linear():
    """y = x @ w + c with 6 features and 2 outputs; weights known."""
    keras.utils.set_random_seed(30)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(2)])
    rng = np.random.default_rng(31)
    x = rng.normal(size=(5, 6)).astype("float32") + 1
    baselines = rng.normal(size=(6,)).astype("float32")
    return model, x, baselines, model.layers[0].kernel.numpy()


def test_occlusion_tabular_closed_form(linear):
    model, x, b, w = linear
    result = attribute(model, x, "occlusion", target=1, baselines=b)
    np.testing.assert_allclose(result, w[:, 1] * (x - b), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kernel", ["shap", "lime"])
def test_kernel_shap_tabular_closed_form(linear, kernel):
    model, x, b, w = linear
    result = attribute(
        model, x, "kernel_shap", target=0, baselines=b, kernel=kernel, n_samples=64
    )
    np.testing.assert_allclose(result, w[:, 0] * (x - b), rtol=1e-3, atol=1e-4)


@pytest.fixture(scope="module")
def linear_image():
    """A linear model of a (8, 8, 2) image: Flatten then Dense."""
    keras.utils.set_random_seed(32)
    model = keras.Sequential(
        [keras.Input((8, 8, 2)), keras.layers.Flatten(), keras.layers.Dense(3)]
    )
    rng = np.random.default_rng(33)
    x = rng.random((3, 8, 8, 2), dtype="float32") + 0.5
    baselines = np.full((8, 8, 2), 0.25, "float32")
    w = model.layers[-1].kernel.numpy()[:, 2].reshape(8, 8, 2)
    return model, x, baselines, w


def test_occlusion_image_windows(linear_image):
    """With 2x2 windows every 2 pixels, each pixel gets its window's drop."""
    model, x, b, w = linear_image
    result = attribute(model, x, "occlusion", target=2, baselines=b, window=2, stride=2)
    terms = (w * (x - b)).reshape(3, 4, 2, 4, 2, 2).sum(axis=(2, 4, 5))
    expected = np.repeat(np.repeat(terms, 2, axis=1), 2, axis=2)[..., None]
    # Each value is a difference of two float32 outputs of size ~1: an
    # absolute error of a few float32 ulps (~1e-7) is rounding, not a bug.
    np.testing.assert_allclose(
        result, np.repeat(expected, 2, axis=3), rtol=1e-4, atol=1e-6
    )


def test_occlusion_overlapping_windows_average(linear_image):
    """A pixel covered by several windows gets the mean of their drops."""
    model, x, b, w = linear_image
    result = attribute(model, x, "occlusion", target=2, baselines=b, window=2, stride=1)
    terms = (w * (x - b)).sum(axis=3)
    windows = (
        terms[:, :-1, :-1] + terms[:, 1:, :-1] + terms[:, :-1, 1:] + terms[:, 1:, 1:]
    )
    expected = np.zeros((3, 8, 8))
    counts = np.zeros((8, 8))
    for top in range(7):
        for left in range(7):
            expected[:, top : top + 2, left : left + 2] += windows[
                :, top, left, None, None
            ]
            counts[top : top + 2, left : left + 2] += 1
    expected = (expected / counts)[..., None].repeat(2, axis=3)
    np.testing.assert_allclose(result, expected, rtol=1e-4, atol=1e-6)


def test_kernel_shap_image_patches(linear_image):
    """A 4x4 patch's value w.(x - b) over the patch, shared by its elements."""
    model, x, b, w = linear_image
    result = attribute(
        model, x, "kernel_shap", target=2, baselines=b, patch_size=4, n_samples=32
    )
    patches = (w * (x - b)).reshape(3, 2, 4, 2, 4, 2).sum(axis=(2, 4, 5)) / 32
    expected = np.repeat(np.repeat(patches, 4, axis=1), 4, axis=2)[..., None]
    np.testing.assert_allclose(result, np.repeat(expected, 2, axis=3), rtol=1e-3)
    total = result.reshape(3, -1).sum(axis=1)
    np.testing.assert_allclose(total, (w * (x - b)).reshape(3, -1).sum(1), rtol=1e-4)


def test_kernel_shap_interaction_exact_in_expectation():
    """For f = x1 * x2 + x3 the Shapley values split the product evenly."""
    inputs = keras.Input((3,))
    product = inputs[:, 0:1] * inputs[:, 1:2] + inputs[:, 2:3]
    model = keras.Model(inputs, product)
    x = np.array([[2.0, 3.0, 1.5]], "float32")
    b = np.array([0.5, 1.0, -1.0], "float32")
    result = attribute(model, x, "kernel_shap", baselines=b, n_samples=2000)
    interaction = x[0, 0] * x[0, 1] - b[0] * b[1]
    shared = (x[0, 0] - b[0]) * (x[0, 1] - b[1]) / 2
    first = (x[0, 0] - b[0]) * b[1] + shared
    second = (x[0, 1] - b[1]) * b[0] + shared
    expected = [first, second, x[0, 2] - b[2]]
    assert first + second == pytest.approx(interaction)
    np.testing.assert_allclose(result[0], expected, rtol=2e-2)


def test_shapley_coalition_sizes_follow_kernel():
    """Sizes are drawn with probability proportional to (M-1)/(s (M-s))."""
    masks = coalitions(6, 20000, "shap", np.random.default_rng(34))
    sizes = np.bincount(masks.sum(axis=1), minlength=7)[1:6] / len(masks)
    kernel = 5 / (np.arange(1, 6) * (6 - np.arange(1, 6)))
    np.testing.assert_allclose(sizes, kernel / kernel.sum(), atol=0.01)
