"""fastmlp.backends.op_values: the operand generators draw what they promise."""

import numpy as np

from fastmlp.backends import op_cases, op_values


def test_helpers_draw_what_they_promise():
    rng = np.random.default_rng(0)
    probs = op_values.probabilities(rng, 50, 7, np.float64)
    assert (probs > 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-14)
    mask = op_values.mask(rng, (50, 40), np.float32, p_drop=0.75)
    assert set(np.unique(mask)) == {0.0, 4.0}
    assert 0.65 < np.mean(mask == 0) < 0.85
    z = op_values.with_zeros(rng, (50, 40), np.float64)
    assert 0.1 < np.mean(z == 0) < 0.3
    u = op_values.uniform(rng, (1000,), np.float32, -1.0, 3.0)
    assert u.dtype == np.float32 and u.min() >= -1 and u.max() < 3
    w = op_values.sample_weights(rng, 1000, np.float32)
    assert w.dtype == np.float32 and w.min() == 0 and w.max() < 3
    assert 0.1 < np.mean(w == 0) < 0.3
    t = op_values.soft_targets(rng, (100, 10), np.float64)
    assert ((t >= 0) & (t <= 1)).all()
    assert 0.2 < np.mean((t != 0) & (t != 1)) < 0.3  # a quarter soft


def test_the_table_module_still_offers_them():
    for name in op_values.__all__:
        assert getattr(op_cases, name) is getattr(op_values, name)
