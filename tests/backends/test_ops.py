"""What every ops module must do, checked on each backend: stability at extreme inputs and the
optimizer updates against torch's."""

import numpy as np
import pytest

from fastmlp.backends import numba_ops, numpy_ops

from .helpers import DTYPES, OPTIMIZER_CONFIGS, config_id, run_optimizer


@pytest.mark.parametrize("module", [numpy_ops, numba_ops], ids=["numpy", "numba"])
def test_sgd_without_momentum_ignores_velocity(module):
    param = np.array([1.0, -2.0])
    module.sgd_update(param, np.array([0.5, 0.5]), None, 0.1, 0.0, False, 0.0)
    np.testing.assert_array_equal(param, [0.95, -2.05])


@pytest.mark.parametrize("module", [numpy_ops, numba_ops], ids=["numpy", "numba"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_softmax_xent_is_stable_for_huge_logits(module, dtype):
    # Naive exp(1000) overflows; log-sum-exp with the row max gives the exact answer.
    logits = np.array([[1000.0, 0.0], [0.0, 1000.0], [-1000.0, -1000.0]], dtype)
    probs = np.empty_like(logits)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        loss = module.softmax_xent(logits, np.array([0, 0, 1]), probs)
    assert loss == pytest.approx((0.0 + 1000.0 + np.log(2.0)) / 3, rel=1e-6)
    np.testing.assert_allclose(probs, [[1, 0], [0, 1], [0.5, 0.5]], atol=1e-30)


@pytest.mark.parametrize("module", [numpy_ops, numba_ops], ids=["numpy", "numba"])
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_sigmoid_saturates_without_overflow(module, dtype):
    z = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]], dtype)
    out = np.empty_like(z)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        module.sigmoid_forward(z, out)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, [[0.0, np.exp(-50.0), 0.5, 1.0, 1.0]], rtol=1e-6, atol=0)


# --------------------------------------------------------------------------- torch as an oracle


def _torch_optimizer(torch, kind, hyper, tensor):
    if kind == "sgd":
        return torch.optim.SGD([tensor], **hyper)
    if kind == "rmsprop":
        lr, rho, eps, wd = hyper["lr"], hyper["rho"], hyper["eps"], hyper["weight_decay"]
        return torch.optim.RMSprop([tensor], lr=lr, alpha=rho, eps=eps, weight_decay=wd)
    cls = torch.optim.AdamW if hyper["decoupled"] else torch.optim.Adam
    betas = (hyper["beta1"], hyper["beta2"])
    lr, eps, wd = hyper["lr"], hyper["eps"], hyper["weight_decay"]
    return cls([tensor], lr=lr, betas=betas, eps=eps, weight_decay=wd)


@pytest.mark.parametrize("module", [numpy_ops, numba_ops], ids=["numpy", "numba"])
@pytest.mark.parametrize("config", OPTIMIZER_CONFIGS, ids=config_id)
def test_optimizers_match_torch(config, module):
    torch = pytest.importorskip("torch")
    kind, hyper = config
    rng = np.random.default_rng(11)
    param = rng.standard_normal((4, 3))
    grads = [rng.standard_normal((4, 3)) for _ in range(3)]

    tensor = torch.tensor(param.copy(), dtype=torch.float64, requires_grad=True)
    optimizer = _torch_optimizer(torch, kind, hyper, tensor)
    for grad in grads:
        tensor.grad = torch.tensor(grad)
        optimizer.step()

    got = run_optimizer(module, kind, hyper, param, grads)[0]
    np.testing.assert_allclose(got, tensor.detach().numpy(), rtol=1e-12, atol=1e-14)
