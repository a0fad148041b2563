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
from fastmlp.bench.sizes import parse_size, synthetic_data, training_flops

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
def _optimizer(theta, grad, backup, s1, s2, opt, hyper, reps):
    for step in range(1, reps + 1):
        k._optimizer_step(theta, grad, backup, s1, s2, opt, 1e-3, hyper, step)


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


def profile(sizes, n, repeats, batch=128, epochs=1, activation="relu", optimizer=None,
            out=print):
    """Print and return the best time of each piece of ``epochs`` epochs, the whole kernel
    and ``fit``. Batches are shuffled (gathered) unless one batch holds all ``n`` rows."""
    B = batch
    X, y = synthetic_data(sizes, n)
    model = MLP(list(sizes), activation=activation, seed=0)
    model.optimizer = opt = optimizer or Adam(1e-3)
    opt.bind(model._params)
    backup = model._flat_params.copy()
    t = FusedTrainer(model, X, y, B, backup)
    reps = n // B * epochs
    shuffled = B < n
    order = np.random.default_rng(0).permutation(n)
    orders = np.tile(order, (epochs, 1)).reshape(-1) if shuffled else order
    opt_code = k.ADAM if isinstance(opt, Adam) else k.SGD
    state = [opt.flat_state[name] for name in opt.state_names]
    s1, s2 = state[0], state[-1]
    hyper = np.zeros(7)
    hyper[[k.H_DECAY1, k.H_DECAY2, k.H_EPS]] = 0.9, 0.999, 1e-8
    theta, grad, work, yb = model._flat_params, model._flat_grads, t.work, t.yb_labels
    # One real step fills every buffer with the values a step sees: uninitialised memory can
    # hold denormals or NaNs, which would make the pieces' arithmetic unrepresentatively slow.
    _gather(t.X, y, order, sizes[0], B, 1, work, yb)
    t.run([0.0], order[None, :] if shuffled else None, 0, 1)  # lr 0: the weights stay put
    # The optimizer piece updates copies, leaving the model's weights as they were.
    theta_c, backup_c, s1_c, s2_c = theta.copy(), backup.copy(), s1.copy(), s2.copy()
    pieces = {
        "gather (shuffled rows)":
            lambda: _gather(t.X, y, orders, sizes[0], B, reps if shuffled else 0, work, yb),
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
        f"{type(opt).__name__} step (whole vector)": lambda: _optimizer(
            theta_c, grad, backup_c, s1_c, s2_c, opt_code, hyper, reps),
    }
    lrs = [1e-3] * epochs
    epoch_orders = np.tile(order, (epochs, 1)) if shuffled else None
    extra = {"kernel": lambda: t.run(lrs, epoch_orders, 0, t.n_batches),
             "fit": lambda: model.fit(X, y, epochs=epochs, batch_size=B, verbose=0)}
    torch_gemms = _torch_gemms(sizes, B, reps)
    if torch_gemms is not None:
        extra["torch"] = torch_gemms
    best = _best_times({**pieces, **extra}, repeats)
    gemm_flops = training_flops(sizes, reps * B)
    total = sum(best[name] for name in pieces)
    gemm = sum(best[name] for name in pieces if "GEMM" in name)
    out(f"\n{'-'.join(map(str, sizes))}, {activation}, batch {B}, {n} rows, {epochs} epoch(s) = "
        f"{reps} full batches, float32; best of {repeats}, interleaved")
    out(f"{'piece':32s} {'ms':>9s} {'us/step':>9s} {'share':>6s}")

    def line(label, seconds, share=""):
        out(f"{label:32s} {seconds * 1e3:9.2f} {seconds / reps * 1e6:9.3f} {share:>6s}")

    for name in pieces:
        line(name, best[name], f"{best[name] / total:.1%}")
    line("sum of pieces", total)
    line("whole kernel (train_epochs)", best["kernel"])
    line(f"fit(epochs={epochs}, verbose=0)", best["fit"])
    out(f"Python around the kernel in fit: {(best['fit'] - best['kernel']) * 1e3:.1f} ms")
    out(f"GEMMs: {gemm / total:.0%} of the pieces, {gemm_flops / gemm / 1e9:.1f} GFLOP/s")
    if "torch" in best:
        out(f"same GEMMs through torch.mm: {best['torch'] * 1e3:.2f} ms "
            f"({gemm_flops / best['torch'] / 1e9:.1f} GFLOP/s, Python loop included)")
    return best


@njit
def _xor_dots(x, W1, W2, z1, z2, d1, d2, g1, g2, reps):
    """The five matrix products of a 2-4-2 full-batch step, through np.dot (BLAS)."""
    for _ in range(reps):
        np.dot(x, W1, z1)
        np.dot(z1, W2, z2)
        np.dot(z1.T, d2, g2)
        np.dot(d2, W2.T, d1)
        np.dot(x.T, d1, g1)


@njit
def _matmul_loops(a, b, out):
    n, m = out.shape
    for i in range(n):
        for j in range(m):
            out[i, j] = 0
        for p in range(a.shape[1]):
            aip = a[i, p]
            for j in range(m):
                out[i, j] += aip * b[p, j]


@njit
def _xor_loops(x, W1, W2, z1, z2, d1, d2, g1, g2, reps):
    """The same five products as plain loops: no BLAS call."""
    for _ in range(reps):
        _matmul_loops(x, W1, z1)
        _matmul_loops(z1, W2, z2)
        _matmul_loops(z1.T, d2, g2)
        _matmul_loops(d2, W2.T, d1)
        _matmul_loops(x.T, d1, g1)


def profile_xor(steps, repeats, out=print):
    """Full-batch XOR steps (T3): the pieces, then what BLAS calls cost at these sizes."""
    profile((2, 4, 2), 4, repeats, batch=4, epochs=steps, activation="tanh",
            optimizer=SGD(0.5), out=out)
    f32 = np.float32
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=f32)
    mats = (X, np.ones((2, 4), f32), np.ones((4, 2), f32), np.empty((4, 4), f32),
            np.empty((4, 2), f32), np.empty((4, 4), f32), np.ones((4, 2), f32),
            np.empty((2, 4), f32), np.empty((4, 2), f32))
    best = _best_times({"dots": lambda: _xor_dots(*mats, steps),
                        "loops": lambda: _xor_loops(*mats, steps)}, repeats)
    out(f"a step's 5 products via np.dot (BLAS): {best['dots'] / steps * 1e6:.3f} us/step; "
        f"as plain loops: {best['loops'] / steps * 1e6:.3f} us/step")
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["784-128-10", "784-512-512-10"],
                        help="networks to profile (none: only the XOR step)")
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--xor-steps", type=int, default=20_000)
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit the BLAS thread pools (threadpoolctl) to this many")
    args = parser.parse_args(argv)
    if args.blas_threads:
        # threadpoolctl only reaches libraries already loaded: load SciPy's BLAS (the one
        # Numba's np.dot calls) and torch's before limiting.
        import scipy.linalg.cython_blas  # noqa: F401
        from threadpoolctl import threadpool_limits

        try:
            import torch

            torch.set_num_threads(args.blas_threads)
        except ImportError:
            pass
        threadpool_limits(args.blas_threads)
    for size in args.sizes:
        profile(parse_size(size), args.samples, args.repeats)
    if args.xor_steps:
        profile_xor(args.xor_steps, args.repeats)


if __name__ == "__main__":
    main()
