"""The stochastic solvers ("sgd", "adam") with scikit-learn's epoch rules, on fastmlp's ``fit``.

Training is one call to :meth:`fastmlp.Sequential.fit` (the fused Numba kernel on the
"numba" backend); after each epoch this module does what scikit-learn's MLP does: the loss
curve, the ``tol`` / ``n_iter_no_change`` test on the training loss or on a held-out
validation score, the "invscaling" and "adaptive" learning rates, keeping the best weights
under early stopping, and the ConvergenceWarning when ``max_iter`` runs out.

Sparse inputs are densified a chunk of whole batches at a time, so a sparse matrix never has
to fit in memory as a dense one.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from .. import SGD, Adam
from ..callbacks import Callback
from ..training.health import DivergenceWarning
from ..training.team import blas_on_one_thread
from ._network import sparse_chunk_rows, squared_weight_norm


class LearningRate:
    """The learning rate as a fastmlp schedule that the solver changes between epochs.

    ``value`` is scikit-learn's learning rate; fastmlp's optimizer is given ``value * scale``
    because its loss gradient is ``1 / scale`` times scikit-learn's (see Head).
    """

    def __init__(self, value, scale):
        self.value, self.scale = float(value), float(scale)

    def __call__(self, epoch):
        return self.value * self.scale


def make_optimizer(est, head, batch_size):
    """A fresh fastmlp optimizer with ``est``'s settings (a new ``fit`` starts from zero
    moments and the initial learning rate, as in scikit-learn)."""
    if est.solver == "sgd":
        rate = LearningRate(est.learning_rate_init, head.gradient_scale)
        # scikit-learn accepts momentum=1 (no damping at all); fastmlp's SGD takes [0, 1), and
        # the largest float below 1 behaves the same.
        momentum = min(float(est.momentum), np.nextafter(1.0, 0.0))
        optimizer = SGD(rate, momentum=momentum,
                        nesterov=bool(est.nesterovs_momentum) and momentum > 0,
                        decay_biases=False)
    else:
        # Adam's step does not change when the gradient is scaled: no conversion needed.
        rate = LearningRate(est.learning_rate_init, 1.0)
        optimizer = Adam(rate, beta1=est.beta_1, beta2=est.beta_2, eps=est.epsilon,
                         decay_biases=False)
    set_penalty(optimizer, est.alpha, head, batch_size)
    return optimizer


def set_learning_rate(optimizer, value):
    """Change scikit-learn's learning rate between epochs, keeping its momentum semantics.

    scikit-learn's velocity is a sum of past *steps* (the rate inside); fastmlp's SGD, like
    PyTorch's, keeps a sum of past *gradients* and multiplies it by the current rate. Scaling
    the buffer by old / new makes the next steps exactly scikit-learn's.
    """
    old = optimizer.lr.value
    optimizer.lr.value = float(value)
    if isinstance(optimizer, SGD) and value > 0 and old != value:
        optimizer.flat_state["velocity"] *= old / value


def set_penalty(optimizer, alpha, head, batch_size):
    # scikit-learn adds alpha * W / batch_size to the gradient of each batch (weights only:
    # the optimizers are made with decay_biases=False); in fastmlp's
    # units (its gradient is 1 / gradient_scale of scikit-learn's) that is this weight decay.
    optimizer.weight_decay = float(alpha) / (batch_size * head.gradient_scale)


def batch_size_for(est, n_samples):
    """scikit-learn's batch size: "auto" is min(200, n); larger than n is clipped, with a
    warning."""
    if est.batch_size == "auto":
        return min(200, n_samples)
    if est.batch_size > n_samples:
        warnings.warn("Got `batch_size` less than 1 or larger than sample size. It is going to "
                      "be clipped", UserWarning, stacklevel=6)
    return int(np.clip(est.batch_size, 1, n_samples))


def run_epochs(est, data, incremental):
    """Train ``est.model_`` for up to ``max_iter`` epochs (one with ``incremental``).

    ``data`` holds the training arrays (``X``, ``Y`` as the fastmlp loss takes them, the
    sample weights or None), the validation arrays or None, the batch size and the optimizer.

    Dense input trains in one ``fit`` call, scikit-learn's rules applied after each epoch by a
    callback (:class:`_EpochRules`): a call per epoch paid ``fit``'s checks of the whole input
    each time (20,000 Fashion-MNIST rows: about 15 ms an epoch; 150 iris rows: 0.5 ms of an
    epoch's 0.5 ms). Sparse input goes a chunk of batches at a time, the same rules after
    each pass.
    """
    rules = _EpochRules(est, data)
    epochs = 1 if incremental else est.max_iter
    est.n_iter_ = 0
    try:
        with warnings.catch_warnings():
            # One epoch of many: whether training learns is scikit-learn's convergence rules'
            # call (ConvergenceWarning), not fastmlp's verdict on the run.
            warnings.simplefilter("ignore", DivergenceWarning)
            if sp.issparse(data.X):
                for _ in range(epochs):
                    if rules.after_epoch(_sparse_pass(est.model_, data, est._random_state,
                                                      est.shuffle)):
                        break
            else:
                est.model_.fit(data.X, data.Y, epochs=epochs, batch_size=data.batch_size,
                               optimizer=data.optimizer, shuffle=est.shuffle, verbose=0,
                               sample_weight=data.sample_weight, callbacks=[rules])
        if not incremental and not rules.stopped and est.n_iter_ == est.max_iter:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) "
                          "reached and the optimization hasn't converged yet.",
                          ConvergenceWarning, stacklevel=5)
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.", stacklevel=5)
    if data.validation is not None:
        for param, best in zip(est.model_.parameters(), est._best_params):
            param[...] = best


class _EpochRules(Callback):
    """What scikit-learn's MLP does after each epoch: ``loss_`` and the loss curve, the
    ``tol`` / ``n_iter_no_change`` test, the "invscaling" and "adaptive" rates. As a
    callback of ``fit`` it stops the run (``model.stop_training``) when the test says so.

    With sample weights each batch's data loss is its weighted mean (scikit-learn's), and
    ``loss_`` is the epoch's weighted mean plus the penalty; scikit-learn averages the
    batches' weighted means by their row counts instead, which is the same number for one
    full batch.
    """

    def __init__(self, est, data):
        self.est, self.data = est, data
        self.n = data.X.shape[0]
        self.n_batches = -(-self.n // data.batch_size)
        # The penalty of a batch is divided by its weight sum (its size, without weights).
        self.total_weight = (self.n if data.sample_weight is None
                             else float(data.sample_weight.sum()))
        self.stopped = False

    def on_epoch_end(self, model, epoch, logs):
        if self.after_epoch(logs["loss"]):
            model.stop_training = True

    def after_epoch(self, core_loss):
        """Apply the rules to an epoch whose mean fastmlp loss was ``core_loss``; True to
        stop."""
        # On one BLAS thread: products on two (the penalty's np.dot, the validation score)
        # left BLAS's second thread spinning where the team's next epoch ran (784-256-10 on
        # 20,000 rows, 6 epochs: 0.89 s against 0.67 s; docs/benchmarks.md); sparse input's
        # next chunk trains on a team too.
        with blas_on_one_thread():
            return self._apply(core_loss)

    def _apply(self, core_loss):
        est, opt = self.est, self.data.optimizer
        penalty = (0.5 * est.alpha * squared_weight_norm(est.model_, est._head)
                   * self.n_batches / self.total_weight)
        est.n_iter_ += 1
        est.loss_ = est._head.reported_loss(core_loss) + penalty
        est.t_ += self.n
        est.loss_curve_.append(est.loss_)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {est.loss_:.8f}")
        _count_no_improvement(est, self.data)
        if est.solver == "sgd" and est.learning_rate == "invscaling":
            set_learning_rate(opt, est.learning_rate_init / (est.t_ + 1) ** est.power_t)
        if est._no_improvement_count > est.n_iter_no_change:
            if _stop_or_slow_down(est, opt, self.data.validation is not None):
                self.stopped = True
                return True
            est._no_improvement_count = 0
        return False


def _sparse_pass(model, data, random_state, shuffle):
    """One pass over sparse training data, densified a chunk of whole batches at a time;
    returns fastmlp's mean loss over it."""
    X, Y, batch_size, opt = data.X, data.Y, data.batch_size, data.optimizer
    weights = data.sample_weight
    n = X.shape[0]
    order = random_state.permutation(n) if shuffle else np.arange(n)
    rows = sparse_chunk_rows(X.shape[1], batch_size)
    total, total_weight = 0.0, 0.0
    for start in range(0, n, rows):
        index = order[start:start + rows]
        part = None if weights is None else weights[index]
        share = len(index) if part is None else float(part.sum())
        if share == 0:
            continue  # rows of weight zero: nothing to learn, as fit skips such batches
        history = model.fit(X[index].toarray(), Y[index], epochs=1, batch_size=batch_size,
                            optimizer=opt, shuffle=False, verbose=0, sample_weight=part)
        total += history.history["loss"][0] * share
        total_weight += share
    return total / total_weight


def _count_no_improvement(est, data):
    """scikit-learn's test: the validation score (early stopping) or the training loss must
    improve by ``tol`` within ``n_iter_no_change`` epochs."""
    if data.validation is not None:
        X_val, y_val, sw_val = data.validation
        score = est._score_outputs(est._outputs(X_val), y_val, sw_val)
        est.validation_scores_.append(score)
        if est.verbose:
            print(f"Validation score: {score:f}")
        if score < est.best_validation_score_ + est.tol:
            est._no_improvement_count += 1
        else:
            est._no_improvement_count = 0
        if score > est.best_validation_score_:
            est.best_validation_score_ = score
            est._best_params = [np.copy(p) for p in est.model_.parameters()]
        return
    if est.loss_curve_[-1] > est.best_loss_ - est.tol:
        est._no_improvement_count += 1
    else:
        est._no_improvement_count = 0
    est.best_loss_ = min(est.best_loss_, est.loss_curve_[-1])


def _stop_or_slow_down(est, opt, early_stopping):
    """True to stop. With ``learning_rate="adaptive"`` (sgd) the rate is divided by 5 instead,
    until it falls to 1e-6."""
    what = "Validation score" if early_stopping else "Training loss"
    message = (f"{what} did not improve more than tol={est.tol:f} for "
               f"{est.n_iter_no_change} consecutive epochs.")
    if est.solver != "sgd" or est.learning_rate != "adaptive":
        if est.verbose:
            print(message + " Stopping.")
        return True
    if opt.lr.value <= 1e-6:
        if est.verbose:
            print(message + " Learning rate too small. Stopping.")
        return True
    set_learning_rate(opt, opt.lr.value / 5.0)
    if est.verbose:
        print(message + f" Setting learning rate to {opt.lr.value:f}")
    return False

