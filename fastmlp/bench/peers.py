"""The trainers of the peer comparison: fastmlp, a textbook NumPy loop, PyTorch, scikit-learn.

Each trainer builds a fresh network, times only the training itself and returns
``(seconds, test accuracy)``; :func:`implementations` lists those available here. The XOR
trainers time full-batch SGD steps (target T3). Settings are the comparison's: float32, batch
:data:`BATCH`, Adam with learning rate :data:`LR`.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

from .. import MLP, SGD, Adam
from ..data import load_fashion_mnist
from ..training.health import DivergenceWarning
from .machine import optional
from .sizes import synthetic_data

BATCH, LR = 128, 1e-3
XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0], dtype=np.int64)


# --------------------------------------------------------------------------- data


def dataset(sizes, n_train, out):
    """Training and test data for a network size.

    Fashion-MNIST for 784-in, 10-out networks when it is on disk (nothing is downloaded),
    else a synthetic stand-in of the same shape (:func:`~fastmlp.bench.sizes.synthetic_data`),
    with a line on ``out`` saying so.

    Parameters
    ----------
    sizes : tuple of int
        Layer widths, input first.
    n_train : int or None
        Keep the first ``n_train`` training rows; None keeps them all (60,000 synthetic).
    out : file-like
        Where the fallback is announced.

    Returns
    -------
    X : (n_train, sizes[0]) float32 array
    y : (n_train,) int64 array
    X_test : (10000, sizes[0]) float32 array
    y_test : (10000,) int64 array
    source : str
        ``"fashion-mnist"`` or ``"synthetic"``.
    """
    if sizes[0] == 784 and sizes[-1] == 10:
        try:
            (X, y), (Xt, yt) = load_fashion_mnist(download=False, progress=False)
            return X[:n_train], y[:n_train], Xt, yt, "fashion-mnist"
        except Exception as err:  # any failure to load means: fall back, and say so
            print(f"# Fashion-MNIST not available ({type(err).__name__}); using a synthetic "
                  f"stand-in of the same shape", file=out)
    X, y = synthetic_data(sizes, (n_train or 60_000) + 10_000)
    return X[:-10_000], y[:-10_000], X[-10_000:], y[-10_000:], "synthetic"


# --------------------------------------------------------------------------- epoch trainers
# Each has the signature (sizes, X, y, X_test, y_test, epochs, seed) -> (seconds, accuracy).


def _train_fastmlp(backend):
    def train(sizes, X, y, Xt, yt, epochs, seed):
        model = MLP(list(sizes), backend=backend, seed=seed)
        start = time.perf_counter()
        model.fit(X, y, epochs=epochs, batch_size=BATCH, optimizer=Adam(LR), verbose=0)
        seconds = time.perf_counter() - start
        return seconds, model.score(Xt, yt)

    return train


def _train_numpy_loop(sizes, X, y, Xt, yt, epochs, seed, beta1=0.9, beta2=0.999, eps=1e-8):
    """The obvious textbook loop: forward, softmax cross-entropy, backward, Adam, per batch."""
    rng = np.random.default_rng(seed)
    Ws = [(rng.standard_normal((a, b)) * math.sqrt(2 / a)).astype(np.float32)
          for a, b in zip(sizes[:-1], sizes[1:])]
    bs = [np.zeros(b, dtype=np.float32) for b in sizes[1:]]
    params = Ws + bs
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    step, n = 0, len(X)
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(n)
        for begin in range(0, n, BATCH):
            idx = order[begin:begin + BATCH]
            xb, yb = X[idx], y[idx]
            rows = np.arange(len(yb))
            acts = [xb]
            for W, b in zip(Ws[:-1], bs[:-1]):
                acts.append(np.maximum(acts[-1] @ W + b, 0))
            logits = acts[-1] @ Ws[-1] + bs[-1]
            logits -= logits.max(axis=1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=1, keepdims=True)
            loss = -np.log(probs[rows, yb]).mean()  # noqa: F841 - a real loop logs it
            d = probs
            d[rows, yb] -= 1
            d /= len(yb)
            gW, gb = [None] * len(Ws), [None] * len(Ws)
            for layer in range(len(Ws) - 1, -1, -1):
                gW[layer] = acts[layer].T @ d
                gb[layer] = d.sum(axis=0)
                if layer:
                    d = (d @ Ws[layer].T) * (acts[layer] > 0)
            step += 1
            for i, g in enumerate(gW + gb):
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                m_hat = m[i] / (1 - beta1**step)
                v_hat = v[i] / (1 - beta2**step)
                params[i] -= LR * m_hat / (np.sqrt(v_hat) + eps)
    seconds = time.perf_counter() - start
    h = Xt
    for W, b in zip(Ws[:-1], bs[:-1]):
        h = np.maximum(h @ W + b, 0)
    return seconds, float(np.mean((h @ Ws[-1] + bs[-1]).argmax(axis=1) == yt))


def _torch_net(torch, sizes, activation):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(activation())
    return torch.nn.Sequential(*layers)


def _train_torch(sizes, X, y, Xt, yt, epochs, seed):
    """The idiomatic PyTorch loop: randperm index batches, nn.Sequential, F.cross_entropy, Adam."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    net = _torch_net(torch, sizes, torch.nn.ReLU)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    X_, y_ = torch.from_numpy(X), torch.from_numpy(y)
    n = len(X)
    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n)
        for begin in range(0, n, BATCH):
            idx = perm[begin:begin + BATCH]
            opt.zero_grad()
            loss = F.cross_entropy(net(X_[idx]), y_[idx])
            loss.backward()
            opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        predicted = net(torch.from_numpy(Xt)).argmax(dim=1).numpy()
    return seconds, float(np.mean(predicted == yt))


def _train_sklearn(sizes, X, y, Xt, yt, epochs, seed):
    """MLPClassifier with the same settings; ``max_iter=epochs`` runs exactly that many epochs."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=tuple(sizes[1:-1]), solver="adam", batch_size=BATCH,
                        learning_rate_init=LR, max_iter=epochs, alpha=0.0, shuffle=True,
                        random_state=seed, tol=0.0, n_iter_no_change=epochs + 1)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is the point
        clf.fit(X, y)
    seconds = time.perf_counter() - start
    return seconds, float(clf.score(Xt, yt))


def implementations(peers, out):
    """The epoch trainers to compare, by row label.

    Parameters
    ----------
    peers : bool
        Include PyTorch and scikit-learn when installed (an absent one gets a line on ``out``
        naming the extra that installs it).
    out : file-like

    Returns
    -------
    dict of str to callable
        ``label -> trainer(sizes, X, y, X_test, y_test, epochs, seed) -> (seconds, accuracy)``.
    """
    impls = {"fastmlp numba": _train_fastmlp("numba"), "fastmlp numpy": _train_fastmlp("numpy"),
             "numpy loop": _train_numpy_loop}
    if peers:
        for label, module, trainer, hint in (
                ("pytorch", "torch", _train_torch, 'pip install "fastmlp[peers]"'),
                ("scikit-learn", "sklearn", _train_sklearn, 'pip install "fastmlp[peers]"')):
            if optional(module) is None:
                print(f"# {label} is not installed: skipping its rows ({hint})", file=out)
            else:
                impls[label] = trainer
    return impls


# --------------------------------------------------------------------------- XOR step trainers
# Full-batch SGD (lr 0.5) on the four XOR points with a 2-4-2 tanh network:
# (steps, seed) -> (seconds, accuracy).


def xor_fastmlp(backend, steps, seed):
    """``steps`` steps in one ``fit(epochs=steps)`` call on ``backend``."""
    model = MLP([2, 4, 2], activation="tanh", backend=backend, seed=seed)
    start = time.perf_counter()
    model.fit(XOR_X, XOR_Y, epochs=steps, batch_size=4, optimizer=SGD(0.5), verbose=0)
    return time.perf_counter() - start, model.score(XOR_X, XOR_Y)


def xor_fastmlp_calls(steps, seed):
    """One step per ``fit(epochs=1)`` call: what a user pays who calls fit in a loop."""
    model = MLP([2, 4, 2], activation="tanh", seed=seed)
    opt = SGD(0.5)
    with warnings.catch_warnings():
        # One step per call: the first steps of XOR are no better than chance, by design.
        warnings.simplefilter("ignore", DivergenceWarning)
        start = time.perf_counter()
        for _ in range(steps):
            model.fit(XOR_X, XOR_Y, epochs=1, batch_size=4, optimizer=opt, verbose=0)
        seconds = time.perf_counter() - start
    return seconds, model.score(XOR_X, XOR_Y)


def xor_torch(steps, seed):
    """The idiomatic PyTorch loop, one step per iteration."""
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    net = _torch_net(torch, (2, 4, 2), torch.nn.Tanh)
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    X, y = torch.from_numpy(XOR_X), torch.from_numpy(XOR_Y)
    start = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(net(X), y)
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        return seconds, float(np.mean(net(X).argmax(dim=1).numpy() == XOR_Y))
