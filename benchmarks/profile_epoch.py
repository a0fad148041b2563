"""Where a Numba training epoch spends its time: GEMMs, gather, elementwise work, optimizer.

    python benchmarks/profile_epoch.py                    # 784-128-10 and 784-512-512-10
    python benchmarks/profile_epoch.py --sizes 784-128-10 --blas-threads 1

Each piece of the fused step (``fastmlp.backends._train_numba``) runs in a small jitted loop,
once per batch of an epoch, on the buffers ``fit`` itself would use: the sum of the pieces can
be set against one epoch of the whole kernel and one ``fit(epochs=1)`` call. The gather loop
here mirrors the one inside ``train_epochs`` (rows copied from a shuffled order). When PyTorch
is installed, the same GEMM shapes are also timed through ``torch.mm`` for comparison.
"""

import argparse
import time

import numpy as np
from numba import njit

from fastmlp import MLP, SGD, Adam
from fastmlp._fused import FusedTrainer
from fastmlp.backends import _train_numba as k
from fastmlp.bench import parse_size, synthetic_data, training_flops

_view = k._view


@njit
def _gather(X, y, order, n_in, B, n_batches, work, yb):
    for batch in range(n_batches):
        start = batch * B
        for i in range(B):
            row = order[start + i]
            work[i * n_in:(i + 1) * n_in] = X[row * n_in:(row + 1) * n_in]
            yb[i] = y[row]


@njit
def _forward_gemms(work, theta, sizes, w_off, z_off, a_off, B, reps):
    for _ in range(reps):
        a_prev = _view(work, 0, B, sizes[0])
        for layer in range(sizes.shape[0] - 1):
            W = _view(theta, w_off[layer], sizes[layer], sizes[layer + 1])
            np.dot(a_prev, W, _view(work, z_off[layer], B, sizes[layer + 1]))
            a_prev = _view(work, a_off[layer], B, sizes[layer + 1])


@njit
def _bias_activations(work, theta, sizes, acts, alphas, b_off, z_off, a_off, B, reps):
    for _ in range(reps):
        for layer in range(acts.shape[0]):
            z = _view(work, z_off[layer], B, sizes[layer + 1])
            a = _view(work, a_off[layer], B, sizes[layer + 1])
            k._bias_activation(z, a, theta, b_off[layer], acts[layer], alphas[layer])


@njit
def _loss(work, sizes, a_off, d_off, yb, B, reps):
    last = sizes.shape[0] - 2
    logits = _view(work, a_off[last], B, sizes[last + 1])
    d = _view(work, d_off[last], B, sizes[last + 1])
    for _ in range(reps):
        k._xent(logits, yb, d)


@njit
def _activation_grads(work, grad, sizes, acts, alphas, b_off, z_off, a_off, m_off, d_off, B,
                      reps):
    for _ in range(reps):
        for layer in range(acts.shape[0]):
            d = _view(work, d_off[layer], B, sizes[layer + 1])
            z = _view(work, z_off[layer], B, sizes[layer + 1])
            a = _view(work, a_off[layer], B, sizes[layer + 1])
            mask = _view(work, m_off[layer], B, sizes[layer + 1])  # unused: no dropout here
            k._activation_grad_and_bias_grad(d, z, a, acts[layer], alphas[layer], mask, False,
                                             grad, b_off[layer])


@njit
def _weight_grad_gemms(work, grad, sizes, w_off, a_off, d_off, B, reps):
    for _ in range(reps):
        for layer in range(sizes.shape[0] - 1):
            below = _view(work, 0 if layer == 0 else a_off[layer - 1], B, sizes[layer])
            d = _view(work, d_off[layer], B, sizes[layer + 1])
            np.dot(below.T, d, _view(grad, w_off[layer], sizes[layer], sizes[layer + 1]))


@njit
def _input_grad_gemms(work, theta, sizes, w_off, d_off, B, reps):
    for _ in range(reps):
        for layer in range(1, sizes.shape[0] - 1):
            W = _view(theta, w_off[layer], sizes[layer], sizes[layer + 1])
            d = _view(work, d_off[layer], B, sizes[layer + 1])
            np.dot(d, W.T, _view(work, d_off[layer - 1], B, sizes[layer]))


@njit
def _optimizer(theta, grad, backup, s1, s2, hyper, reps):
    for step in range(1, reps + 1):
        k._optimizer_step(theta, grad, backup, s1, s2, k.ADAM, 1e-3, hyper, step)


def _best_times(fns, repeats):
    """The fastest of ``repeats`` timings of each function, interleaved.

    For attributing time the minimum is the right statistic: other processes on a shared
    machine only ever add time, and interleaving spreads their bursts over every piece."""
    for fn in fns.values():
        fn()  # compile, and fault the buffers in
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: min(t) for name, t in times.items()}


def _torch_gemms(sizes, B, reps):
    """The epoch's GEMMs through torch.mm (MKL), one Python call each, or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(2)
    calls = []
    for layer, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        x, W, z = torch.rand(B, a), torch.randn(a, b) * 0.05, torch.randn(B, b)
        dW, dx = torch.empty(a, b), torch.empty(B, a)
        calls += [(x, W, z), (x.T, z, dW)] + ([(z, W.T, dx)] if layer else [])

    def run():
        for _ in range(reps):
            for p, q, out in calls:
                torch.mm(p, q, out=out)

    return run


def profile(sizes, n, repeats, out=print):
    """Print and return the best time of each piece of an epoch, the whole kernel and fit."""
    B = 128
    X, y = synthetic_data(sizes, n)
    model = MLP(list(sizes), seed=0)
    model.optimizer = opt = Adam(1e-3)
    opt.bind(model._params)
    backup = model._flat_params.copy()
    t = FusedTrainer(model, X, y, B, backup)
    reps = n // B
    order = np.random.default_rng(0).permutation(n)
    s1, s2 = (opt.flat_state[name] for name in opt.state_names)
    hyper = np.zeros(7)
    hyper[[k.H_DECAY1, k.H_DECAY2, k.H_EPS]] = 0.9, 0.999, 1e-8
    theta, grad, work, yb = model._flat_params, model._flat_grads, t.work, t.yb_labels
    # One real step fills every buffer with the values a step sees: uninitialised memory can
    # hold denormals or NaNs, which would make the pieces' arithmetic unrepresentatively slow.
    t.run([0.0], order[None, :], 0, 1)  # lr 0: the weights stay as they are
    # The optimizer piece updates copies, leaving the model's weights as they were.
    theta_c, backup_c, s1_c, s2_c = theta.copy(), backup.copy(), s1.copy(), s2.copy()
    pieces = {
        "gather (shuffled rows)":
            lambda: _gather(t.X, y, order, sizes[0], B, reps, work, yb),
        "forward GEMMs": lambda: _forward_gemms(work, theta, t.sizes, t.w_off, t.z_off, t.a_off,
                                                B, reps),
        "bias + activation": lambda: _bias_activations(work, theta, t.sizes, t.acts, t.alphas,
                                                       t.b_off, t.z_off, t.a_off, B, reps),
        "softmax cross-entropy": lambda: _loss(work, t.sizes, t.a_off, t.d_off, yb, B, reps),
        "activation grad + bias grad": lambda: _activation_grads(
            work, grad, t.sizes, t.acts, t.alphas, t.b_off, t.z_off, t.a_off, t.m_off, t.d_off,
            B, reps),
        "weight-gradient GEMMs": lambda: _weight_grad_gemms(work, grad, t.sizes, t.w_off,
                                                            t.a_off, t.d_off, B, reps),
        "input-gradient GEMMs": lambda: _input_grad_gemms(work, theta, t.sizes, t.w_off,
                                                          t.d_off, B, reps),
        "Adam step (whole vector)": lambda: _optimizer(theta_c, grad, backup_c, s1_c, s2_c,
                                                       hyper, reps),
    }
    orders = order[None, :]
    extra = {"kernel": lambda: t.run([1e-3], orders, 0, t.n_batches),
             "fit": lambda: model.fit(X, y, epochs=1, batch_size=B, verbose=0)}
    torch_gemms = _torch_gemms(sizes, B, reps)
    if torch_gemms is not None:
        extra["torch"] = torch_gemms
    best = _best_times({**pieces, **extra}, repeats)
    gemm_flops = training_flops(sizes, reps * B)
    total = sum(best[name] for name in pieces)
    gemm = sum(best[name] for name in pieces if "GEMM" in name)
    out(f"\n{'-'.join(map(str, sizes))}, batch {B}, {n} rows ({reps} full batches), "
        f"float32; best of {repeats}, interleaved")
    out(f"{'piece':32s} {'ms/epoch':>9s} {'share':>6s}")
    for name in pieces:
        out(f"{name:32s} {best[name] * 1e3:9.2f} {best[name] / total:6.1%}")
    out(f"{'sum of pieces':32s} {total * 1e3:9.2f}")
    out(f"{'whole kernel (train_epochs)':32s} {best['kernel'] * 1e3:9.2f}")
    out(f"{'fit(epochs=1, verbose=0)':32s} {best['fit'] * 1e3:9.2f}   (Python around the "
        f"kernel: {(best['fit'] - best['kernel']) * 1e3:.1f} ms)")
    out(f"GEMMs: {gemm / total:.0%} of the pieces, {gemm_flops / gemm / 1e9:.1f} GFLOP/s")
    if "torch" in best:
        out(f"same GEMMs through torch.mm: {best['torch'] * 1e3:.2f} ms "
            f"({gemm_flops / best['torch'] / 1e9:.1f} GFLOP/s, Python loop included)")
    return best


def profile_xor(steps, repeats, out=print):
    """Per-step cost of full-batch XOR training: ``fit`` against the bare kernel call."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0])
    model = MLP([2, 4, 2], activation="tanh", seed=0)
    model.fit(X, y, epochs=1, batch_size=4, optimizer=SGD(0.5), verbose=0)
    opt = model.optimizer
    t = FusedTrainer(model, X, y, 4, model._flat_params.copy())
    lrs = [0.5] * steps
    best = _best_times({
        "fit": lambda: model.fit(X, y, epochs=steps, batch_size=4, verbose=0),
        "kernel": lambda: t.run(lrs, None, 0, 1),
        "lr list": lambda: [opt.lr_at(e) for e in range(steps)],
    }, repeats)
    out(f"\nXOR 2-4-2, full batch, SGD; {steps} steps; best of {repeats}, interleaved")
    for name, label in (("fit", f"fit(epochs={steps})"), ("kernel", "FusedTrainer.run alone"),
                        ("lr list", "the per-epoch learning-rate list")):
        out(f"{label:36s} {best[name] / steps * 1e6:7.3f} us/step")
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["784-128-10", "784-512-512-10"])
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--xor-steps", type=int, default=20_000)
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit the BLAS thread pools (threadpoolctl) to this many")
    args = parser.parse_args(argv)
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.blas_threads)
    for size in args.sizes:
        profile(parse_size(size), args.samples, args.repeats)
    if args.xor_steps:
        profile_xor(args.xor_steps, args.repeats)


if __name__ == "__main__":
    main()
