"""PyTorch as an oracle: the same weights give the same loss, gradients and optimizer path."""

import numpy as np
import pytest

from fastmlp import MLP, SGD, Adam, AdamW, RMSprop

torch = pytest.importorskip("torch")

TORCH_ACT = {"relu": torch.nn.ReLU, "leaky_relu": lambda: torch.nn.LeakyReLU(0.01),
             "sigmoid": torch.nn.Sigmoid, "tanh": torch.nn.Tanh}


def _torch_twin(model, activation):
    """A torch.nn.Sequential holding copies of ``model``'s weights (float64)."""
    modules, params = [], model.parameters()
    dense = [layer for layer in model.layers if hasattr(layer, "W")]
    for i, layer in enumerate(dense):
        linear = torch.nn.Linear(layer.n_in, layer.n_out, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.array(layer.W.T, dtype=np.float64)))
            linear.bias.copy_(torch.from_numpy(np.array(layer.b, dtype=np.float64)))
        modules.append(linear)
        if i < len(dense) - 1:
            modules.append(TORCH_ACT[activation]())
    assert len(params) == 2 * len(dense)
    return torch.nn.Sequential(*modules)


def _torch_grads(net):
    grads = []
    for module in net:
        if isinstance(module, torch.nn.Linear):
            grads += [module.weight.grad.numpy().T, module.bias.grad.numpy()]
    return grads


@pytest.mark.parametrize("loss", ["cross_entropy", "mse", "binary_cross_entropy"])
@pytest.mark.parametrize("activation", list(TORCH_ACT))
def test_loss_and_gradients_match_torch(backend, activation, loss):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 6))
    model = MLP([6, 8, 5, 4], activation=activation, loss=loss, backend=backend,
                dtype="float64", seed=0)
    for p in model.parameters():  # non-zero biases, so bias gradients are really exercised
        p += rng.normal(scale=0.1, size=p.shape)
    net = _torch_twin(model, activation)
    out = net(torch.from_numpy(X))
    if loss == "cross_entropy":
        y = rng.integers(0, 4, size=16)
        torch_loss = torch.nn.functional.cross_entropy(out, torch.from_numpy(y))
    elif loss == "binary_cross_entropy":
        y = (rng.random((16, 4)) < 0.5).astype(np.float64)
        y[:3] = rng.random((3, 4))  # probabilities as targets, too
        torch_loss = torch.nn.BCEWithLogitsLoss()(out, torch.from_numpy(y))
    else:
        y = rng.normal(size=(16, 4))
        torch_loss = torch.nn.functional.mse_loss(out, torch.from_numpy(y))
    torch_loss.backward()
    assert model.evaluate(X, y)["loss"] == pytest.approx(torch_loss.item(), rel=1e-12)
    for ours, theirs in zip(model.gradients(X, y), _torch_grads(net)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-13)


OPTIMIZERS = [
    (lambda: SGD(0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    (lambda: SGD(0.1, momentum=0.9, nesterov=True, weight_decay=1e-3),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    (lambda: RMSprop(0.01, rho=0.9, eps=1e-7, weight_decay=1e-3),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-7, weight_decay=1e-3)),
    (lambda: Adam(0.01, weight_decay=1e-3),
     lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=1e-3)),
    (lambda: AdamW(0.01, weight_decay=0.1),
     lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
]


@pytest.mark.parametrize("make_ours, make_theirs", OPTIMIZERS)
def test_training_steps_match_torch(backend, make_ours, make_theirs):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(32, 5)), rng.integers(0, 3, size=32)
    model = MLP([5, 7, 3], activation="tanh", backend=backend, dtype="float64", seed=2)
    net = _torch_twin(model, "tanh")
    model.fit(X, y, epochs=5, batch_size=None, optimizer=make_ours(), shuffle=False, verbose=0)
    optimizer = make_theirs(net.parameters())
    for _ in range(5):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(net(torch.from_numpy(X)), torch.from_numpy(y)).backward()
        optimizer.step()
    theirs = []
    for module in net:
        if isinstance(module, torch.nn.Linear):
            theirs += [module.weight.detach().numpy().T, module.bias.detach().numpy()]
    for ours, expected in zip(model.parameters(), theirs):
        np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-12)
