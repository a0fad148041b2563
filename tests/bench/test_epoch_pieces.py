"""The epoch's pieces do the work they stand for, on the shapes of the epoch."""

import numpy as np
import pytest

from fastmlp.bench.epoch_pieces import epoch_operands, piece_runners

SIZES = (12, 8, 6, 4)


@pytest.fixture
def ops():
    return epoch_operands(SIZES, n=50, batch=16, seed=1)


def test_operands_cover_the_epoch_in_full_batches_and_a_last_short_one(ops):
    assert [(rows, steps) for rows, steps, _ in ops["batches"]] == [(16, 3), (2, 1)]
    _, _, buf = ops["batches"][0]
    assert [a.shape for a in buf.inputs] == [(16, 12), (16, 8), (16, 6)]
    assert [z.shape for z in buf.z] == [(16, 8), (16, 6), (16, 4)]
    assert [w.shape for w in ops["W"]] == [(12, 8), (8, 6), (6, 4)]
    assert ops["theta"].shape == (12 * 8 + 8 + 8 * 6 + 6 + 6 * 4 + 4,)
    assert sorted(ops["order"]) == list(range(50))
    assert epoch_operands(SIZES, n=48, batch=16)["batches"][-1][:2] == (16, 3)


@pytest.mark.parametrize("runner", ["gemm", "numba"])
def test_the_gemms_compute_every_product_of_a_step(ops, runner):
    runners = piece_runners(ops)
    runners[f"{runner} forward"]()
    runners[f"{runner} weight"]()
    # Read the short batch: it ran last, so its outputs are what each product left.
    _, _, buf = ops["batches"][-1]
    W = ops["W"]
    for layer in range(3):
        np.testing.assert_allclose(buf.z[layer], buf.inputs[layer] @ W[layer], rtol=1e-5)
        np.testing.assert_allclose(ops["gW"][layer], buf.inputs[layer].T @ buf.d[layer],
                                   rtol=1e-4, atol=1e-6)
    # Input gradients run from the top down, each from the one above it just computed.
    d_top = buf.d[2].copy()
    runners[f"{runner} input"]()
    np.testing.assert_allclose(buf.d[1], d_top @ W[2].T, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(buf.d[0], buf.d[1] @ W[1].T, rtol=1e-4, atol=1e-7)


def test_the_gather_copies_the_shuffled_rows(ops):
    piece_runners(ops)["gather"]()
    rows, steps, buf = ops["batches"][-1]
    start = 16 * 3  # the short batch reads the last rows of the order
    np.testing.assert_array_equal(buf.inputs[0], ops["X"][ops["order"][start:start + rows]])


def test_bias_activation_and_its_gradient(ops):
    runners = piece_runners(ops)
    _, _, buf = ops["batches"][0]
    z_before = [z.copy() for z in buf.z]
    d_before = [d.copy() for d in buf.d]
    runners["bias + activation"]()
    # Three full-batch steps each add the bias once.
    for layer in range(3):
        np.testing.assert_allclose(buf.z[layer], z_before[layer] + 3 * ops["b"][layer],
                                   rtol=1e-5, atol=1e-6)
    for layer in range(2):
        np.testing.assert_array_equal(buf.inputs[layer + 1], np.maximum(buf.z[layer], 0))
    runners["activation grad + bias grad"]()
    _, _, short = ops["batches"][-1]
    np.testing.assert_array_equal(buf.d[0], np.where(buf.z[0] > 0, d_before[0], 0))
    np.testing.assert_array_equal(buf.d[2], d_before[2])  # the output layer has no ReLU
    np.testing.assert_allclose(ops["gb"][2], short.d[2].sum(axis=0), rtol=1e-5)


def test_softmax_cross_entropy_gradient(ops):
    piece_runners(ops)["softmax cross-entropy"]()
    _, _, buf = ops["batches"][0]
    logits, d = buf.z[-1], buf.d[-1]
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    assert np.all(d.sum(axis=1) == pytest.approx(0.0, abs=1e-6))
    np.testing.assert_allclose(d[d > 0], (probs / 16)[d > 0], rtol=1e-5)


def test_adam_takes_one_step_per_batch(ops):
    theta, grad = ops["theta"].copy(), ops["grad"].astype(np.float64)
    piece_runners(ops)["adam"]()
    m = v = np.zeros_like(grad)
    p = theta.astype(np.float64)
    for step in range(1, 5):  # four batches in the epoch
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        p = p - 1e-3 / (1 - 0.9**step) * m / (np.sqrt(v) / np.sqrt(1 - 0.999**step) + 1e-8)
    np.testing.assert_allclose(ops["theta"], p, rtol=1e-5, atol=1e-7)
