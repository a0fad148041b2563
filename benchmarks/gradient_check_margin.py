"""How close correct gradients come to the tolerance of ``check_gradients``, over many networks.

Run as ``python benchmarks/gradient_check_margin.py`` (about a minute on 2 cores). Trains
2-4-2 XOR networks (tanh, sigmoid, ReLU and leaky ReLU; float64 and float32; five seeds;
full batch, 2,000 epochs of SGD with momentum) and 64-16-8 networks on the shipped digits
(cross-entropy and MSE; tanh, ReLU and sigmoid; three seeds; before and after 20 epochs of
Adam), on both backends, and prints, over all of them, the largest ``max_error_resolved``
(0 means no false alarm) and the largest ``|a - n| / tolerance`` of :func:`check_gradients`
and :func:`directional_check`. Backprop is correct here, so every difference is the error
of the central differences; the largest ratio says how much margin the tolerance leaves.
"""

from __future__ import annotations

import itertools

import numpy as np

import fastmlp


def _networks():
    """Yield ``(label, model, X, y)``: trained XOR nets, then digits nets before and after."""
    X4 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y4 = np.array([0, 1, 1, 0])
    for activation, dtype, seed, backend in itertools.product(
            ["tanh", "sigmoid", "relu", "leaky_relu"], ["float64", "float32"], range(5),
            ["numba", "numpy"]):
        model = fastmlp.MLP([2, 4, 2], activation=activation, seed=seed, dtype=dtype,
                            backend=backend)
        model.fit(X4, y4, epochs=2000, batch_size=None,
                  optimizer=fastmlp.SGD(0.5, momentum=0.9), verbose=0)
        yield f"xor {activation} {dtype} seed {seed} {backend}", model, X4, y4
    (X, y), _ = fastmlp.load_digits()
    for seed, loss, activation, backend in itertools.product(
            range(3), ["cross_entropy", "mse"], ["tanh", "relu", "sigmoid"], ["numba", "numpy"]):
        targets = y if loss == "cross_entropy" else np.random.default_rng(seed).normal(
            size=(len(X), 3))
        model = fastmlp.MLP([64, 16, 8, 10 if loss == "cross_entropy" else 3],
                            activation=activation, loss=loss, seed=seed, backend=backend)
        label = f"digits {loss} {activation} seed {seed} {backend}"
        yield label + " untrained", model, X[:16], targets[:16]
        model.fit(X, targets, epochs=20, batch_size=32, optimizer=fastmlp.Adam(3e-3),
                  verbose=0)
        yield label + " trained", model, X[:16], targets[:16]


def main():
    worst = {"check_gradients resolved": (0.0, ""), "check_gradients |a-n|/tol": (0.0, ""),
             "directional_check resolved": (0.0, ""), "directional_check |a-n|/tol": (0.0, "")}

    def note(key, value, label):
        if value > worst[key][0]:
            worst[key] = (value, label)

    count = 0
    for label, model, X, y in _networks():
        report = fastmlp.check_gradients(model, X, y)
        note("check_gradients resolved", report.max_error_resolved, label)
        note("check_gradients |a-n|/tol", report.max_ratio, label)
        directions = fastmlp.directional_check(model, X, y, n_directions=4, seed=0)
        note("directional_check resolved", directions.max_error_resolved, label)
        note("directional_check |a-n|/tol",
             max((r["abs_error"] / r["tolerance"] for r in directions.rows if not r["kinked"]),
                 default=0.0), label)
        count += 1
    print(f"{count} networks with correct gradients; the largest, over all of them:")
    for key, (value, label) in worst.items():
        print(f"{key:<30} {value:.3g}  ({label or 'every network'})")


if __name__ == "__main__":
    main()
