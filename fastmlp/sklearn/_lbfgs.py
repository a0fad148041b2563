"""The "lbfgs" solver: scipy's L-BFGS-B on fastmlp's loss and analytic gradient.

The network's parameters travel as one float64 vector (fastmlp's order: ``W1, b1, W2, b2,
...``). Each evaluation writes the vector into the model, takes the mean loss and its
backpropagated gradient over the whole training set (a chunk at a time for sparse input),
and adds scikit-learn's penalty ``alpha / (2 n) * sum ||W||^2`` on the weights only. With
sample weights the loss is the weighted mean ``sum w_i l_i / sum w_i`` and ``n`` in the
penalty becomes ``sum w_i``, as in scikit-learn.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import scipy.optimize
import scipy.sparse as sp
import threadpoolctl
from sklearn.exceptions import ConvergenceWarning

from .._validation import check_sample_weight
from ..backends._blas import LIBRARY_PATH
from ..gradients import loss_and_gradients
from ._network import sparse_chunk_rows, squared_weight_norm


def run_lbfgs(est, X, Y, sample_weight=None):
    """Minimise the penalised loss of ``est.model_`` on ``X, Y`` (fastmlp targets) and the
    validated ``sample_weight`` (or None) in place; set ``n_iter_`` and ``loss_``."""
    model, head = est.model_, est._head
    params = model.parameters()
    sizes = [p.size for p in params]
    bounds = np.cumsum([0, *sizes])
    # alpha penalises the weights (even positions: W1, W2, ...) and not the biases.
    is_weight = np.zeros(bounds[-1], dtype=bool)
    for i in range(0, len(params), 2):
        is_weight[bounds[i]:bounds[i + 1]] = True
    n = X.shape[0] if sample_weight is None else float(sample_weight.sum())
    alpha = float(est.alpha)

    def write(theta):
        for param, start, stop in zip(params, bounds[:-1], bounds[1:]):
            param.ravel()[...] = theta[start:stop]

    # Dense input is checked and converted once; sparse input a chunk at a time, as it is
    # densified for each evaluation.
    dense = None if sp.issparse(X) else [(1.0, *_checked(model, X, Y, sample_weight))]

    def mean_loss_and_gradient():
        loss, grad = 0.0, np.zeros(bounds[-1])
        for share, X_part, Y_part, w_part in dense or _sparse_chunks(model, X, Y,
                                                                     sample_weight, n):
            if share == 0:
                continue  # rows of weight zero add nothing
            part_loss, grads = loss_and_gradients(model, X_part, Y_part, w_part)
            loss += part_loss * share
            grad += np.concatenate([g.ravel() for g in grads]).astype(np.float64) * share
        return loss, grad

    def objective(theta):
        write(theta)
        loss, grad = mean_loss_and_gradient()
        weights = np.where(is_weight, theta, 0.0)
        value = head.objective_loss(loss) + 0.5 * alpha * float(weights @ weights) / n
        return value, head.gradient_scale * grad + alpha * weights / n

    def report(intermediate_result):
        report.iteration += 1
        print(f"Iteration {report.iteration}, loss = {intermediate_result.fun:.8f}")

    report.iteration = 0
    theta0 = np.concatenate([p.ravel() for p in params]).astype(np.float64)
    with _one_pool_of_blas_threads():
        result = scipy.optimize.minimize(
            objective, theta0, method="L-BFGS-B", jac=True,
            options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol},
            callback=report if est.verbose else None)
    est.n_iter_ = min(int(result.nit), est.max_iter)
    if result.status != 0:
        warnings.warn(
            f"lbfgs failed to converge after {est.n_iter_} iteration(s) (status="
            f"{result.status}): {result.message}. Increase the number of iterations "
            f"(max_iter={est.max_iter}) or function evaluations (max_fun={est.max_fun}), or "
            "scale the data, e.g. with sklearn.preprocessing.StandardScaler.",
            ConvergenceWarning, stacklevel=5)
    write(result.x)
    loss, _ = mean_loss_and_gradient()
    est.loss_ = head.reported_loss(loss) + 0.5 * alpha * squared_weight_norm(model, head) / n


def _checked(model, X, Y, w):
    """``(X, Y, w)`` checked and converted as the model's gradients take them."""
    X, Y = model._check_Xy(X, Y)
    return X, Y, check_sample_weight(w, len(X), model.dtype)


def _sparse_chunks(model, X, Y, w, total):
    """``(share of the total weight, X, Y, w)`` a chunk of rows at a time, densified."""
    rows = sparse_chunk_rows(X.shape[1])
    for start in range(0, X.shape[0], rows):
        stop = min(start + rows, X.shape[0])
        w_part = None if w is None else w[start:stop]
        share = (stop - start if w_part is None else float(w_part.sum())) / total
        yield (share, *_checked(model, X[start:stop].toarray(), Y[start:stop], w_part))


def _one_pool_of_blas_threads():
    """A context where every BLAS library but the network's multiplies on one thread.

    The network's products go to NumPy's OpenBLAS (:mod:`fastmlp.backends._blas`), L-BFGS-B's
    own linear algebra to SciPy's: two pools of threads, each spinning for a while after its
    work, so on two cores each library's products waited on the other's idle threads (fits of
    ``make_friedman1``'s 1,000 rows on (64, 64) took 2.3-2.7 s instead of 0.3-0.4 s; so did
    scikit-learn's). L-BFGS-B's work is a few vectors of the parameters' length a step, which
    a second thread does not speed up."""
    controller = threadpoolctl.ThreadpoolController()
    others = [pool.filepath for pool in controller.lib_controllers
              if pool.user_api == "blas" and pool.filepath != LIBRARY_PATH]
    if LIBRARY_PATH is None or not others:  # one library multiplies everything: one pool
        return contextlib.nullcontext()
    return controller.select(filepath=others).limit(limits=1)
