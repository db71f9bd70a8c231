"""The engine's API: names, Method, helpers, compiled-function reuse, errors."""

import json

import keras
import numpy as np
import pytest

from tb_explain.methods import (
    METHOD_NAMES,
    Method,
    _compiled,
    attribute,
    explained_output,
    model_outputs,
    resolve_targets,
    validate,
)
from tb_explain.methods._compiled import cached_functions


def small_cnn():
    keras.utils.set_random_seed(40)
    return keras.Sequential(
        [
            keras.Input((6, 6, 1)),
            keras.layers.Conv2D(3, 3, activation="relu", name="conv"),
            keras.layers.Flatten(name="flat"),
            keras.layers.Dense(4, activation="softmax", name="head"),
        ]
    )


@pytest.fixture
def cnn():
    return small_cnn()


@pytest.fixture
def images():
    return np.random.default_rng(41).random((5, 6, 6, 1), dtype="float32")


def test_method_names():
    assert METHOD_NAMES == (
        "gradients",
        "gradient_x_input",
        "integrated_gradients",
        "smoothgrad",
        "grad_cam",
        "occlusion",
        "kernel_shap",
    )


def test_method_object(cnn, images):
    method = Method("integrated_gradients", n_steps=8, baselines=np.ones((6, 6, 1)))
    assert method.name == "integrated_gradients"
    assert method.label == "Integrated gradients (n_steps=8)"
    assert Method("grad_cam").label == "Grad-CAM"
    config = method.to_config()
    assert json.loads(json.dumps(config)) == {
        "name": "integrated_gradients",
        "options": {"n_steps": 8, "baselines": {"array_shape": [6, 6, 1]}},
    }
    expected = attribute(cnn, images, target=1, **method.options)
    np.testing.assert_array_equal(method(cnn, images, target=1), expected)


def test_method_object_checks_at_construction():
    with pytest.raises(ValueError, match="Unknown `method='lime'`"):
        Method("lime")
    with pytest.raises(ValueError, match=r"Received: `n_steps=0`"):
        Method("integrated_gradients", n_steps=0)


def test_outputs_targets_explained(cnn, images):
    outputs = model_outputs(cnn, images)
    np.testing.assert_allclose(outputs, cnn.predict(images, verbose=0), rtol=1e-5)
    targets = resolve_targets(cnn, images, None)
    np.testing.assert_array_equal(targets, outputs.argmax(axis=1))
    np.testing.assert_array_equal(resolve_targets(cnn, images, 2), np.full(5, 2))
    explained = explained_output(cnn, images, [0, 1, 2, 3, 0])
    np.testing.assert_allclose(explained, outputs[np.arange(5), [0, 1, 2, 3, 0]])


def _tracing_counts(model):
    return {
        key[0]: fn.experimental_get_tracing_count()
        for key, fn in cached_functions(model).items()
    }


def test_one_trace_across_batch_sizes_and_training(cnn, images):
    """Batch sizes, chunk sizes and new weights reuse the same traced graphs."""
    for batch in (5, 3, 1):
        attribute(cnn, images[:batch], n_steps=4, batch_size=7)
    attribute(cnn, images, "gradients", batch_size=2)
    before = attribute(cnn, images, "gradients", target=0)
    cnn.compile("sgd", "sparse_categorical_crossentropy")
    cnn.fit(images, np.arange(5) % 4, epochs=1, verbose=0)
    after = attribute(cnn, images, "gradients", target=0)
    assert _tracing_counts(cnn) == {"gradient": 1, "forward": 1}
    assert np.abs(after - before).max() > 0


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_compiled_functions_take_float32(cnn, images, method):
    """No method feeds float64 rows: the model would run on a cast, slower."""
    options = {"n_samples": 4} if method in ("smoothgrad", "kernel_shap") else {}
    attribute(cnn, images, method, **options)
    keys = list(cached_functions(cnn))
    signatures = [key[-1] for key in keys]
    assert signatures and all(
        dtype == "float32" for signature in signatures for _, dtype in signature
    ), (method, keys)


def test_functions_are_per_model(images):
    first, second = small_cnn(), small_cnn()
    attribute(first, images, "gradients")
    assert cached_functions(second) == {}


# Each case: (method, options, target, error type, message pattern).
ERRORS = [
    ("foo", {}, None, ValueError, r"Unknown `method='foo'`. Expected one of: gra"),
    (
        "gradients",
        {"n_step": 3},
        None,
        ValueError,
        r"Unknown option `n_step=3` for method 'gradients'. Accepted options:",
    ),
    (
        "integrated_gradients",
        {"n_steps": 0},
        None,
        ValueError,
        r"`n_steps` must be an int >= 1. Received: `n_steps=0`",
    ),
    (
        "integrated_gradients",
        {"n_steps": 1},
        None,
        ValueError,
        r"`n_steps` must be >= 2 with `quadrature='trapezoid'`",
    ),
    (
        "integrated_gradients",
        {"quadrature": "riemann"},
        None,
        ValueError,
        r"Unknown `quadrature='riemann'`. Expected one of: 'trapezoid', 'gauss_",
    ),
    ("gradients", {}, 4, ValueError, r"`target=4` is out of range.*\[0, 3\]"),
    ("gradients", {}, [0, 1], ValueError, r"one int per sample, shape \(5,\)"),
    ("gradients", {}, 1.5, TypeError, r"`target` must be None, an int"),
    (
        "grad_cam",
        {"layer": "nope"},
        None,
        ValueError,
        r"Unknown `layer='nope'`.*Its layers: \['conv', 'flat', 'head'\]",
    ),
    (
        "grad_cam",
        {"layer": "flat"},
        None,
        ValueError,
        r"`layer='flat'` has no spatial output: its output has rank 2",
    ),
    ("gradients", {"output": 2}, None, ValueError, r"Unknown `output=2`"),
    ("gradients", {"batch_size": 0}, None, ValueError, r"`batch_size=0`"),
    (
        "integrated_gradients",
        {"baselines": np.zeros((3, 3))},
        None,
        ValueError,
        r"`baselines` must broadcast to the inputs",
    ),
    ("occlusion", {"window": 7}, None, ValueError, r"`window=\(7, 7\)` is larger"),
    ("kernel_shap", {"kernel": "tree"}, None, ValueError, r"Unknown `kernel='tree'`"),
    (
        "smoothgrad",
        {"noise_level": -1},
        None,
        ValueError,
        r"Received: `noise_level=-1`",
    ),
]


@pytest.mark.parametrize(("method", "options", "target", "kind", "message"), ERRORS)
def test_named_errors_before_heavy_work(
    cnn, images, method, options, target, kind, message
):
    """attribute and validate raise the same error, with nothing compiled."""
    with pytest.raises(kind, match=message):
        validate(cnn, images, method, target, **options)
    with pytest.raises(kind, match=message):
        attribute(cnn, images, method, target, **options)
    assert cached_functions(cnn) == {}


def test_inputs_not_matching_the_model(cnn, images):
    with pytest.raises(ValueError, match=r"`inputs\[0\]` has shape \(5, 5, 5, 1\)"):
        validate(cnn, images[:, :5, :5], "gradients")
    with pytest.raises(ValueError, match=r"takes 1 input\(s\); `inputs` holds 2"):
        attribute(cnn, [images, images], "gradients")
    with pytest.raises(TypeError, match="`inputs` must be a numpy array"):
        attribute(cnn, "images", "gradients")
    with pytest.raises(TypeError, match="`model` must be a Keras 3 model"):
        attribute(object(), images, "gradients")


def test_subclassed_inputs_not_matching(images):
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, inputs):
            return self.dense(keras.ops.reshape(inputs, (-1, 36)))

    model = Tiny()
    model(images)
    with pytest.raises(ValueError, match="`inputs` do not match the model"):
        validate(model, images[:, :5], "gradients")


def test_no_spatial_layer(images):
    model = keras.Sequential(
        [keras.Input((6, 6, 1)), keras.layers.Flatten(), keras.layers.Dense(2)]
    )
    with pytest.raises(ValueError, match="`layer=None`: the model has no layer"):
        attribute(model, images, "grad_cam")
    table = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="Grad-CAM needs an image input"):
        validate(table, np.ones((2, 3)), "grad_cam")


def test_other_backend_is_refused(cnn, images, monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(ValueError, match="needs the TensorFlow Keras backend.*'jax'"):
        validate(cnn, images, "gradients")


def test_user_options_not_mutated(cnn, images):
    options = {"layer": None}
    attribute(cnn, images, "grad_cam", **options)
    assert options == {"layer": None}


@pytest.mark.parametrize(
    "n_blocks, n_samples, batch_size", [(3, 5, 4), (17, 10, 7), (1, 3, 100)]
)
def test_chunks_cover_every_row_once_in_equal_sizes(n_blocks, n_samples, batch_size):
    """Rows are (block, sample) pairs; chunks are near-equal and <= batch_size."""
    seen, chunk_sizes = [], []

    def make_rows(block, first, last):
        return [np.array([[block, sample] for sample in range(first, last)])]

    def evaluate(rows, chunk):
        chunk_sizes.append(len(rows[0]))
        return [rows[0] * 10]

    def consume(block, first, last, values):
        expected = [[block * 10, sample * 10] for sample in range(first, last)]
        assert values[0].tolist() == expected
        seen.extend((block, sample) for sample in range(first, last))

    _compiled.run_blocks(n_blocks, n_samples, batch_size, make_rows, evaluate, consume)
    assert seen == [(b, s) for b in range(n_blocks) for s in range(n_samples)]
    assert max(chunk_sizes) <= batch_size
    assert max(chunk_sizes) - min(chunk_sizes) <= 1


def _two_heads():
    """Inputs a and b; head ``both`` reads both, head ``only_a`` reads a alone."""
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    both = keras.layers.Dense(1, name="both")(keras.layers.Concatenate()([a, b]))
    only_a = keras.layers.Dense(1, name="only_a")(a)
    return keras.Model([a, b], [both, only_a])


@pytest.mark.parametrize("method", ["gradients", "integrated_gradients", "smoothgrad"])
def test_an_input_the_output_ignores_gets_zero_attributions(method):
    model = _two_heads()
    rng = np.random.default_rng(2)
    x = [rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(4, 2))]
    options = {"n_samples": 3} if method == "smoothgrad" else {}
    a_part, b_part = attribute(model, x, method, output="only_a", **options)
    np.testing.assert_array_equal(b_part, np.zeros((4, 2), np.float32))
    if method == "gradients":
        kernel = np.asarray(model.get_layer("only_a").kernel)[:, 0]
        np.testing.assert_allclose(a_part, np.tile(kernel, (4, 1)), rtol=1e-6)


def test_a_one_element_list_of_baselines_is_one_per_input():
    inputs = keras.Input((5,))
    model = keras.Model([inputs], keras.layers.Dense(2)(inputs))
    rng = np.random.default_rng(3)
    x, base = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    (listed,) = attribute(model, [x], baselines=[base], target=0)
    (plain,) = attribute(model, [x], baselines=base, target=0)
    np.testing.assert_allclose(listed, plain, rtol=1e-6)
    with pytest.raises(ValueError, match="must broadcast to the inputs"):
        validate(model, [x], "integrated_gradients", baselines=base[None])
