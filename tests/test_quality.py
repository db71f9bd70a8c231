"""Tests of tb_explain.quality against closed forms and hand-computed cases.

Models are tiny (a dense layer with set weights, a digits CNN trained for a
few epochs); gradients for the randomisation check come from a plain
tf.GradientTape, not from the attribution engine.
"""

import json
import math

import keras
import numpy as np
import pytest
import scipy.stats
import tensorflow as tf
from sklearn.datasets import load_digits

import tb_explain as tbe
from tb_explain import quality, summary

N_FEATURES = 6
N_CLASSES = 3


class CountingModel:
    """Wraps a model and counts its calls and the rows it was given."""

    def __init__(self, model):
        self.model = model
        self.calls = 0
        self.rows = 0

    def __call__(self, inputs):
        self.calls += 1
        self.rows += int(inputs.shape[0])
        return self.model(inputs, training=False)


def _dense_model(weights, bias, input_shape):
    model = keras.Sequential(
        [
            keras.Input(input_shape),
            keras.layers.Flatten(),
            keras.layers.Dense(len(bias)),
        ]
    )
    model.layers[-1].set_weights([weights.astype("float32"), bias.astype("float32")])
    return model


@pytest.fixture(scope="module")
def linear():
    """f(x) = x W + b on 6 features, 3 outputs, with non-zero inputs/baselines."""
    rng = np.random.default_rng(1)
    weights = rng.normal(size=(N_FEATURES, N_CLASSES))
    bias = np.array([0.3, -0.2, 0.1])
    inputs = rng.normal(size=(8, N_FEATURES)) + 1.0
    baselines = np.full((8, N_FEATURES), 0.25)
    model = _dense_model(weights, bias, (N_FEATURES,))
    return dict(model=model, w=weights, b=bias, x=inputs, x0=baselines)


@pytest.fixture(scope="module")
def digits_cnn():
    """A small CNN on 8x8 digits, trained for 4 epochs (about 90% accuracy)."""
    keras.utils.set_random_seed(0)
    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")[..., None]
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        "adam",
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(images[:1500], digits.target[:1500], epochs=4, batch_size=64, verbose=0)
    return model, images[1500:1564], digits.target[1500:1564]


def _gradients(model, inputs, targets):
    inputs = tf.convert_to_tensor(inputs)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = model(inputs, training=False)
        selected = tf.gather(outputs, targets, axis=1, batch_dims=1)
    return tape.gradient(selected, inputs).numpy()


def _linear_curve(case, attributions, target, counts, insert, fill):
    """Reference curve of a linear model, built sample by sample and step by step.

    Step k holds f = sum over kept units of w_i x_i + sum over moved units of
    w_i fill_i + b, with units moved in descending attribution order.
    """
    w, b, x = case["w"][:, target], case["b"][target], case["x"]
    curves = np.zeros((len(x), len(counts)))
    for i in range(len(x)):
        order = sorted(range(N_FEATURES), key=lambda j: -attributions[i, j])
        for k, count in enumerate(counts):
            moved = set(order[:count])
            values = [
                (x[i, j] if (j in moved) == insert else fill[i, j])
                for j in range(N_FEATURES)
            ]
            curves[i, k] = float(np.dot(w, values) + b)
    return curves


# Completeness and the baseline gap.


def test_completeness_matches_hand_computed_delta():
    attributions = np.array([[0.4, 0.6], [0.5, 0.4], [0.01, 0.0]])
    output_inputs = np.array([2.0, 1.5, 0.7])
    output_baselines = np.array([1.0, 0.5, 0.7])

    delta = quality.completeness(attributions, output_inputs, output_baselines)
    gap = quality.baseline_gap(output_inputs, output_baselines)

    # |1 - 1| / 1, |0.9 - 1| / 1, and |0.01 - 0| / 1e-6 (the floored denominator).
    np.testing.assert_allclose(delta, [0.0, 0.1, 1e4], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gap, [1.0, 1.0, 0.0], atol=1e-12)
    assert np.all(np.isfinite(delta))


def test_completeness_rejects_mismatched_batches_and_eps():
    with pytest.raises(ValueError, match="batch size"):
        quality.completeness(np.ones((3, 2)), np.ones(2), np.zeros(2))
    with pytest.raises(ValueError, match="eps=0"):
        quality.completeness(np.ones((2, 2)), np.ones(2), np.zeros(2), eps=0)


# Deletion and insertion.


def test_deletion_curve_of_linear_model_matches_closed_form(linear):
    x, x0 = linear["x"], linear["x0"]
    attributions = linear["w"][:, 1] * (x - x0)

    result = quality.deletion(
        linear["model"], x, attributions, targets=1, fill=x0, n_steps=3
    )

    counts = [0, 2, 4, 6]
    expected = _linear_curve(linear, attributions, 1, counts, False, x0)
    np.testing.assert_allclose(result.fractions, np.array(counts) / 6)
    np.testing.assert_allclose(result.curves, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        result.auc, np.trapezoid(expected, result.fractions, axis=1), rtol=1e-5
    )
    assert result.fill == "baselines" and result.mode == "deletion"
    # Removing the most positive w_i (x_i - x0_i) first must beat a random order.
    assert np.all(result.auc <= result.random_auc + 1e-6)
    assert result.gain.mean() > 0.2


def test_insertion_curve_of_linear_model_matches_closed_form(linear):
    x, x0 = linear["x"], linear["x0"]
    attributions = linear["w"][:, 2] * (x - x0)

    result = quality.insertion(
        linear["model"], x, attributions, targets=2, fill=x0, n_steps=3
    )

    expected = _linear_curve(linear, attributions, 2, [0, 2, 4, 6], True, x0)
    np.testing.assert_allclose(result.curves, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(result.curves[:, 0], result.random_curves[:, 0])
    np.testing.assert_allclose(result.curves[:, -1], result.random_curves[:, -1])
    assert np.all(result.auc >= result.random_auc - 1e-6)


def test_gain_is_range_normalised_difference_of_areas(linear):
    x, x0 = linear["x"], linear["x0"]
    attributions = linear["w"][:, 0] * (x - x0)

    result = quality.deletion(linear["model"], x, attributions, 0, fill=x0, n_steps=6)

    both = np.concatenate([result.curves, result.random_curves], axis=1)
    span = both.max(axis=1) - both.min(axis=1)
    expected = (result.random_auc - result.auc) / span
    np.testing.assert_allclose(result.gain, expected, rtol=1e-9)
    # The reversed ranking deletes the supporting features last: negative gain.
    reversed_result = quality.deletion(
        linear["model"], x, -attributions, 0, fill=x0, n_steps=6
    )
    assert reversed_result.gain.mean() < -0.2


def test_image_pixels_move_with_all_their_channels():
    rng = np.random.default_rng(2)
    weights = rng.normal(size=(4 * 4 * 2, 1))
    model = _dense_model(weights, np.array([0.5]), (4, 4, 2))
    x = rng.normal(size=(5, 4, 4, 2))
    fill = np.full_like(x, -0.3)
    pixel_map = rng.normal(size=(5, 4, 4))  # a Grad-CAM-like map

    result = quality.deletion(model, x, pixel_map, 0, fill=fill, n_steps=4)

    w = weights[:, 0].reshape(4, 4, 2)
    for step, count in enumerate([0, 4, 8, 12, 16]):
        order = np.argsort(-pixel_map.reshape(5, 16), axis=1, kind="stable")
        moved = np.zeros((5, 16), bool)
        np.put_along_axis(moved, order[:, :count], True, axis=1)
        mixed = np.where(moved.reshape(5, 4, 4, 1), fill, x)
        expected = (mixed * w).sum(axis=(1, 2, 3)) + 0.5
        np.testing.assert_allclose(result.curves[:, step], expected, rtol=1e-5)


def test_perturbed_inputs_go_to_the_model_in_chunks(linear):
    counting = CountingModel(linear["model"])
    x = linear["x"]  # 8 samples, 6 units, K = 3

    quality.deletion(counting, x, x, 0, n_steps=3, batch_size=10)

    # f(x): 8 rows; then 8 fill rows + 2 orders x 2 inner steps x 8 samples.
    assert counting.rows == 8 + 8 + 2 * 2 * 8
    assert counting.calls == math.ceil(8 / 10) + math.ceil(40 / 10)


@pytest.mark.parametrize(
    ("fill", "expected_name"),
    [(None, "zeros"), ("zeros", "zeros"), ("mean", "mean"), ("blur", "blur")],
)
def test_named_fills_are_stated(fill, expected_name, digits_cnn):
    model, images, labels = digits_cnn
    result = quality.deletion(model, images[:4], images[:4], labels[:4], fill=fill)
    assert result.fill == expected_name
    assert result.curves.shape == (4, 17)


def test_mean_fill_is_the_probe_mean(linear):
    x = linear["x"]
    result = quality.deletion(linear["model"], x, x, 0, fill="mean", n_steps=1)
    mean_output = x.mean(axis=0) @ linear["w"][:, 0] + linear["b"][0]
    np.testing.assert_allclose(result.curves[:, -1], mean_output, rtol=1e-5)


def test_deletion_rejects_bad_arguments(linear):
    model, x = linear["model"], linear["x"]
    with pytest.raises(ValueError, match="n_steps=0"):
        quality.deletion(model, x, x, 0, n_steps=0)
    with pytest.raises(ValueError, match="'blur'"):
        quality.deletion(model, x, x, 0, fill="blur")
    with pytest.raises(ValueError, match="shape of `inputs`"):
        quality.deletion(model, x, x[:, :3], 0)
    with pytest.raises(ValueError, match="targets"):
        quality.deletion(model, x, x, 7)
    with pytest.raises(ValueError, match="batch_size=0"):
        quality.deletion(model, x, x, 0, batch_size=0)


# Rank correlation, top-k overlap, randomisation and stability.


def test_rank_correlation_identical_and_reversed_maps():
    maps = np.random.default_rng(3).normal(size=(4, 3, 5))
    np.testing.assert_allclose(quality.rank_correlation(maps, maps), 1.0)
    np.testing.assert_allclose(quality.rank_correlation(maps, -maps), -1.0)


def test_rank_correlation_with_ties_by_hand():
    # Ranks of a: [1, 2.5, 2.5, 4]; of b: [1, 3, 2, 4]; rho = 4.5 / sqrt(4.5 * 5).
    a = np.array([[1.0, 2.0, 2.0, 3.0]])
    b = np.array([[1.0, 3.0, 2.0, 4.0]])
    np.testing.assert_allclose(
        quality.rank_correlation(a, b), [4.5 / math.sqrt(22.5)], rtol=1e-12
    )


def test_rank_correlation_matches_scipy_with_ties():
    rng = np.random.default_rng(4)
    a = rng.integers(0, 4, size=(6, 30)).astype(float)
    b = a + rng.integers(-2, 3, size=(6, 30))

    rho = quality.rank_correlation(a, b)

    expected = [scipy.stats.spearmanr(a[i], b[i]).statistic for i in range(6)]
    np.testing.assert_allclose(rho, expected, rtol=1e-10)


def test_rank_correlation_of_a_constant_map_is_nan():
    rho = quality.rank_correlation(np.zeros((1, 5)), np.arange(5.0)[None])
    assert np.isnan(rho[0])


def test_rank_correlation_of_a_map_with_nan_is_nan():
    """scipy.stats.spearmanr gives NaN too; NaN must not get a rank of its own."""
    a = np.array([[1.0, np.nan, np.nan, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
    b = np.array([[1.0, 5.0, 6.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
    rho = quality.rank_correlation(a, b)
    assert np.isnan(rho[0]) and rho[1] == pytest.approx(1.0)


def test_top_k_overlap_of_a_constant_map_is_nan():
    """An all-zero map (Grad-CAM under its ReLU) has no top k to share."""
    zeros, ramp = np.zeros((1, 6)), np.arange(6.0)[None]
    assert np.isnan(quality.top_k_overlap(zeros, zeros, 2)[0])
    assert np.isnan(quality.top_k_overlap(zeros, ramp, 2)[0])
    assert quality.top_k_overlap(ramp, ramp, 2)[0] == 1.0


def test_top_k_overlap_by_hand():
    a = np.array([[5.0, -4.0, 3.0, 0.0, 1.0]])
    b = np.array([[0.0, 1.0, -3.0, 4.0, 5.0]])
    # top-|a| {0, 1, 2}; top-|b| {4, 3, 2}: one shared unit of three.
    np.testing.assert_allclose(quality.top_k_overlap(a, b, 3), [1 / 3])
    np.testing.assert_allclose(quality.top_k_overlap(a, b, 2), [0.0])
    np.testing.assert_allclose(quality.top_k_overlap(a, b, 5), [1.0])
    with pytest.raises(ValueError, match="k=6"):
        quality.top_k_overlap(a, b, 6)


def test_randomisation_and_stability_compare_magnitudes():
    rng = np.random.default_rng(5)
    maps = rng.normal(size=(3, 10))
    np.testing.assert_allclose(quality.randomisation(maps, -maps), 1.0)
    np.testing.assert_allclose(quality.stability(maps, -2 * maps), 1.0)
    with pytest.raises(ValueError, match="same shape"):
        quality.stability(maps, maps[:, :5])


def test_reinitialised_copy_of_trained_cnn_gives_low_rank_correlation(digits_cnn):
    model, images, labels = digits_cnn
    trained = _gradients(model, images, labels)
    before = [w.copy() for w in model.get_weights()]

    fresh = quality.reinitialised_copy(model)

    random_maps = _gradients(fresh, images, labels)
    rho = quality.randomisation(trained, random_maps)
    assert np.nanmean(rho) < 0.4
    assert quality.status("randomisation", float(np.nanmean(rho))) == "pass"
    np.testing.assert_allclose(quality.randomisation(trained, trained), 1.0)
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert not np.allclose(fresh.get_weights()[0], before[0])


class _Subclassed(keras.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units)

    def call(self, inputs):
        return self.dense(inputs)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class _WithoutBuildConfig(_Subclassed):
    def get_build_config(self):
        return None


class _Unserialisable(keras.Model):
    def __init__(self, table):
        super().__init__()
        self.table = table
        self.dense = keras.layers.Dense(2)

    def call(self, inputs):
        return self.dense(inputs)


def test_reinitialised_copy_of_subclassed_models():
    x = np.ones((2, 4), "float32")
    model = _Subclassed()
    model(x)

    fresh = quality.reinitialised_copy(model)

    assert fresh(x).shape == (2, 3)
    assert not np.allclose(fresh.get_weights()[0], model.get_weights()[0])


def test_reinitialised_copy_builds_with_inputs_when_it_must():
    x = np.ones((2, 4), "float32")
    model = _WithoutBuildConfig()
    model(x)

    with pytest.raises(ValueError, match="Pass `inputs`"):
        quality.reinitialised_copy(model)
    fresh = quality.reinitialised_copy(model, inputs=x)

    assert len(fresh.weights) == len(model.weights) == 2


def test_reinitialised_copy_explains_what_it_cannot_rebuild():
    model = _Unserialisable(object())
    model(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match="get_config"):
        quality.reinitialised_copy(model)
    with pytest.raises(TypeError, match="keras.Model"):
        quality.reinitialised_copy(lambda inputs: inputs)


# Agreement and complexity.


def test_agreement_reduces_channels_to_compare_with_pixel_maps():
    rng = np.random.default_rng(6)
    full = rng.normal(size=(2, 4, 4, 3))
    pixel = np.abs(full).sum(axis=-1)

    pairs = quality.agreement({"ig": full, "cam": pixel, "noise": -pixel}, k=4)

    assert set(pairs) == {
        f"{name}/{pair}"
        for name in ("agreement", "agreement_top_k")
        for pair in ("ig~cam", "ig~noise", "cam~noise")
    }
    np.testing.assert_allclose(pairs["agreement/ig~cam"], 1.0)
    np.testing.assert_allclose(pairs["agreement_top_k/ig~noise"], 1.0)


def test_entropy_and_gini_on_hand_cases():
    n = 8
    uniform = np.full((1, n), -0.3)
    one_hot = np.eye(n)[None, 2] * -5.0
    shares = np.array([[0.5, -0.25, 0.25, 0.0]])

    np.testing.assert_allclose(quality.entropy(uniform), [1.0], atol=1e-12)
    np.testing.assert_allclose(quality.gini(uniform), [0.0], atol=1e-12)
    np.testing.assert_allclose(quality.entropy(one_hot), [0.0], atol=1e-12)
    np.testing.assert_allclose(quality.gini(one_hot), [1 - 1 / n], atol=1e-12)
    # H = (0.5 ln 2 + 2 * 0.25 ln 4) / ln 4 = 0.75; G = 1 - 2 * 1.25 / 4 = 0.375.
    np.testing.assert_allclose(quality.entropy(shares), [0.75], atol=1e-12)
    np.testing.assert_allclose(quality.gini(shares), [0.375], atol=1e-12)
    assert np.isnan(quality.entropy(np.zeros((1, 4)))[0])


# Bootstrap interval.


def test_bootstrap_interval_contains_mean_and_shrinks_with_n():
    rng = np.random.default_rng(7)
    small = rng.normal(1.0, 1.0, size=20)
    large = rng.normal(1.0, 1.0, size=2000)

    low_s, high_s = quality.bootstrap_interval(small)
    low_l, high_l = quality.bootstrap_interval(large)

    assert low_s < small.mean() < high_s
    assert low_l < large.mean() < high_l
    assert (high_l - low_l) < (high_s - low_s) / 5
    # About 1.96 standard errors each side for the large sample.
    np.testing.assert_allclose(high_l - low_l, 2 * 1.96 / math.sqrt(2000), rtol=0.15)


def test_bootstrap_interval_drops_nans_and_handles_edge_cases():
    values = np.array([0.1, np.nan, 0.4, 0.2, np.nan, 0.3])
    assert quality.bootstrap_interval(values) == quality.bootstrap_interval(
        values[np.isfinite(values)]
    )
    assert quality.bootstrap_interval([2.5, 2.5]) == (2.5, 2.5)
    assert all(math.isnan(v) for v in quality.bootstrap_interval([np.nan]))
    with pytest.raises(ValueError, match="level=1.5"):
        quality.bootstrap_interval(values, level=1.5)
    with pytest.raises(ValueError, match="n_boot=0"):
        quality.bootstrap_interval(values, n_boot=0)


# Rules.


THRESHOLD_CASES = [
    ("completeness", 0.05, "pass"),
    ("completeness", 0.0501, "warn"),
    ("completeness", 0.10, "warn"),
    ("completeness", 0.1001, "fail"),
    ("baseline_gap", 0.05, "pass"),
    ("baseline_gap", 0.0499, "warn"),
    ("baseline_gap", 0.0, "warn"),
    ("deletion_gain", 0.05, "pass"),
    ("deletion_gain", 0.0499, "warn"),
    ("deletion_gain", -0.05, "warn"),
    ("deletion_gain", -0.0501, "fail"),
    ("insertion_gain/smoothgrad", -0.5, "fail"),
    ("randomisation", 0.5, "pass"),
    ("randomisation", 0.5001, "warn"),
    ("randomisation", 0.8, "warn"),
    ("randomisation/gradients", 0.8001, "fail"),
    ("stability", 0.5, "pass"),
    ("stability", 0.4999, "warn"),
    ("stability", -1.0, "warn"),
    ("completeness", float("nan"), "warn"),
    ("agreement", 0.99, "info"),
    ("complexity_gini", 0.1, "info"),
]


@pytest.mark.parametrize(("metric", "value", "expected"), THRESHOLD_CASES)
def test_status_at_and_around_thresholds(metric, value, expected):
    assert quality.status(metric, value) == expected


@pytest.mark.parametrize(("metric", "value", "expected"), THRESHOLD_CASES)
def test_summary_entries_judge_values_as_the_rules_do(metric, value, expected):
    """The plugin and the report judge per-sample values from the written
    entry alone (no TensorFlow import): the same verdicts as the rules."""
    rule = quality.RULES[metric.split("/")[0]]
    entry = {
        "metric": metric.split("/")[0],
        "threshold": rule.pass_at,
        "fail_threshold": rule.fail_beyond,
        "direction": rule.direction,
    }
    assert summary.judge(entry, value)[0] == expected
    if rule.direction != "informative":
        older = {k: v for k, v in entry.items() if k != "direction"}
        assert summary.judge(older, [value])[0] == expected


def test_status_rejects_unknown_metric():
    with pytest.raises(ValueError, match="'faithfulness'"):
        quality.status("faithfulness", 0.1)


# The entry point.


def test_evaluate_linear_model_end_to_end(linear):
    model, x, x0, w = linear["model"], linear["x"], linear["x0"], linear["w"]
    targets = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    integrated = w[:, targets].T * (x - x0)  # exact IG of a linear model
    gradients = w[:, targets].T

    result = quality.evaluate(
        model,
        x,
        {"integrated_gradients": integrated, "gradients": gradients},
        targets,
        baselines=x0,
        previous={"gradients": 3 * gradients},
        reference={"integrated_gradients": integrated},
        n_steps=3,
    )

    np.testing.assert_allclose(
        result["completeness/integrated_gradients"], 0.0, atol=1e-4
    )
    gap = np.abs(np.sum(integrated, axis=1))
    np.testing.assert_allclose(
        result["baseline_gap/integrated_gradients"], gap, rtol=1e-5, atol=1e-5
    )
    single = quality.deletion(model, x, integrated, targets, fill=x0, n_steps=3)
    np.testing.assert_allclose(
        result.curves["deletion/integrated_gradients"], single.curves, rtol=1e-6
    )
    np.testing.assert_allclose(result["stability/gradients"], 1.0)
    np.testing.assert_allclose(result["randomisation/integrated_gradients"], 1.0)
    assert result.fill == "baselines"


def test_evaluate_summary_is_json_and_follows_rules(linear):
    x, x0, w = linear["x"], linear["x0"], linear["w"]
    integrated = w[:, 0] * (x - x0)

    result = quality.evaluate(
        linear["model"],
        x,
        {"integrated_gradients": integrated},
        0,
        baselines=x0,
        reference={"integrated_gradients": integrated},
    )

    text = json.dumps(result.summary, allow_nan=False)
    rows = {(r["metric"], r["method"]): r for r in json.loads(text)}
    assert set(result.per_sample) == {f"{m}/{method}" for m, method in rows}
    assert {m for m, _ in rows} <= set(quality.RULES)
    completeness = rows["completeness", "integrated_gradients"]
    assert completeness["status"] == "pass" and completeness["threshold"] == 0.05
    randomisation = rows["randomisation", "integrated_gradients"]
    assert randomisation["status"] == "fail" and randomisation["n_fail"] == 8
    for row in rows.values():
        low, high = row["interval"]
        assert low <= row["value"] <= high
        assert row["status"] == quality.status(row["metric"], row["value"])


def test_evaluate_leaves_uninformative_baselines_out_of_completeness(linear):
    x, w = linear["x"], linear["w"]
    baselines = x.copy()
    baselines[:4] += 1.0  # four samples with a real gap, four with none
    integrated = w[:, 0] * (x - baselines)

    result = quality.evaluate(
        linear["model"],
        x,
        {"integrated_gradients": integrated},
        0,
        baselines=baselines,
        modes=(),
    )

    rows = {row["metric"]: row for row in result.summary}
    assert rows["completeness"]["n"] == 4
    assert rows["baseline_gap"]["n_warn"] == 4
    assert not any(key.startswith("deletion") for key in result.per_sample)


def test_evaluate_cnn_with_pixel_map_and_reinitialised_reference(digits_cnn):
    model, images, labels = digits_cnn
    gradients = _gradients(model, images, labels)
    fresh = _gradients(quality.reinitialised_copy(model), images, labels)
    counting = CountingModel(model)

    result = quality.evaluate(
        counting,
        images,
        {
            "gradient_x_input": gradients * images,
            "grad_cam": np.abs(gradients).sum(axis=-1),
        },
        labels,
        reference={"gradient_x_input": fresh},
        batch_size=4096,
    )

    assert result.curves["deletion/grad_cam"].shape == (64, 17)
    assert result.fill == "zeros"
    # f(x), then one stream: 64 fill rows + 3 orders x 2 modes x 15 steps x 64.
    assert counting.calls == 1 + math.ceil((64 + 3 * 2 * 15 * 64) / 4096)
    rows = {(r["metric"], r["method"]): r for r in result.summary}
    assert rows["deletion_gain", "gradient_x_input"]["status"] == "pass"
    assert rows["randomisation", "gradient_x_input"]["status"] == "pass"
    assert ("agreement", "gradient_x_input~grad_cam") in rows


def test_evaluate_rejects_bad_arguments(linear):
    model, x = linear["model"], linear["x"]
    with pytest.raises(TypeError, match="non-empty dict"):
        quality.evaluate(model, x, {}, 0)
    with pytest.raises(ValueError, match=r"attributions\['gradients'\]"):
        quality.evaluate(model, x, {"gradients": x[:, :1]}, 0)
    images = np.ones((2, 4, 4, 3))
    with pytest.raises(ValueError, match="inputs' shape"):
        quality.evaluate(
            CountingModel(model), images, {"integrated_gradients": images[..., 0]}, 0
        )
    with pytest.raises(ValueError, match="modes"):
        quality.evaluate(model, x, {"gradients": x}, 0, modes=("occlusion",))
    with pytest.raises(TypeError, match="previous"):
        quality.evaluate(model, x, {"gradients": x}, 0, previous=[x])


def _two_output_model() -> keras.Model:
    inputs = keras.Input((4,), name="x")
    first = keras.layers.Dense(3, activation="softmax", name="a")(inputs)
    second = keras.layers.Dense(2, activation="softmax", name="b")(inputs)
    return keras.Model(inputs, [first, second])


@pytest.mark.parametrize(("output", "index"), [(None, 0), ("b", 1), (1, 1)])
def test_evaluate_picks_the_output_as_the_engine_does(output, index):
    """None is the first output; a name or an index picks another."""
    model = _two_output_model()
    x = np.random.default_rng(3).normal(size=(6, 4)).astype(np.float32)
    maps = {"integrated_gradients": tbe.attribute(model, x, output=output)}
    result = quality.evaluate(model, x, maps, None, output=output, modes=())
    expected = np.asarray(model(x)[index])
    np.testing.assert_array_equal(result.targets, expected.argmax(axis=1))
    np.testing.assert_allclose(
        result.output_inputs, expected.max(axis=1), rtol=1e-5, atol=1e-7
    )
    assert np.nanmax(result["completeness/integrated_gradients"]) < 0.05


def test_token_inputs_get_no_completeness():
    """IG starts from the zero embedding there, which no token id gives."""
    model = keras.Sequential(
        [
            keras.Input((6,), dtype="int32"),
            keras.layers.Embedding(20, 4),
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    tokens = np.random.default_rng(4).integers(1, 20, size=(5, 6)).astype(np.int32)
    maps = {"integrated_gradients": tbe.attribute(model, tokens)}
    result = quality.evaluate(model, tokens, maps, None, modes=("deletion",))
    assert "completeness/integrated_gradients" not in result.per_sample
    assert "deletion_gain/integrated_gradients" in result.per_sample


def test_a_figure_with_no_sample_to_judge_has_no_verdict():
    """All samples left out (their class changed): not a warning."""
    rows = quality.summarise({"stability/gradients": np.full(5, np.nan)})
    assert rows[0]["n"] == 0 and rows[0]["status"] == "info"
